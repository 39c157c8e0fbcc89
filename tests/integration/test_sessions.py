"""Sessions end: logout revokes a token everywhere, expiry ends sockets, refresh moves them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.live import Account, connected, live_server, refusal, register


async def _login_again(http: httpx.AsyncClient, account: Account) -> Account:
    login = await http.post(
        "/auth/login",
        json={"username": account.username, "password": f"{account.username}-password"},
    )
    assert login.status_code == 200
    return Account(account.id, account.username, login.json()["access_token"])


async def test_logout_ends_that_token_s_sockets_and_nothing_else(
    base_url: str, http: httpx.AsyncClient
) -> None:
    alice = await register(http, "alice")
    phone = await _login_again(http, alice)
    async with connected(base_url, alice) as laptop, connected(base_url, phone) as mobile:
        logout = await http.post("/auth/logout", headers=alice.headers)

        assert logout.status_code == 204
        assert await laptop.wait_for("session_ended") == {"reason": "logged_out"}
        await laptop.disconnected()
        await mobile.barrier()  # the phone's token still works
        assert mobile.events("session_ended") == []

    assert (await http.get("/me", headers=alice.headers)).status_code == 401
    assert (await http.get("/me", headers=phone.headers)).status_code == 200
    refused = await refusal(base_url, {"token": alice.token})
    assert refused["data"] == {"code": "unauthorized"}


async def test_refresh_moves_a_socket_to_the_new_token(
    base_url: str, http: httpx.AsyncClient
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    renewed = await _login_again(http, alice)
    async with connected(base_url, alice) as socket:
        wrong = await socket.call("refresh_token", {"token": bob.token})
        ack = await socket.call("refresh_token", {"token": renewed.token})
        # The old token's logout no longer concerns this socket; the new one's does.
        await http.post("/auth/logout", headers=alice.headers)
        await socket.barrier()
        assert socket.events("session_ended") == []
        await http.post("/auth/logout", headers=renewed.headers)

        assert wrong["ok"] is False
        assert wrong["error"]["code"] == "unauthorized"
        assert ack["ok"] is True
        assert 86_300 < ack["expires_in_seconds"] <= 86_400
        assert await socket.wait_for("session_ended") == {"reason": "logged_out"}
        await socket.disconnected()


@pytest.fixture
async def short_lived(database: Path) -> AsyncIterator[str]:
    async with live_server(database, token_ttl_seconds=2) as url:
        yield url


async def test_a_socket_s_session_ends_when_its_token_expires(short_lived: str) -> None:
    async with httpx.AsyncClient(base_url=short_lived, timeout=10) as http:
        alice = await register(http, "alice")
        async with connected(short_lived, alice) as socket:
            assert await socket.wait_for("session_ended") == {"reason": "expired"}
            await socket.disconnected()
