"""The per-address cap on open Socket.IO sessions, without a server around it."""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from service.metrics import Metrics
from service.ratelimit import RateLimiter
from service.realtime.handshakes import SWEEP_EVERY, HandshakeLimit


class EngineIO:
    """Answers every handshake with an open packet naming a new session."""

    def __init__(self) -> None:
        self.opened = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.opened += 1
        await send({"type": "websocket.send", "text": f'0{{"sid":"s{self.opened}"}}'})


# A new session's WebSocket handshake from one address.
SCOPE: Scope = {
    "type": "websocket",
    "path": "/socket.io/",
    "query_string": b"EIO=4&transport=websocket",
    "client": ("10.0.0.1", 5000),
}


async def _nothing() -> Message:
    return {"type": "websocket.disconnect"}


async def _drop(_message: Message) -> None:
    return None


async def test_a_reconnect_storm_from_one_address_costs_linear_work() -> None:
    """Checking every held session on every handshake made N handshakes from one
    address (an office behind a NAT) cost N²/2 checks: 2,000 cost two million."""
    checks = 0
    closed: set[str] = set()

    def is_open(sid: str) -> bool:
        nonlocal checks
        checks += 1
        return sid not in closed

    engine = EngineIO()
    limit = HandshakeLimit(
        engine, RateLimiter({"handshakes": "1000000/minute"}), 1_000_000, is_open, Metrics()
    )
    for _ in range(2_000):
        await limit(SCOPE, _nothing, _drop)
    closed.update(f"s{n}" for n in range(1, 2_001))  # everyone drops ...
    for _ in range(2_000):
        await limit(SCOPE, _nothing, _drop)  # ... and comes back

    assert engine.opened == 4_000
    assert checks <= 4 * 4_000, checks
    assert len(limit.sessions["10.0.0.1"]) <= 2 * 2_000 + 16


async def test_the_cap_still_counts_only_open_sessions() -> None:
    closed: set[str] = set()
    engine = EngineIO()
    limit = HandshakeLimit(
        engine,
        RateLimiter({"handshakes": "1000000/minute"}),
        3,
        lambda sid: sid not in closed,
        Metrics(),
    )
    refused: list[Message] = []

    async def record(message: Message) -> None:
        if message["type"] != "websocket.send":
            refused.append(message)

    for _ in range(3):
        await limit(SCOPE, _nothing, record)
    assert engine.opened == 3
    await limit(SCOPE, _nothing, record)  # a fourth open session: refused
    assert engine.opened == 3
    assert refused

    closed.add("s1")
    await limit(SCOPE, _nothing, record)  # one closed: room for one more
    assert engine.opened == 4


async def test_addresses_that_never_come_back_are_forgotten() -> None:
    """Closed sessions were forgotten only when their address handshook again: one
    handshake from each of many addresses grew the bookkeeping for ever."""
    closed: set[str] = set()
    engine = EngineIO()
    limit = HandshakeLimit(
        engine,
        RateLimiter({"handshakes": "1000000/minute"}),
        256,
        lambda sid: sid not in closed,
        Metrics(),
    )
    for n in range(5 * SWEEP_EVERY):
        scope = {**SCOPE, "client": (f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", 5000)}
        await limit(scope, _nothing, _drop)
        closed.add(f"s{engine.opened}")  # each visitor leaves and never returns

    held = sum(len(sids) for sids in limit.sessions.values())
    assert held <= SWEEP_EVERY
    assert len(limit.sessions) <= SWEEP_EVERY
