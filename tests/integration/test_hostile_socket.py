"""Socket.IO frames an attacker would send (findings F1, F5, F6): each gets an error
acknowledgement (when it asks for one), changes nothing, and leaves the socket working."""

from __future__ import annotations

import json

import httpx
import pytest

from service.auth.tokens import TokenCodec
from service.domain.clock import utc_now
from tests.live import JWT_SECRET, create_group, refusal, register
from tests.raw_socket import RawSocket, raw_socket
from tests.schemas import load, validate_ack


def _refused(ack: object) -> None:
    validate_ack("joinConversation", ack)  # the spec's AckError shape
    assert isinstance(ack, dict)
    assert ack["ok"] is False
    assert ack["error"]["code"] == "validation_error", ack


async def _still_works(socket: RawSocket, conversation_id: int, ack_id: int = 900) -> None:
    ack = await socket.call(ack_id, "join_conversation", {"conversation_id": conversation_id})
    assert ack == {"ok": True, "conversation_id": conversation_id}


@pytest.mark.parametrize("name", ["disconnect", "connect", "connect_error", "disconnecting"])
async def test_a_client_cannot_fake_a_lifecycle_event_to_stay_after_removal(
    base_url: str, http: httpx.AsyncClient, name: str
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cid = await create_group(http, alice, bob)
    async with raw_socket(base_url, bob.token) as socket:
        await _still_works(socket, cid, 1)

        _refused(await socket.call(2, name, {"token": "x"}))
        removed = await http.delete(
            f"/conversations/{cid}/participants/{bob.id}", headers=alice.headers
        )
        assert removed.status_code == 204
        sent = await http.post(
            f"/conversations/{cid}/messages", headers=alice.headers, json={"body": "after"}
        )
        assert sent.status_code == 201
        typing = await socket.call(3, "typing", {"conversation_id": cid, "state": "start"})

        # Removal found the socket and took it out of the room: no message, no typing.
        assert typing["ok"] is False
        assert typing["error"]["code"] == "not_found", typing
        assert socket.events("message_created") == []
        assert socket.events("conversation_deleted") == [
            {"conversation_id": cid, "reason": "removed"}
        ]


@pytest.mark.parametrize(
    "frame",
    [
        "27[]",  # an event without a name
        "27{}",
        '27"join_conversation"',
        "27[5]",
        "27[null]",
        '27["join_conversation",',  # not JSON
        "27" + "[" * 50 + "]" * 50,
    ],
)
async def test_events_that_are_not_named_json_arrays_get_an_error_ack(
    base_url: str, http: httpx.AsyncClient, frame: str
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cid = await create_group(http, alice, bob)
    async with raw_socket(base_url, alice.token) as socket:
        await socket.send(frame)

        _refused(await socket.ack(7))
        await _still_works(socket, cid)


@pytest.mark.parametrize("depth", [33, 500, 990, 5_000])
async def test_deeply_nested_payloads_get_a_validation_error_ack(
    base_url: str, http: httpx.AsyncClient, depth: int
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cid = await create_group(http, alice, bob)
    nested = "[" * depth + "]" * depth
    async with raw_socket(base_url, alice.token) as socket:
        for ack_id, payload in enumerate([nested, '{"conversation_id":' + nested + "}"], 1):
            await socket.send(f'2{ack_id}["join_conversation",{payload}]')

            _refused(await socket.ack(ack_id))
        await _still_works(socket, cid)


async def test_binary_attachments_are_refused_and_never_buffered(
    base_url: str, http: httpx.AsyncClient
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cid = await create_group(http, alice, bob)
    placeholder = {"_placeholder": True, "num": 0}
    async with raw_socket(base_url, alice.token) as socket:
        # A bad attachment number, then far more attachments than anyone will send.
        bad_num = json.dumps(["join_conversation", {"_placeholder": True, "num": 7}])
        await socket.send("51-1" + bad_num)
        _refused(await socket.ack(1))
        await socket.send("5999999999-2" + json.dumps(["join_conversation", placeholder]))
        _refused(await socket.ack(2))
        for _ in range(20):  # attachments of nothing: dropped, not collected
            await socket.send(b"\x00" * 60_000)

        # The frames after them are read as packets again, not swallowed as attachments.
        await _still_works(socket, cid)
        _refused(await socket.call(3, "leave_conversation", {"conversation_id": "1"}))


async def test_a_token_of_a_user_that_does_not_exist_cannot_connect(base_url: str) -> None:
    ghost = TokenCodec(JWT_SECRET, 60, utc_now).issue(424242).token

    refused = await refusal(base_url, {"token": ghost})

    assert refused["data"] == {"code": "unauthorized"}


async def test_an_undeclared_event_gets_the_ack_error_asyncapi_declares(
    base_url: str, http: httpx.AsyncClient
) -> None:
    alice = await register(http, "alice")
    spec = load("asyncapi.yaml")["components"]["messages"]["ackError"]
    [declared] = [e["payload"] for e in spec["examples"] if e["name"] == "unknownEvent"]
    async with raw_socket(base_url, alice.token) as socket:
        answer = await socket.call(3, "send_message", {"body": "hi"})

    assert validate_ack("joinConversation", answer) == "ackError"
    assert answer == declared
