"""The delivery guarantee under load: a socket the server keeps open gets every event of
its rooms, in order; a socket whose client does not drain is closed, and its client
sees the close. Real uvicorn, real python-socketio clients, a real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import socketio

from tests.live import (
    Account,
    create_group,
    insert_users,
    live_server,
    register,
    slow_sockets_closed,
)
from tests.processes import service_process
from tests.raw_socket import PausedReader

MEMBERS, POSTERS, POSTS_EACH = 100, 8, 25


@dataclass
class Listener:
    """A python-socketio client that notes the id of every message_created, in order,
    and whether the server closed it."""

    client: socketio.AsyncClient
    ids: list[int] = field(default_factory=list)
    closed_by_server: bool = False
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def until(self, count: int, seconds: float) -> None:
        """Until `count` messages arrived or the server closed the socket, at most
        `seconds` (less than the heartbeat's timeout, which would close it anyway)."""

        async def wait() -> None:
            while len(self.ids) < count and not self.closed_by_server:
                self.arrived.clear()
                await self.arrived.wait()

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wait(), seconds)


@contextlib.asynccontextmanager
async def listening(url: str, account: Account, conversation_id: int) -> AsyncIterator[Listener]:
    client = socketio.AsyncClient(reconnection=False)
    listener = Listener(client)
    leaving = False

    def created(message: dict[str, int]) -> None:
        listener.ids.append(message["id"])
        listener.arrived.set()

    def gone(*_reason: object) -> None:
        listener.closed_by_server = not leaving
        listener.arrived.set()

    client.on("message_created", created)
    client.on("disconnect", gone)
    await client.connect(url, auth={"token": account.token}, transports=["websocket"])
    ack = await client.call("join_conversation", {"conversation_id": conversation_id})
    assert ack["ok"] is True, ack
    try:
        yield listener
    finally:
        leaving = True
        await client.disconnect()


async def test_a_burst_loses_nothing_on_the_sockets_the_server_keeps_open(
    database: Path, tmp_path: Path
) -> None:
    # The service in a process of its own, as in production, so that it can run ahead
    # of its clients; a queue bound far below the burst, and a backlog bound that holds
    # senders back. Healthy sockets go past the queue bound while the server is behind,
    # and must be kept, with everything.
    bounds = {
        "CHAT_MAX_QUEUED_PACKETS": "16",
        "CHAT_MAX_BACKLOG_PACKETS": "1000",
        "CHAT_SLOW_SOCKET_SECONDS": "5",
    }
    with service_process(f"sqlite+aiosqlite:///{database}", tmp_path / "log", **bounds) as url:
        await _burst(url, database)


async def _burst(url: str, database: Path) -> None:
    async with (
        httpx.AsyncClient(base_url=url, timeout=60) as http,
        contextlib.AsyncExitStack() as stack,
    ):
        owner = await register(http, "owner")
        members = insert_users(database, MEMBERS - 1)
        cid = await create_group(http, owner, *members)
        listeners = [
            await stack.enter_async_context(listening(url, user, cid)) for user in [owner, *members]
        ]
        posters = [owner, *members][:POSTERS]

        async def post(poster: Account) -> list[int]:
            ids = []
            for n in range(POSTS_EACH):
                sent = await http.post(
                    f"/conversations/{cid}/messages",
                    headers=poster.headers,
                    json={"body": f"{poster.username} {n}"},
                )
                assert sent.status_code == 201, sent.text
                ids.append(sent.json()["id"])
            return ids

        sent_ids = sorted(i for ids in await asyncio.gather(*map(post, posters)) for i in ids)
        await asyncio.gather(*(listener.until(len(sent_ids), 20) for listener in listeners))
        # Every socket still open got everything, in order; a closed one got a prefix
        # of it, and knows it was closed.
        kept = [listener for listener in listeners if not listener.closed_by_server]
        missing = [len(sent_ids) - len(listener.ids) for listener in kept]
        assert missing == [0] * len(kept), f"open sockets missing messages: {missing}"
        for listener in listeners:
            assert listener.ids == sent_ids[: len(listener.ids)]
        assert kept, "every socket was closed: nothing shows that open ones get everything"


async def test_a_stalled_reader_is_closed_and_sees_it_while_the_others_get_everything(
    database: Path,
) -> None:
    bounds = {"max_queued_packets": 16, "slow_socket_seconds": 1}
    async with (
        live_server(database, **bounds) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as http,
        contextlib.AsyncExitStack() as stack,
    ):
        alice = await register(http, "alice")
        stalled_user, *others = insert_users(database, 6)
        cid = await create_group(http, alice, stalled_user, *others)
        listeners = [await stack.enter_async_context(listening(url, u, cid)) for u in others]
        # A client that joins, then reads nothing more, with a small TCP window: what
        # the server writes to it soon fills every buffer on the way.
        stalled = await PausedReader.open(url, stalled_user.token, receive_buffer=4096)
        stack.callback(stalled.close)
        await stalled.join(cid)

        sent_ids: list[int] = []

        async def post_until_it_is_closed() -> None:
            while await slow_sockets_closed(http) == "0.0":
                sent = await http.post(
                    f"/conversations/{cid}/messages",
                    headers=alice.headers,
                    json={"body": f"{len(sent_ids)} " + "x" * 3900},
                )
                assert sent.status_code == 201, sent.text
                sent_ids.append(sent.json()["id"])

        await asyncio.wait_for(post_until_it_is_closed(), 120)
        for listener in listeners:
            await listener.until(len(sent_ids), 20)
            assert not listener.closed_by_server
            assert listener.ids == sent_ids

        # Reading again, the stalled client finds a prefix of the messages, then the
        # connection closed: it knows to reconnect and catch up.
        async def read_to_the_close() -> list[int]:
            got = []
            while (frame := await stalled.receive()) is not None:
                if frame.startswith('42["message_created"'):
                    got.append(json.loads(frame[2:])[1]["id"])
            return got

        got = await asyncio.wait_for(read_to_the_close(), 30)
        assert got == sent_ids[: len(got)]
        assert len(got) < len(sent_ids)
        assert await slow_sockets_closed(http) == "1.0"


async def test_a_send_while_the_process_is_behind_is_refused_with_503_and_stores_nothing(
    database: Path,
) -> None:
    # A reader that never drains (and is never given up on here) holds its packets in
    # the process's backlog, past its bound; the writers cannot bring it down.
    bounds = {
        "max_backlog_packets": 1000,
        "backlog_wait_seconds": 0.05,
        "slow_socket_seconds": 300,
    }
    async with (
        live_server(database, **bounds) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as http,
    ):
        alice = await register(http, "alice")
        [stalled_user] = insert_users(database, 1)
        cid = await create_group(http, alice, stalled_user)
        stalled = await PausedReader.open(url, stalled_user.token, receive_buffer=4096)
        try:
            await stalled.join(cid)
            url_of_messages = f"/conversations/{cid}/messages"

            async def send(n: int) -> httpx.Response:
                body = {"body": f"{n} " + "x" * 3900, "client_message_id": f"key-{n}"}
                return await http.post(url_of_messages, headers=alice.headers, json=body)

            sent = 0
            while (answer := await send(sent)).status_code == 201:
                sent += 1
                assert sent < 5000, "the backlog never held a send back"
            assert answer.status_code == 503, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["code"] == "unavailable"
            assert int(answer.headers["Retry-After"]) >= 1
            stored = await http.get(url_of_messages, headers=alice.headers, params={"limit": 1})
            assert stored.json()["items"][-1]["body"].startswith(f"{sent - 1} ")
            metrics = (await http.get("/metrics")).text
            assert 'chat_sends_held_back_total{outcome="refused"} 1.0' in metrics
        finally:
            stalled.close()
