"""Abuse bounds: rate limits and caps answer with their spec'd refusals, per key."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import socketio

from tests.integration.conftest import check_against_openapi
from tests.live import (
    TIGHT_WINDOW_SECONDS,
    connected,
    create_group,
    live_server,
    refusal,
    register,
    tight,
)
from tests.processes import service_process
from tests.raw_socket import raw_socket
from tests.schemas import validate_ack


@asynccontextmanager
async def server(database: Path, **limits: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A live server with the limits given; an HTTP client checked against openapi.yaml."""
    async with (
        live_server(database, **limits) as url,
        httpx.AsyncClient(
            base_url=url, timeout=10, event_hooks={"response": [check_against_openapi]}
        ) as http,
    ):
        yield http


def _assert_rate_limited(response: httpx.Response, policy: str, limit: int, window: int) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["code"] == "rate_limited"
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= window
    assert response.headers["ratelimit-policy"] == f'"{policy}";q={limit};w={window}'
    assert response.headers["ratelimit"] == f'"{policy}";r=0;t={retry_after}'


async def test_logins_and_registrations_are_limited_per_client_address(database: Path) -> None:
    async with server(database, rate_auth=tight(3)) as http:
        await register(http, "alice")  # a registration and a login: two of three
        wrong = {"username": "alice", "password": "not-her-password"}

        third = await http.post("/auth/login", json=wrong)
        fourth = await http.post("/auth/login", json=wrong)
        registration = await http.post(
            "/auth/register",
            json={"username": "mallory", "password": "12345678", "display_name": "M"},
        )

    assert third.status_code == 401
    _assert_rate_limited(fourth, "auth", 3, TIGHT_WINDOW_SECONDS)
    _assert_rate_limited(registration, "auth", 3, TIGHT_WINDOW_SECONDS)


async def test_sends_are_limited_per_user(database: Path) -> None:
    async with server(database, rate_send=tight(2)) as http:
        alice, bob = await register(http, "alice"), await register(http, "bob")
        cid = await create_group(http, alice, bob)
        url = f"/conversations/{cid}/messages"

        sent = [await http.post(url, headers=alice.headers, json={"body": "hi"}) for _ in "abc"]
        bobs = await http.post(url, headers=bob.headers, json={"body": "still me"})
        history = await http.get(url, headers=bob.headers)

    assert [r.status_code for r in sent] == [201, 201, 429]
    _assert_rate_limited(sent[2], "send", 2, TIGHT_WINDOW_SECONDS)
    assert bobs.status_code == 201
    assert [m["body"] for m in history.json()["items"]] == ["hi", "hi", "still me"]


async def test_socket_events_are_limited_per_user(database: Path) -> None:
    async with server(database, rate_socket_events=tight(3)) as http:
        alice, bob = await register(http, "alice"), await register(http, "bob")
        cid = await create_group(http, alice, bob)
        url = str(http.base_url).rstrip("/")
        async with connected(url, alice) as first, connected(url, alice) as second:
            acks = [await first.join(cid), await second.join(cid), await first.join(cid)]
            refused = await second.call("leave_conversation", {"conversation_id": cid})
            async with connected(url, bob) as other:
                bobs = await other.join(cid)

    assert [ack["ok"] for ack in acks] == [True, True, True]
    validate_ack("leaveConversation", refused)
    assert refused["ok"] is False
    assert refused["error"]["code"] == "rate_limited"
    assert 1 <= refused["error"]["retry_after_seconds"] <= TIGHT_WINDOW_SECONDS
    assert bobs["ok"] is True


async def test_a_retry_of_a_stored_send_is_answered_not_limited(database: Path) -> None:
    async with server(database, rate_send=tight(2)) as http:
        alice, bob = await register(http, "alice"), await register(http, "bob")
        cid = await create_group(http, alice, bob)
        url = f"/conversations/{cid}/messages"

        def send(key: str, body: str = "hi") -> dict[str, str]:
            return {"body": body, "client_message_id": key}

        first = await http.post(url, headers=alice.headers, json=send("k1"))
        second = await http.post(url, headers=alice.headers, json=send("k2"))
        retries = [await http.post(url, headers=alice.headers, json=send("k1")) for _ in "ab"]
        # The body is stored trimmed: a retry is compared as stored.
        retries.append(await http.post(url, headers=alice.headers, json=send("k1", " hi\n")))
        new = await http.post(url, headers=alice.headers, json=send("k3"))
        other_body = await http.post(url, headers=alice.headers, json=send("k1", "changed"))
        history = await http.get(url, headers=bob.headers)

    assert [first.status_code, second.status_code] == [201, 201]
    assert [r.status_code for r in retries] == [200, 200, 200]
    assert {r.json()["id"] for r in retries} == {first.json()["id"]}
    _assert_rate_limited(new, "send", 2, TIGHT_WINDOW_SECONDS)
    assert other_body.status_code == 429  # not the same send: limited like any other
    assert len(history.json()["items"]) == 2


async def test_a_user_holds_at_most_the_configured_number_of_sockets(database: Path) -> None:
    async with server(database, max_sockets_per_user=2) as http:
        alice = await register(http, "alice")
        url = str(http.base_url).rstrip("/")
        async with connected(url, alice), connected(url, alice):
            third = await refusal(url, {"token": alice.token})
        async with connected(url, alice) as after_closing:
            await after_closing.barrier()

    assert third["data"] == {"code": "rate_limited"}


async def test_new_socket_io_sessions_are_limited_per_client_address(database: Path) -> None:
    # Socket.IO's own endpoint is not in openapi.yaml: a plain client.
    async with (
        live_server(database, rate_handshakes=tight(2)) as base,
        httpx.AsyncClient(base_url=base) as http,
    ):
        opened = [
            await http.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
            for _ in "abc"
        ]
        sid = opened[0].text.split('"sid":"')[1].split('"')[0]
        # A session already open goes on polling: only new sessions count.
        going_on = await http.post(
            "/socket.io/", params={"EIO": "4", "transport": "polling", "sid": sid}, content="1"
        )

    assert [r.status_code for r in opened] == [200, 200, 429]
    assert opened[2].json()["code"] == "rate_limited"
    assert int(opened[2].headers["retry-after"]) >= 1
    assert going_on.status_code == 200


async def test_an_address_holds_at_most_the_configured_number_of_connections(
    database: Path,
) -> None:
    handshake = {"EIO": "4", "transport": "polling"}
    async with (
        live_server(database, max_connections_per_address=2) as base,
        httpx.AsyncClient(base_url=base) as http,
    ):
        first, second, third = [await http.get("/socket.io/", params=handshake) for _ in "abc"]
        # Closing one makes room for another.
        sid = first.text.split('"sid":"')[1].split('"')[0]
        closed = await http.post("/socket.io/", params={**handshake, "sid": sid}, content="1")
        fourth = await http.get("/socket.io/", params=handshake)

    assert [r.status_code for r in (first, second, third)] == [200, 200, 429]
    assert third.json()["code"] == "rate_limited"
    assert closed.status_code == 200
    assert fourth.status_code == 200


async def test_a_client_that_sends_headers_too_slowly_is_disconnected(
    database: Path, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{database}"
    with service_process(url, tmp_path / "service.log", CHAT_HEADER_TIMEOUT_SECONDS="1") as base:
        host, port = base.removeprefix("http://").split(":")
        silent = await asyncio.open_connection(host, int(port))
        slow = await asyncio.open_connection(host, int(port))
        slow[1].write(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")  # and never the blank line
        await slow[1].drain()

        # The server closes both; reading then ends (b"") instead of waiting forever.
        for reader, writer in (silent, slow):
            assert await asyncio.wait_for(reader.read(), 10) == b""
            writer.close()
        async with httpx.AsyncClient(base_url=base) as http:
            assert (await http.get("/healthz")).status_code == 200


async def test_a_client_that_sends_its_body_too_slowly_is_disconnected(
    database: Path, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{database}"
    deadline = {"CHAT_BODY_TIMEOUT_SECONDS": "1"}
    with service_process(url, tmp_path / "service.log", **deadline) as base:
        host, port = base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            b"POST /auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{"  # then one byte now and then, or none
        )
        await writer.drain()

        assert await asyncio.wait_for(reader.read(), 10) == b""
        writer.close()
        async with httpx.AsyncClient(base_url=base) as http:
            alice = await register(http, "alice")
        # A WebSocket is no request body: it outlives the deadline.
        async with connected(base, alice) as socket:
            await asyncio.sleep(1.5)
            await socket.barrier()


async def test_parallel_connects_of_one_user_never_pass_the_socket_cap(database: Path) -> None:
    async with server(database, max_sockets_per_user=4) as http:
        alice = await register(http, "alice")
        url = str(http.base_url).rstrip("/")
        clients = [socketio.AsyncClient(reconnection=False) for _ in range(12)]

        async def attempt(client: socketio.AsyncClient) -> bool:
            try:
                await client.connect(
                    url, auth={"token": alice.token}, transports=["websocket"], wait_timeout=5
                )
            except socketio.exceptions.ConnectionError:
                return False
            return True

        admitted = await asyncio.gather(*(attempt(c) for c in clients))
        for client in clients:
            await client.disconnect()
        async with connected(url, alice) as after_closing:  # the places come back
            await after_closing.barrier()

    assert sum(admitted) == 4


async def test_reconnecting_the_namespace_over_one_session_counts_as_handshakes(
    database: Path,
) -> None:
    async with live_server(database, rate_handshakes=tight(3)) as base:
        async with httpx.AsyncClient(base_url=base) as http:
            alice = await register(http, "alice")
        async with raw_socket(base, alice.token) as raw:  # the session's handshake: 1 of 3
            answers = []
            for _ in range(4):
                await raw.websocket.send("41")
                await raw.websocket.send("40" + json.dumps({"token": alice.token}))
                answer = str(await asyncio.wait_for(raw.websocket.recv(), 5))
                answers.append(answer[:2])
                if answer.startswith("44"):
                    refused = json.loads(answer[2:])

    assert answers == ["40", "40", "44", "44"]
    assert refused["data"] == {"code": "rate_limited"}
