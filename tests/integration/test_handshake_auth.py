"""The handshake's token: `auth.token` (HandshakeAuth) or `Authorization: Bearer`."""

from __future__ import annotations

import httpx
import pytest
import socketio

from tests.live import create_group, refusal, register
from tests.schemas import validate_ack


async def test_a_bearer_header_on_the_handshake_authenticates_the_socket(
    http: httpx.AsyncClient, base_url: str
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cid = await create_group(http, alice, bob)
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(
        base_url,
        headers={"Authorization": f"Bearer {alice.token}"},
        transports=["websocket"],
        wait_timeout=5,
    )
    try:
        ack = await client.call("join_conversation", {"conversation_id": cid}, timeout=5)
    finally:
        await client.disconnect()
    assert validate_ack("joinConversation", ack) == "roomAck"


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Basic YWxpY2U6cHc=", "Bearer ", ""])
async def test_a_handshake_without_a_valid_bearer_header_is_refused(
    base_url: str, header: str
) -> None:
    refused = await refusal(base_url, None, headers={"Authorization": header})

    assert refused["data"] == {"code": "unauthorized"}


async def test_auth_token_counts_when_both_come(http: httpx.AsyncClient, base_url: str) -> None:
    alice = await register(http, "alice")

    refused = await refusal(
        base_url, {"token": "not-a-jwt"}, headers={"Authorization": f"Bearer {alice.token}"}
    )

    assert refused["data"] == {"code": "unauthorized"}
