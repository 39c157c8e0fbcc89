"""HTTP input an attacker would send: each gets a spec'd 4xx, never a 500 (findings F2-F4, F7)."""

from __future__ import annotations

import asyncio
import base64
import sqlite3
from pathlib import Path

import httpx
import jwt
import pytest

from service.auth.tokens import TokenCodec
from service.domain.clock import utc_now
from tests.live import JWT_SECRET, register


def _nested(depth: int) -> bytes:
    return b'{"username":' + b"[" * depth + b"]" * depth + b',"password":"x"}'


@pytest.mark.parametrize("depth", [40, 500, 990, 30_000])
async def test_deeply_nested_bodies_are_422_on_every_json_endpoint(
    http: httpx.AsyncClient, depth: int
) -> None:
    alice = await register(http, "alice")
    headers = {**alice.headers, "content-type": "application/json"}
    for path in ["/auth/login", "/auth/register", "/conversations"]:
        response = await http.post(path, content=_nested(depth), headers=headers)

        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["location"] == "body"


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("2026-01-01T00:00:00+00:00|" + "9" * 23),
        _cursor("2026-01-01T00:00:00+00:00|" + str(2**63)),
        _cursor("2026-01-01T00:00:00+00:00|+5"),
        _cursor("2026-01-01T00:00:00+00:00|0"),
        _cursor("0001-01-01T00:00:00+01:00|5"),
        _cursor("2026-01-01T00:00:00|5"),
    ],
)
async def test_cursors_out_of_range_are_422(http: httpx.AsyncClient, cursor: str) -> None:
    alice = await register(http, "alice")

    response = await http.get("/conversations", params={"cursor": cursor}, headers=alice.headers)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["location"] == "query.cursor"


async def test_a_time_before_the_first_utc_instant_is_422(http: httpx.AsyncClient) -> None:
    alice = await register(http, "alice")

    response = await http.get(
        "/conversations",
        params={"updated_since": "0001-01-01T00:00:00+01:00"},
        headers=alice.headers,
    )

    assert response.status_code == 422, response.text


async def test_a_500_leaves_the_keep_alive_connection_usable(
    base_url: str, http: httpx.AsyncClient, database: Path
) -> None:
    alice = await register(http, "alice")
    # Break the database under the running server: every read of a user now fails.
    with sqlite3.connect(database) as db:
        db.execute("ALTER TABLE users RENAME TO users_gone")
    host, port = base_url.removeprefix("http://").split(":")
    # One TCP connection, as a keep-alive client uses it (httpx would quietly reconnect).
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        broken = await _exchange(reader, writer, "/me", alice.token)
        after = await _exchange(reader, writer, "/specs/schemas.yaml", alice.token)
    finally:
        writer.close()

    assert broken.startswith(b"HTTP/1.1 500 "), broken
    assert b'"code":"internal_error"' in broken
    assert after.startswith(b"HTTP/1.1 200 "), after


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, token: str
) -> bytes:
    """One request and its whole response (head and body) on an open connection."""
    request = f"GET {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\r\n"
    writer.write(request.encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return head + await asyncio.wait_for(reader.readexactly(length), 5)


async def test_tokens_of_users_that_do_not_exist_are_refused(http: httpx.AsyncClient) -> None:
    ghost = TokenCodec(JWT_SECRET, 60, utc_now).issue(424242).token

    response = await http.get("/conversations", headers={"Authorization": f"Bearer {ghost}"})

    assert response.status_code == 401


@pytest.mark.parametrize("subject", [" 1 ", "+1", "1_0", "\u0661", str(2**63), "01"])
async def test_token_subjects_are_read_strictly(http: httpx.AsyncClient, subject: str) -> None:
    alice = await register(http, "alice")
    assert alice.id == 1
    claims = jwt.decode(alice.token, options={"verify_signature": False})
    forged = jwt.encode({**claims, "sub": subject}, JWT_SECRET, algorithm="HS256")

    response = await http.get("/me", headers={"Authorization": f"Bearer {forged}"})

    assert response.status_code == 401
