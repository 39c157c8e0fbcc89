"""The running service keeps asyncapi.yaml: every operation happens, nothing else does.

One scenario drives every operation of the spec on a real server with real
python-socketio clients. Each socket validates every event against the spec's own
JSON schema (and the generated model), checks that it arrived on a channel the socket
is in, and validates every acknowledgement against the operation's reply messages.
At the end, every message and every operation declared in asyncapi.yaml must have
been observed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live import Observation, connected, create_group, live_server, refusal, register
from tests.schemas import load


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    async with live_server(tmp_path / "chat.db") as url, httpx.AsyncClient(base_url=url) as http:
        yield url, http


def _in_state(state: str, event: dict[str, Any]) -> bool:
    return bool(event["state"] == state)


def _declared() -> tuple[set[str], set[str]]:
    spec = load("asyncapi.yaml")
    # Events by their name, acknowledgements (which have none) by their key.
    messages = {message.get("name", key) for key, message in spec["components"]["messages"].items()}
    return messages, set(spec["operations"])


async def test_every_declared_operation_and_message_is_observed(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    base_url, http = server
    seen = Observation()
    alice, bob, carol = [await register(http, name) for name in ("alice", "bob", "carol")]

    await refusal(base_url, {"token": "expired-or-forged"}, seen)
    async with (
        connected(base_url, alice, seen) as a,
        connected(base_url, bob, seen) as b,
        # Bob's other tab asks for positions: `sync`, and a position with every event
        # that is not ephemeral, each checked against the spec.
        connected(base_url, bob, seen, resume={}) as bob_other_tab,
    ):
        async with connected(base_url, carol, seen) as c:
            cid = await create_group(http, alice, bob)
            await b.wait_for("conversation_created")
            assert (await a.join(cid))["ok"] is True
            assert (await b.join(cid))["ok"] is True
            assert (await c.join(cid))["error"]["code"] == "not_found"

            sent = await http.post(
                f"/conversations/{cid}/messages", headers=alice.headers, json={"body": "hi"}
            )
            mid = sent.json()["id"]
            await b.wait_for("message_created")
            await b.wait_for("conversation_activity")
            delivered = await b.call("mark_delivered", {"conversation_id": cid, "message_id": mid})
            assert delivered["last_delivered_message_id"] == mid
            await a.wait_for("message_delivered")
            mark = {"message_id": mid}
            read = await http.post(f"/conversations/{cid}/read", headers=bob.headers, json=mark)
            assert read.status_code == 200
            await a.wait_for("message_read")
            await bob_other_tab.wait_for("message_read")
            await bob_other_tab.wait_for("unread_count_updated")

            for state in ("start", "stop"):
                typing = await b.call("typing", {"conversation_id": cid, "state": state})
                assert typing["ok"] is True, typing
                await a.wait_for("typing", partial(_in_state, state))

            edit = {"body": "hi there"}
            url = f"/conversations/{cid}/messages/{mid}"
            assert (await http.patch(url, headers=alice.headers, json=edit)).status_code == 200
            await b.wait_for("message_updated")
            pinned = await http.put(f"/conversations/{cid}/pins/{mid}", headers=bob.headers)
            assert pinned.status_code == 200
            await a.wait_for("pins_updated")
            reply = {"body": "Bob?", "reply_to": mid, "mentions": [bob.id]}
            replied = await http.post(
                f"/conversations/{cid}/messages", headers=alice.headers, json=reply
            )
            assert replied.status_code == 201, replied.text
            await bob_other_tab.wait_for("message_mentioned")
            react = f"/conversations/{cid}/messages/{mid}/reactions/%F0%9F%91%8D"
            assert (await http.put(react, headers=bob.headers)).status_code == 200
            await a.wait_for("reaction_updated")

            await http.patch(f"/conversations/{cid}", headers=alice.headers, json={"title": "Go"})
            await b.wait_for("conversation_updated")
            add = {"user_ids": [carol.id]}
            await http.post(f"/conversations/{cid}/participants", headers=alice.headers, json=add)
            await c.wait_for("conversation_created")
        # Carol's only socket closed: her new contacts see her leave, then come back.
        await a.wait_for("presence_changed", lambda event: carol.id in event["offline"])
        async with connected(base_url, carol, seen) as carol_again:
            await b.wait_for("presence_changed", lambda event: carol.id in event["online"])
            await http.delete(
                f"/conversations/{cid}/participants/{carol.id}", headers=alice.headers
            )
            await carol_again.wait_for("conversation_deleted")
        assert (await a.call("leave_conversation", {"conversation_id": cid}))["ok"] is True
        await http.delete(f"/conversations/{cid}", headers=alice.headers)
        await b.wait_for("conversation_deleted")
        for user in (a, b, bob_other_tab):
            await user.barrier()
        assert b.events("typing") == [], "the typist's own sockets are skipped"

        # Alice renews her socket's token, then logs out with it: the session ends.
        login = {"username": "alice", "password": "alice-password"}
        renewed = (await http.post("/auth/login", json=login)).json()["access_token"]
        assert (await a.call("refresh_token", {"token": renewed}))["ok"] is True
        logout = await http.post("/auth/logout", headers={"Authorization": f"Bearer {renewed}"})
        assert logout.status_code == 204
        await a.wait_for("session_ended")
        await a.disconnected()

    messages, operations = _declared()
    assert seen.messages == messages
    assert seen.operations == operations
