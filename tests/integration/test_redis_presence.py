"""Presence in a real Redis, as two processes share it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from service.presence.redis_store import RedisPresenceStore
from tests.redis_server import redis_server


@pytest.fixture
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


async def test_tabs_on_two_processes_make_one_presence(redis_url: str) -> None:
    a, b = RedisPresenceStore(redis_url), RedisPresenceStore(redis_url)
    try:
        assert await a.add(7, "tab-on-a") is True
        assert await b.add(7, "tab-on-b") is False
        assert await a.sids(7) == ["tab-on-a", "tab-on-b"]
        assert await b.online([7, 8]) == {7}
        assert await a.remove(7, "tab-on-a") is False
        assert await b.remove(7, "tab-on-b") is True
        assert await b.remove(7, "tab-on-b") is False
        assert await a.online([7]) == set()
    finally:
        await a.close()
        await b.close()


async def test_a_dead_process_s_users_expire_once_and_live_ones_are_renewed(
    redis_url: str,
) -> None:
    dead = RedisPresenceStore(redis_url, lease_seconds=0.3)
    alive = RedisPresenceStore(redis_url, lease_seconds=0.3)
    try:
        await dead.add(1, "socket-of-a-dead-process")
        await alive.add(2, "socket-still-here")
        for _ in range(4):
            await asyncio.sleep(0.1)
            await alive.refresh()  # `dead` never renews its lease

        assert await alive.expired() == [1]
        assert await dead.expired() == []
        assert await alive.online([1, 2]) == {2}
    finally:
        await dead.close()
        await alive.close()


async def test_a_storm_of_arrivals_and_departures_loses_none_of_them(redis_url: str) -> None:
    # 2,000 sockets arriving and leaving at once: more commands in flight than a pool
    # has connections. Each must wait for one, not fail (presence would then be wrong).
    store = RedisPresenceStore(redis_url)
    try:
        users = range(1, 2001)
        await asyncio.gather(*(store.add(u, f"sid-{u}") for u in users))
        assert await store.online(users) == set(users)
        await asyncio.gather(*(store.remove(u, f"sid-{u}") for u in users))
        assert await store.online(users) == set()
    finally:
        await store.close()


async def test_parallel_claims_on_two_processes_never_pass_the_cap(redis_url: str) -> None:
    a, b = RedisPresenceStore(redis_url), RedisPresenceStore(redis_url)
    try:
        await a.add(7, "already-open")
        claims = await asyncio.gather(
            *((a if i % 2 else b).claim(7, f"tab-{i}", 4) for i in range(20))
        )
        granted = [f"tab-{i}" for i, ok in enumerate(claims) if ok]
        assert len(granted) == 3  # with the socket already open: 4
        assert await b.claim(7, "one-more", 4) is False

        # A claim becomes the socket (its place is not counted twice), or is given back.
        assert await a.add(7, granted[0]) is False
        assert await b.remove(7, granted[1]) is False
        assert await a.claim(7, "after-a-refusal", 4) is True
        assert await a.sids(7) == sorted(["already-open", granted[0]])
    finally:
        await a.close()
        await b.close()
