"""Long-polling as the official Python client reads it (finding F8)."""

from __future__ import annotations

import asyncio
import json

import httpx
from engineio.payload import Payload

from tests.live import create_group, register

SOCKET_IO = "/socket.io/?EIO=4&transport=polling"


async def test_a_burst_arrives_in_polling_responses_the_python_client_accepts(
    http: httpx.AsyncClient, base_url: str
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cid = await create_group(http, alice, bob)
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as polling:
        opened = (await polling.get(SOCKET_IO)).text
        url = f"{SOCKET_IO}&sid={json.loads(opened[1:])['sid']}"

        async def post(packet: str) -> None:
            assert (await polling.post(url, content=packet)).text == "OK"

        async def poll() -> list[str]:
            # Payload is what python-socketio's client decodes a response with.
            return [
                p.encode() for p in Payload(encoded_payload=(await polling.get(url)).text).packets
            ]

        await post("40" + json.dumps({"token": bob.token}))
        assert (await poll())[0].startswith("40{")
        await post("421" + json.dumps(["join_conversation", {"conversation_id": cid}]))
        acked = await poll()
        assert acked[0] == (
            "431" + json.dumps([{"ok": True, "conversation_id": cid}], separators=(",", ":"))
        )
        # Bob's own arrival is told on the presence clock (every second), whenever that
        # falls: it may share this poll, and nothing else may.
        assert all(p.startswith('42["presence_changed",') for p in acked[1:]), acked

        # Bob does not poll while Alice posts: his socket's queue fills up.
        for n in range(40):
            sent = await http.post(
                f"/conversations/{cid}/messages", headers=alice.headers, json={"body": f"m{n}"}
            )
            assert sent.status_code == 201

        bodies: list[str] = []
        while len(bodies) < 40:
            for packet in await poll():
                event, payload = json.loads(packet[2:])
                if event == "message_created":
                    bodies.append(payload["body"])

    assert bodies == [f"m{n}" for n in range(40)]


async def test_a_polling_client_that_closes_its_session_is_answered_at_once(
    http: httpx.AsyncClient, base_url: str
) -> None:
    """Its pending poll used to be held until the ping interval and timeout ran out
    (about 30 s): python-socketio's client waits for it in disconnect()."""
    alice = await register(http, "alice")
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as polling:
        opened = (await polling.get(SOCKET_IO)).text
        url = f"{SOCKET_IO}&sid={json.loads(opened[1:])['sid']}"
        assert (
            await polling.post(url, content="40" + json.dumps({"token": alice.token}))
        ).text == "OK"
        assert (await polling.get(url)).text.startswith("40{")
        pending = asyncio.create_task(polling.get(url))  # nothing to send: it waits
        await asyncio.sleep(0)

        assert (await polling.post(url, content="1")).text == "OK"  # Engine.IO close
        answered = await asyncio.wait_for(pending, 10)
        after = await polling.get(url)

    assert answered.status_code == 200
    assert after.status_code == 400  # the session is gone
