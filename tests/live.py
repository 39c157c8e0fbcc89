"""A real service on a free 127.0.0.1 port, and real HTTP and Socket.IO clients for it."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import socketio
import uvicorn
from starlette.types import ASGIApp

from service.app import create_app
from service.auth.tokens import TokenCodec
from service.domain.clock import utc_now
from service.settings import Settings
from tests.schemas import (
    ephemeral_events,
    receive_operations,
    send_operations,
    validate_ack,
    validate_event,
    validate_position,
)

JWT_SECRET = "integration-test-secret-" + "s" * 32
# Tests make many accounts, sockets and messages from one address in a few seconds;
# the rate limit tests pass their own, tight, limits instead (`tight`).
GENEROUS_LIMITS: dict[str, Any] = {
    "rate_auth": "10000/minute",
    "rate_login_per_account": "10000/minute",
    "rate_send": "10000/minute",
    "rate_edit": "10000/minute",
    "rate_socket_events": "100000/minute",
    "rate_handshakes": "10000/minute",
    "max_connections_per_address": 100_000,
}

# The window of the tight limits. The limiter's sliding-window counter lets one extra
# hit through when a window boundary falls between two hits (it floors the weighted
# count), so minute-long windows made a limit test fail about once a hundred runs,
# whenever it ran across a minute; a day-long one only across midnight UTC.
TIGHT_WINDOW_SECONDS = 86_400


def tight(hits: int) -> str:
    """A rate of `hits` per TIGHT_WINDOW_SECONDS, in the limits library's notation."""
    return f"{hits}/day"


@asynccontextmanager
async def live_server(database: Path, **overrides: Any) -> AsyncIterator[str]:
    """Serve create_app() with uvicorn on an ephemeral loopback port; yields the base URL."""
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{database}",
        jwt_secret=JWT_SECRET,
        **{**GENEROUS_LIMITS, **overrides},
    )
    async with serving(create_app(settings)) as url:
        yield url


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[str]:
    """Any ASGI app on uvicorn at an ephemeral loopback port; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # As `python -m service` runs it: forwarded headers are the app's to believe or not.
    config = uvicorn.Config(app, log_level="warning", lifespan="on", proxy_headers=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class Account:
    id: int
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def register(http: httpx.AsyncClient, username: str) -> Account:
    password = f"{username}-password"
    created = await http.post(
        "/auth/register",
        json={"username": username, "password": password, "display_name": username.title()},
    )
    assert created.status_code == 201, created.text
    login = await http.post("/auth/login", json={"username": username, "password": password})
    assert login.status_code == 200, login.text
    return Account(created.json()["id"], username, login.json()["access_token"])


async def create_group(
    http: httpx.AsyncClient, owner: Account, *others: Account, title: str = "Launch"
) -> int:
    """A group of `owner` and `others`, created over HTTP; its id."""
    created = await http.post(
        "/conversations",
        headers=owner.headers,
        json={"kind": "group", "title": title, "participant_ids": [o.id for o in others]},
    )
    assert created.status_code == 201, created.text
    conversation_id: int = created.json()["id"]
    return conversation_id


async def send_message(
    http: httpx.AsyncClient, sender: Account, conversation_id: int, body: str
) -> dict[str, Any]:
    """A message sent over HTTP (201 asserted); its JSON."""
    url = f"/conversations/{conversation_id}/messages"
    sent = await http.post(url, headers=sender.headers, json={"body": body})
    assert sent.status_code == 201, sent.text
    message: dict[str, Any] = sent.json()
    return message


@dataclass
class Received:
    event: str
    data: Any
    position: str | None = None


@dataclass
class Observation:
    """What the tests saw of asyncapi.yaml: message names, and send operations by channel."""

    messages: set[str] = field(default_factory=set)
    operations: set[str] = field(default_factory=set)


@dataclass
class SocketUser:
    """A python-socketio client that checks everything it receives against asyncapi.yaml.

    Events and acknowledgements are validated against the spec's schemas; an event the
    spec does not declare, or one that arrives on a channel this socket is not in, is a
    violation. Violations are collected rather than raised, because python-socketio
    swallows exceptions raised in event handlers; `connected()` fails on them.
    """

    account: Account
    client: socketio.AsyncClient
    observation: Observation
    received: list[Received] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    joined: set[int] = field(default_factory=set)
    positioned: bool = False
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    gone: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, event: str, *args: Any) -> None:
        try:
            # A socket that asked for positions (`auth.resume`) gets one with every event
            # that is not ephemeral, as a second argument; other sockets never do.
            positioned = self.positioned and event not in ephemeral_events()
            if len(args) != (2 if positioned else 1):
                raise AssertionError(f"{event} carried {len(args)} arguments")
            validate_event(event, args[0])
            if positioned:
                validate_position(event, args[1])
            self.observation.messages.add(event)
            self.observation.operations.add(self._operation(event, args[0]))
        except Exception as exc:  # every failure is a contract violation to report
            self.violations.append(f"{event} {args!r}: {exc}")
            return
        self.received.append(Received(event, args[0], args[1] if len(args) == 2 else None))
        self._arrived.set()

    def _operation(self, event: str, data: Any) -> str:
        """The send operation this event must belong to, given the rooms of this socket."""
        candidates = send_operations(event)
        if "namespace" in candidates:  # to this socket alone (sync)
            return candidates["namespace"]
        if "sessionRoom" in candidates:  # every socket is in its token's room
            return candidates["sessionRoom"]
        if "membersRoom" in candidates:  # every socket of a participant, automatically
            return candidates["membersRoom"]
        conversation_id = data.get("conversation_id") if isinstance(data, dict) else None
        in_room = conversation_id in self.joined
        # An event declared on both channels reaches the room's other members through
        # the conversation room, and the user's own sockets through the user room.
        only_personal = "conversationRoom" not in candidates
        reader = data.get("reader") if isinstance(data, dict) else None
        mine = isinstance(reader, dict) and reader.get("id") == self.account.id
        if "userRoom" in candidates and (only_personal or not in_room or mine):
            return candidates["userRoom"]
        if "conversationRoom" in candidates and in_room:
            return candidates["conversationRoom"]
        raise AssertionError(f"{event} arrived on a socket outside its channels {candidates}")

    async def call(self, event: str, *args: Any) -> Any:
        """Emit a client event with `args` and return its acknowledgement, checked against
        the reply messages of the operation that receives `event` (if the spec has one)."""
        payload = args[0] if len(args) == 1 else args
        ack = await self.client.call(event, payload, timeout=5)
        operation = receive_operations().get(event)
        if operation is not None:
            reply = validate_ack(operation, ack)
            self.observation.messages.update((event, reply))
            self.observation.operations.add(operation)
            if reply == "roomAck" and isinstance(payload, dict):
                room = payload["conversation_id"]
                (self.joined.add if event == "join_conversation" else self.joined.discard)(room)
        return ack

    async def join(self, conversation_id: int) -> Any:
        return await self.call("join_conversation", {"conversation_id": conversation_id})

    async def barrier(self) -> None:
        """A round trip on this socket: every event emitted to it before has arrived."""
        ack = await self.call("leave_conversation", {"conversation_id": 9007199254740991})
        assert ack["ok"] is True

    async def wait_for(
        self, event: str, where: Callable[[Any], bool] = lambda _: True, seconds: float = 5
    ) -> Any:
        async def find() -> Any:
            while True:
                for item in self.received:
                    if item.event == event and where(item.data):
                        return item.data
                self._arrived.clear()
                await self._arrived.wait()

        try:
            return await asyncio.wait_for(find(), seconds)
        except TimeoutError:
            raise AssertionError(
                f"no {event} within {seconds}s; violations: {self.violations}"
            ) from None

    async def disconnected(self, seconds: float = 5) -> None:
        """Wait until the server has disconnected this socket."""

        try:
            await asyncio.wait_for(self.gone.wait(), seconds)
        except TimeoutError:
            raise AssertionError(f"still connected after {seconds}s") from None

    def events(self, name: str | None = None) -> list[Received]:
        return [r for r in self.received if name is None or r.event == name]


@asynccontextmanager
async def connected(
    base_url: str,
    account: Account,
    observation: Observation | None = None,
    *,
    resume: dict[str, Any] | None = None,
    joined: set[int] | None = None,
) -> AsyncIterator[SocketUser]:
    """A checked socket; with `resume` (the handshake's `auth.resume`), one that gets
    positions, back in the conversation rooms `joined` when it resumes."""
    client = socketio.AsyncClient(reconnection=False)
    user = SocketUser(account, client, observation or Observation(), positioned=resume is not None)
    user.joined.update(joined or ())
    client.on("*", user.record)
    client.on("disconnect", lambda *_reason: user.gone.set())
    auth: dict[str, Any] = {"token": account.token}
    if resume is not None:
        auth["resume"] = resume
    await client.connect(base_url, auth=auth, transports=["websocket"], wait_timeout=5)
    try:
        yield user
    finally:
        await client.disconnect()
    assert user.violations == [], user.violations


async def refusal(
    base_url: str,
    auth: Any,
    observation: Observation | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """Connect with `auth` (and handshake `headers`), expecting a refusal; the
    `connect_error` payload, checked."""
    client = socketio.AsyncClient(reconnection=False)
    refusals: list[Any] = []
    client.on("connect_error", refusals.append)
    try:
        await client.connect(
            base_url, auth=auth, headers=headers or {}, transports=["websocket"], wait_timeout=5
        )
    except socketio.exceptions.ConnectionError:
        pass
    else:
        await client.disconnect()
        raise AssertionError(f"a socket with auth {auth!r} was let in")
    [payload] = refusals
    validate_event("connect_error", payload)
    if observation is not None:
        observation.messages.add("connect_error")
        observation.operations.update(send_operations("connect_error").values())
    return payload


async def slow_sockets_closed(http: httpx.AsyncClient) -> str:
    """The service's count of sockets it closed as too slow, as /metrics shows it."""
    metrics = (await http.get("/metrics")).text
    return next(
        line.split()[-1]
        for line in metrics.splitlines()
        if line.startswith("chat_slow_sockets_closed_total")
    )


@dataclass
class TwoGroups:
    """Alice and Bob, in a group of their own and in one with 250 more members: where a
    cost that grows with the group would show."""

    alice: Account
    bob: Account
    small: int
    large: int


async def two_groups(http: httpx.AsyncClient, database: Path) -> TwoGroups:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    crowd = insert_users(database, 250)
    small = await create_group(http, alice, bob)
    large = await create_group(http, alice, bob, *crowd)
    return TwoGroups(alice, bob, small, large)


def insert_users(database: Path, count: int) -> list[Account]:
    """Accounts written straight to the SQLite file, with tokens signed by the test
    secret: registering hundreds would mean hashing hundreds of passwords."""
    codec = TokenCodec(JWT_SECRET, 3600, utc_now)
    with sqlite3.connect(database) as db:
        first = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM users").fetchone()[0]
        db.executemany(
            "INSERT INTO users (id, username, display_name, password_hash, created_at)"
            " VALUES (?, ?, ?, 'unusable', '2026-01-01 00:00:00')",
            [(first + n, f"many{n}", f"Many {n}") for n in range(count)],
        )
    return [Account(first + n, f"many{n}", codec.issue(first + n).token) for n in range(count)]
