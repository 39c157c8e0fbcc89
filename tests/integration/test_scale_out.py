"""Two service processes behind one PostgreSQL and one Redis act as one service.

A socket on process A receives what a request to process B causes: user-room and
conversation-room events, presence (counting tabs on both processes), typing (never
echoed to the typist's sockets on either process), and a removal that takes the
removed user's socket on A out of the room when B handles it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from tests.databases import POSTGRES_URL, SKIP_REASON, require, wipe
from tests.integration.test_resume import resume_from, sync_of
from tests.live import Account, connected, create_group, register
from tests.network import link
from tests.processes import service_process
from tests.redis_server import redis_server


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[tuple[str, str]]:
    require(POSTGRES_URL is not None, SKIP_REASON)
    assert POSTGRES_URL is not None
    with ExitStack() as stack:
        redis_url = stack.enter_context(redis_server())
        asyncio.run(wipe(POSTGRES_URL))
        urls = [
            stack.enter_context(
                service_process(POSTGRES_URL, tmp_path / f"{name}.log", CHAT_REDIS_URL=redis_url)
            )
            for name in ("a", "b")
        ]
        yield urls[0], urls[1]


async def _post(http: httpx.AsyncClient, who: Account, path: str, body: object) -> httpx.Response:
    response = await http.post(path, headers=who.headers, json=body)
    assert response.status_code in (200, 201), response.text
    return response


def test_requests_on_one_process_reach_sockets_on_the_other(
    two_processes: tuple[str, str],
) -> None:
    asyncio.run(_scenario(*two_processes))


async def _scenario(url_a: str, url_b: str) -> None:
    async with httpx.AsyncClient(base_url=url_b, timeout=10) as on_b:
        alice, bob, carol = [await register(on_b, n) for n in ("alice", "bob", "carol")]
        async with (
            connected(url_a, alice) as alice_a,
            connected(url_a, carol) as carol_a,
            connected(url_a, bob) as bob_a,
        ):
            cid = await create_group(on_b, alice, bob, carol, title="Scale")
            assert (await alice_a.wait_for("conversation_created"))["id"] == cid
            for socket in (alice_a, carol_a, bob_a):
                assert (await socket.join(cid))["ok"] is True

            sent = await _post(on_b, bob, f"/conversations/{cid}/messages", {"body": "via B"})
            assert await alice_a.wait_for("message_created") == sent.json()

            # Bob's second tab, on B: no new presence; typing there reaches A but
            # not Bob's own socket on A.
            async with connected(url_b, bob) as bob_b:
                assert (await bob_b.join(cid))["ok"] is True
                ack = await bob_b.call("typing", {"conversation_id": cid, "state": "start"})
                assert ack["ok"] is True
                typing = await alice_a.wait_for("typing")
                assert typing == {"conversation_id": cid, "user_id": bob.id, "state": "start"}
                await bob_a.barrier()
                assert bob_a.events("typing") == []
            await bob_a.barrier()
            await alice_a.barrier()
            assert [
                e for e in alice_a.events("presence_changed") if bob.id in e.data["offline"]
            ] == []

            # Carol is removed by a request to B: her socket on A leaves the room.
            removed = await on_b.delete(
                f"/conversations/{cid}/participants/{carol.id}", headers=alice.headers
            )
            assert removed.status_code == 204
            await carol_a.wait_for("conversation_deleted")
            await _post(on_b, alice, f"/conversations/{cid}/messages", {"body": "after"})
            await alice_a.wait_for("message_created", lambda m: m["body"] == "after")
            await carol_a.barrier()
            assert [m.data["body"] for m in carol_a.events("message_created")] == ["via B"]

        # Bob's last socket closed on A: Alice, on B now, is told he is offline.
        async with connected(url_b, alice) as alice_b:
            async with connected(url_a, bob):
                await alice_b.wait_for("presence_changed", lambda e: bob.id in e["online"])
            await alice_b.wait_for("presence_changed", lambda e: bob.id in e["offline"])

        # Alice logs out through B: her socket on A is told, and disconnected.
        async with connected(url_a, alice) as alice_a:
            assert (await on_b.post("/auth/logout", headers=alice.headers)).status_code == 204
            assert await alice_a.wait_for("session_ended") == {"reason": "logged_out"}
            await alice_a.disconnected()


def test_a_process_cut_off_from_redis_closes_its_sockets_and_they_refetch(
    tmp_path: Path,
) -> None:
    # Process A reaches Redis through a link the test takes down for a while; B does
    # not. What B publishes meanwhile never reaches A: A's sockets must not stay open
    # as if nothing happened. A closes them when its subscription breaks, and a
    # position it gave before cannot resume (its log may have a gap): the client is
    # told to refetch, and then gets what B sends, live again.
    require(POSTGRES_URL is not None, SKIP_REASON)
    assert POSTGRES_URL is not None
    with redis_server() as redis_url:
        asyncio.run(_cut_off(POSTGRES_URL, redis_url, tmp_path))


async def _cut_off(database: str, redis_url: str, tmp_path: Path) -> None:
    await wipe(database)
    async with link(redis_url) as cable:
        with ExitStack() as stack:

            def start(name: str, redis: str) -> str:
                log = tmp_path / f"{name}.log"
                return stack.enter_context(service_process(database, log, CHAT_REDIS_URL=redis))

            # In threads: the link runs on this loop while the processes start.
            url_a = await asyncio.to_thread(start, "a", f"redis://127.0.0.1:{cable.port}/0")
            url_b = await asyncio.to_thread(start, "b", redis_url)
            async with httpx.AsyncClient(base_url=url_b, timeout=10) as on_b:
                alice, bob = [await register(on_b, n) for n in ("alice", "bob")]
                cid = await create_group(on_b, bob, alice, title="Cut")
                async with connected(url_a, alice, resume={}) as alice_a:
                    assert (await alice_a.join(cid))["ok"] is True
                    await _post(on_b, bob, f"/conversations/{cid}/messages", {"body": "before"})
                    await alice_a.wait_for("message_created")
                    resume = resume_from(alice_a)
                    cable.offline()
                    await alice_a.disconnected(seconds=10)
                    await _post(on_b, bob, f"/conversations/{cid}/messages", {"body": "cut"})
                    cable.online()
                restored = "the subscription to Redis was restored"
                await asyncio.to_thread(_logged, tmp_path / "a.log", restored)
                async with connected(url_a, alice, resume=resume) as again:
                    sync = sync_of(again)
                    assert (sync["resumed"], sync["reason"]) == (False, "unknown")
                    page = await on_b.get(f"/conversations/{cid}/messages", headers=alice.headers)
                    assert [m["body"] for m in page.json()["items"]] == ["before", "cut"]
                    assert (await again.join(cid))["ok"] is True
                    await _post(on_b, bob, f"/conversations/{cid}/messages", {"body": "after"})
                    live = await again.wait_for("message_created", seconds=10)
                    assert live["body"] == "after"


def _logged(log: Path, text: str, seconds: float = 30) -> None:
    """Until the process logs `text` (at most `seconds`, a bound, not a measure)."""
    deadline = time.monotonic() + seconds
    while text not in log.read_text():
        assert time.monotonic() < deadline, f"{log} never said {text!r}:\n{log.read_text()}"
        time.sleep(0.05)


def test_a_gap_in_another_processs_numbers_closes_every_socket(tmp_path: Path) -> None:
    # Another process's message that never came (it failed to publish it, or Redis
    # dropped it) shows as a gap in its numbers, heartbeat or not: every socket here
    # may lack it, so every one is closed (and its clients refetch).
    with redis_server() as redis_url:
        database = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
        with service_process(database, tmp_path / "a.log", CHAT_REDIS_URL=redis_url) as url:
            asyncio.run(_gap(url, redis_url))


async def _gap(url: str, redis_url: str) -> None:
    async with (
        httpx.AsyncClient(base_url=url, timeout=10) as http,
        Redis.from_url(redis_url) as redis,
    ):
        alice = await register(http, "alice")
        async with connected(url, alice, resume={}) as socket:

            async def publish(method: str, number: int, **more: object) -> None:
                message = {"method": method, "host_id": "elsewhere", "seq": number, **more}
                message["namespace"] = "/"
                await redis.publish("socketio", json.dumps(message))

            # A heartbeat repeats the last number; a message moves it on by one. The
            # message is an emit to Alice's room: once she has it, all before it was
            # checked.
            await publish("heartbeat", 7)
            await publish("heartbeat", 7)
            deleted = {"conversation_id": 1, "reason": "deleted"}
            room = f"user:{alice.id}"
            await publish("emit", 8, event="conversation_deleted", data=[deleted], room=room)
            await socket.wait_for("conversation_deleted")
            assert not socket.gone.is_set()
            await publish("heartbeat", 10)  # 9 never came
            await socket.disconnected(seconds=10)
