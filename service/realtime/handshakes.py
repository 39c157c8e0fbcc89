"""New Socket.IO connections per client address, bounded before Engine.IO sees them.

Each Engine.IO session costs memory for as long as its client keeps it alive, whether
or not the client ever authenticates, so one address could otherwise hold thousands of
idle sessions. Two bounds: how many new sessions an address may open per minute (a
rate), and how many it may hold open at once (a cap). For the cap, the session id of
each handshake is read from its answer, and a session counts while Engine.IO still
holds it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.domain.errors import DomainError
from service.http.problems import rate_limit_headers, refuse_connection
from service.metrics import Metrics
from service.ratelimit import RateLimited, RateLimiter

log = logging.getLogger(__name__)

SOCKET_IO_PATH = "/socket.io/"
SWEEP_EVERY = 1024


class TooManyConnections(DomainError):
    code = "rate_limited"


class HandshakeLimit:
    def __init__(
        self,
        app: ASGIApp,
        limits: RateLimiter,
        cap: int,
        is_open: Callable[[str], bool],
        metrics: Metrics,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.limits = limits
        self.cap = cap
        self.is_open = is_open  # whether Engine.IO still holds the session
        self.sessions: dict[str, set[str]] = {}  # client address -> session ids
        self.prune_at: dict[str, int] = {}  # client address -> size that prunes again
        self.noted_since_sweep = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not _opens_a_session(scope):
            await self.app(scope, receive, send)
            return
        address = client_address(scope)
        try:
            self._check_cap(address)
            await self.limits.hit("handshakes", address)
        except (RateLimited, TooManyConnections) as exc:
            log.info("refused a Socket.IO handshake from %s: %s", address, exc.message)
            self.metrics.limited(exc)
            headers = (
                rate_limit_headers(exc) if isinstance(exc, RateLimited) else {"Retry-After": "60"}
            )
            await refuse_connection(scope, receive, send, exc.code, exc.message, headers)
            return

        noted = False

        async def noting_the_session(message: Message) -> None:
            nonlocal noted
            # Only Engine.IO's first packet names the session: the rest pass untouched.
            if not noted and message["type"] in ("http.response.body", "websocket.send"):
                noted = True
                sid = _session_id(message)
                if sid is not None:
                    self.sessions.setdefault(address, set()).add(sid)
                    self._note()
            await send(message)

        await self.app(scope, receive, noting_the_session)

    def _note(self) -> None:
        # Addresses that never come back would otherwise keep their closed sessions
        # for ever: every SWEEP_EVERY new sessions, all closed ones are forgotten. The
        # bookkeeping then holds at most the open sessions plus SWEEP_EVERY, for the
        # cost of one check per session per sweep (amortised: a few per handshake).
        self.noted_since_sweep += 1
        if self.noted_since_sweep < SWEEP_EVERY:
            return
        self.noted_since_sweep = 0
        for address in list(self.sessions):
            held = {sid for sid in self.sessions[address] if self.is_open(sid)}
            if held:
                self.sessions[address] = held
                self.prune_at[address] = 2 * len(held) + 16
            else:
                del self.sessions[address]
                self.prune_at.pop(address, None)

    def _check_cap(self, address: str) -> None:
        held = self.sessions.get(address)
        if held is None or len(held) < min(self.cap, self.prune_at.get(address, 0)):
            return
        # Closed sessions are forgotten only once the set has doubled since the last
        # pruning (or reached the cap): pruning on every handshake made a reconnect
        # storm from one address (a NAT, an office) quadratic (py-spy, `make bench`).
        held.intersection_update({sid for sid in held if self.is_open(sid)})
        if not held:
            del self.sessions[address]
            self.prune_at.pop(address, None)
            return
        self.prune_at[address] = 2 * len(held) + 16
        if len(held) >= self.cap:
            raise TooManyConnections(f"At most {self.cap} open connections per address.")


def client_address(scope: Scope) -> str:
    """The client's address: the peer's, or the one a trusted proxy reported
    (CHAT_FORWARDED_ALLOW_IPS rewrites the scope before anything reads it)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _opens_a_session(scope: Scope) -> bool:
    if not str(scope.get("path", "")).startswith(SOCKET_IO_PATH):
        return False
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return "sid" not in query  # requests of an open session carry its sid


def _session_id(message: Message) -> str | None:
    """The sid of Engine.IO's open packet `0{"sid": ...}`, if `message` carries it."""
    if message["type"] == "http.response.body":
        raw: bytes | str | None = message.get("body")
    elif message["type"] == "websocket.send":
        raw = message.get("text")
    else:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if not text or not text.startswith("0{"):
        return None
    try:
        sid = json.loads(text[1:].split("\x1e", 1)[0]).get("sid")
    except (ValueError, AttributeError):
        return None
    return sid if isinstance(sid, str) else None
