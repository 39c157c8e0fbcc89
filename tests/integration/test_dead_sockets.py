"""Dead sockets met by broadcasts: closed after them, never inside them (no cascade)."""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest

from tests.live import connected, create_group, insert_users, live_server, register
from tests.raw_socket import raw_socket

DEAD, LIVE = 300, 5


async def test_a_broadcast_that_meets_dead_sockets_finishes_and_they_are_closed_after(
    database: Path, caplog: pytest.LogCaptureFixture
) -> None:
    heartbeat = {"ping_interval_seconds": 0.5, "ping_timeout_seconds": 2}
    async with (
        live_server(database, **heartbeat) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
        AsyncExitStack() as stack,
    ):
        owner = await register(http, "owner")
        users = [owner, *insert_users(database, DEAD + LIVE - 1)]
        others = [u.id for u in users[1:]]
        group = {"kind": "group", "title": "Big", "participant_ids": others[:200]}
        cid = (await http.post("/conversations", headers=owner.headers, json=group)).json()["id"]
        more = {"user_ids": others[200:]}
        added = await http.post(
            f"/conversations/{cid}/participants", headers=owner.headers, json=more
        )
        assert added.status_code == 200, added.text
        live = [await stack.enter_async_context(connected(url, u)) for u in users[:LIVE]]
        for socket in live:
            assert (await socket.join(cid))["ok"] is True
        pumps = []
        for n, user in enumerate(users[LIVE:]):
            dead = await stack.enter_async_context(raw_socket(url, user.token, close_timeout=0))
            assert (await dead.call(n + 1, "join_conversation", {"conversation_id": cid}))["ok"]
            pumps.append(asyncio.create_task(dead.pump()))
        # Now they go silent: no pong, so Engine.IO times them out, from its sweep or
        # from a send, each a departure that tells all its contacts, dead ones included.
        for pump in pumps:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)

        async def only_the_live_are_online() -> None:
            while True:
                online = (await http.get("/presence", headers=owner.headers)).json()
                if online["online_user_ids"] == [u.id for u in users[1:LIVE]]:
                    return
                await asyncio.sleep(0.1)

        await asyncio.wait_for(only_the_live_are_online(), 30)
        sent = await http.post(
            f"/conversations/{cid}/messages", headers=owner.headers, json={"body": "still here"}
        )
        for socket in live:
            assert (await socket.wait_for("message_created"))["id"] == sent.json()["id"]

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_socket_that_stops_reading_is_closed_and_stalls_no_one(database: Path) -> None:
    slow = {"max_queued_packets": 16, "slow_socket_seconds": 0.5}
    async with (
        live_server(database, **slow) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        alice, bob, carol = [await register(http, n) for n in ("alice", "bob", "carol")]
        cid = await create_group(http, alice, bob, carol)
        # Bob's client long-polls, and then stops: what the server sends him waits in
        # his socket's queue, as it would for a client on a link too slow to keep up.
        handshake = {"EIO": "4", "transport": "polling"}
        opened = (await http.get("/socket.io/", params=handshake)).text
        session = {**handshake, "sid": json.loads(opened[1:])["sid"]}
        await http.post(
            "/socket.io/", params=session, content="40" + json.dumps({"token": bob.token})
        )
        assert (await http.get("/socket.io/", params=session)).text.startswith("40{")
        join = json.dumps(["join_conversation", {"conversation_id": cid}])
        await http.post("/socket.io/", params=session, content="420" + join)
        async with connected(url, carol) as live:
            assert (await live.join(cid))["ok"] is True

            async def bob_online() -> bool:
                response = await http.get("/presence", headers=carol.headers)
                return bob.id in response.json()["online_user_ids"]

            async def send_until_bob_is_dropped() -> tuple[int, int]:
                sent = 0
                while await bob_online():
                    response = await http.post(
                        f"/conversations/{cid}/messages",
                        headers=alice.headers,
                        json={"body": "hi"},
                    )
                    assert response.status_code == 201
                    sent += 1
                last: int = response.json()["id"]
                return sent, last

            sent, last = await asyncio.wait_for(send_until_bob_is_dropped(), 60)
            assert await live.wait_for("message_created", lambda m: m["id"] == last)
            assert len(live.events("message_created")) == sent
        # Bob's client, polling again, learns that its session is over.
        again = await http.get("/socket.io/", params=session)
        assert again.status_code == 400 or again.text == "1", again.text
        metrics = (await http.get("/metrics")).text
        assert "chat_slow_sockets_closed_total 1.0" in metrics
