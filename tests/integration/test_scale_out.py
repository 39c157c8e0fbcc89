"""Two service processes behind one PostgreSQL and one Redis act as one service.

A socket on process A receives what a request to process B causes: user-room and
conversation-room events, presence (counting tabs on both processes), typing (never
echoed to the typist's sockets on either process), and a removal that takes the
removed user's socket on A out of the room when B handles it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.databases import POSTGRES_URL, SKIP_REASON, require, wipe
from tests.live import Account, connected, create_group, register
from tests.processes import service_process
from tests.redis_server import redis_server


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[tuple[str, str]]:
    require(POSTGRES_URL is not None, SKIP_REASON)
    assert POSTGRES_URL is not None
    with ExitStack() as stack:
        redis_url = stack.enter_context(redis_server())
        import asyncio

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
    import asyncio

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
