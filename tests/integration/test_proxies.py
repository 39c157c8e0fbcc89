"""Client addresses behind a load balancer, and password guessing spread over many.

Per-address limits key on the peer, or on what a trusted proxy (CHAT_FORWARDED_ALLOW_IPS)
reports; a header anyone can send is believed from nobody else. Guesses at one account
are bounded however many addresses they come from, and never keep its owner out.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.live import TIGHT_WINDOW_SECONDS, live_server, register, tight
from tests.processes import service_process

WRONG = {"username": "alice", "password": "not-her-password"}
RIGHT = {"username": "alice", "password": "alice-password"}


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def test_by_default_a_forwarded_address_is_believed_from_nobody(tmp_path: Path) -> None:
    # `python -m service` as operators run it; uvicorn alone believes 127.0.0.1's headers.
    url = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    with service_process(url, tmp_path / "service.log", CHAT_RATE_AUTH=tight(3)) as base:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            answers = [
                await http.post("/auth/login", json=WRONG, headers=_from(f"203.0.113.{i}"))
                for i in range(4)
            ]

    assert [a.status_code for a in answers] == [401, 401, 401, 429]


async def test_behind_a_trusted_proxy_each_client_has_its_own_limits(database: Path) -> None:
    async with (
        live_server(
            database,
            forwarded_allow_ips=("127.0.0.1",),
            rate_auth=tight(3),
            rate_handshakes=tight(1),
        ) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as http,
    ):
        guesses = [
            await http.post("/auth/login", json=WRONG, headers=_from("203.0.113.7"))
            for _ in range(4)
        ]
        elsewhere = await http.post("/auth/login", json=WRONG, headers=_from("203.0.113.8"))
        handshakes = [
            await http.get(
                "/socket.io/",
                params={"EIO": "4", "transport": "polling"},
                headers=_from(address),
            )
            for address in ("198.51.100.1", "198.51.100.1", "198.51.100.2")
        ]

    assert [g.status_code for g in guesses] == [401, 401, 401, 429]
    assert guesses[3].headers["ratelimit-policy"] == f'"auth";q=3;w={TIGHT_WINDOW_SECONDS}'
    assert elsewhere.status_code == 401  # another client behind the same proxy
    assert [h.status_code for h in handshakes] == [200, 429, 200]


async def test_guesses_at_one_account_are_bounded_across_addresses_but_its_owner_gets_in(
    database: Path,
) -> None:
    async with (
        live_server(
            database, forwarded_allow_ips=("127.0.0.1",), rate_login_per_account=tight(5)
        ) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as http,
    ):
        # Alice registers and logs in from the proxy's own address: a known one.
        await register(http, "alice")
        guesses = [
            await http.post("/auth/login", json=WRONG, headers=_from(f"203.0.113.{i}"))
            for i in range(1, 8)
        ]
        right_from_elsewhere = await http.post(
            "/auth/login", json=RIGHT, headers=_from("203.0.113.99")
        )
        owner = await http.post("/auth/login", json=RIGHT)
        owner_typo = await http.post("/auth/login", json=WRONG)
        other_account = await http.post(
            "/auth/login",
            json={"username": "bob", "password": "whatever1"},
            headers=_from("203.0.113.1"),
        )

    # Alice's first login was from an address not yet known: one of the five.
    assert [g.status_code for g in guesses] == [401] * 4 + [429] * 3
    assert guesses[4].json()["code"] == "rate_limited"
    assert guesses[4].headers["ratelimit-policy"] == (
        f'"login_account";q=5;w={TIGHT_WINDOW_SECONDS}'
    )
    assert right_from_elsewhere.status_code == 429  # no guess gets through, right or not
    assert owner.status_code == 200, owner.text
    assert owner_typo.status_code == 401
    assert other_account.status_code == 401  # the bound is per account
