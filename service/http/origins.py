"""Cross-origin requests from origins the operator did not allow, refused in front of
everything: one clean 403 problem, logged at INFO.

Without it, Starlette's CORS middleware answered a disallowed preflight with a plain
text 400 (and, with no origins configured, the route answered 405), and Engine.IO
answered its own 400 after logging an ERROR; a browser on any web page can cause
either, so neither is an error of the service.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from service.http.problems import refuse_connection

log = logging.getLogger(__name__)

_HTTP_SCHEME = {"ws": "http", "wss": "https"}


class OriginGate:
    """Lets through requests without an Origin, from the service's own origin, or from
    one of `allowed`; refuses the rest before Socket.IO or any route sees them."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]) -> None:
        self.app = app
        self.allowed = frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            if origin is not None and not self._allows(origin, scope, headers):
                log.info("refused %s from origin %r", scope.get("path"), origin[:256])
                await refuse_connection(
                    scope, receive, send, "forbidden", "Requests from this origin are not allowed."
                )
                return
        await self.app(scope, receive, send)

    def _allows(self, origin: str, scope: Scope, headers: Headers) -> bool:
        if origin in self.allowed:
            return True
        scheme = _HTTP_SCHEME.get(scope["scheme"], scope["scheme"])
        return origin == f"{scheme}://{headers.get('host', '')}"
