"""Long-polling as the official Python client reads it (finding F8)."""

from __future__ import annotations

import asyncio
import json

import httpx
import socketio
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
        assert (await poll()) == [
            "431" + json.dumps([{"ok": True, "conversation_id": cid}], separators=(",", ":"))
        ]

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


async def test_a_polling_client_that_disconnects_is_let_go_at_once(
    http: httpx.AsyncClient, base_url: str
) -> None:
    """Its pending poll used to be held until the ping interval and timeout ran out
    (about 30 s): the client's disconnect() waited as long."""
    alice = await register(http, "alice")
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(
        base_url, auth={"token": alice.token}, transports=["polling"], wait_timeout=5
    )
    await client.emit("typing", {"conversation_id": 1, "state": "stop"})  # a poll is pending

    await asyncio.wait_for(client.disconnect(), 10)

    assert not client.connected
