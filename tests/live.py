"""A real service on a free 127.0.0.1 port, and real HTTP and Socket.IO clients for it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import socketio
import uvicorn

from service.app import create_app
from service.settings import Settings
from tests.schemas import validate_event

JWT_SECRET = "integration-test-secret-" + "s" * 32


@asynccontextmanager
async def live_server(database: Path, **overrides: Any) -> AsyncIterator[str]:
    """Serve create_app() with uvicorn on an ephemeral loopback port; yields the base URL."""
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{database}", jwt_secret=JWT_SECRET, **overrides
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="on")
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


@dataclass
class Received:
    event: str
    data: Any


@dataclass
class SocketUser:
    """A python-socketio client that records every event after checking it against the spec."""

    account: Account
    client: socketio.AsyncClient
    received: list[Received] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, event: str, data: Any) -> None:
        validate_event(event, data)
        self.received.append(Received(event, data))
        self._arrived.set()

    async def call(self, event: str, payload: Any = None, *extra: Any) -> Any:
        args = (payload, *extra) if extra else payload
        return await self.client.call(event, args, timeout=5)

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

        return await asyncio.wait_for(find(), seconds)

    def events(self, name: str | None = None) -> list[Received]:
        return [r for r in self.received if name is None or r.event == name]


@asynccontextmanager
async def connected(base_url: str, account: Account) -> AsyncIterator[SocketUser]:
    client = socketio.AsyncClient(reconnection=False)
    user = SocketUser(account, client)
    client.on("*", user.record)
    await client.connect(
        base_url, auth={"token": account.token}, transports=["websocket"], wait_timeout=5
    )
    try:
        yield user
    finally:
        await client.disconnect()
