"""Presence in Redis, shared by every process of a scaled-out service.

Each socket is a member of a sorted set per user, scored with the time it expires.
Its process pushes that time forward every few seconds (`refresh`), so the sockets
of a process that died expire, and one process announces those users offline
(`expired`). Every read-modify-write is a Lua script, so two processes never both
announce the same change.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from redis.asyncio import Redis

from service.presence.store import PresenceStore
from service.redis_pool import redis_pool

LEASE_SECONDS = 30

# Sockets and claims of the user together, expired ones first forgotten.
_CLAIM = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
local held = redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2])
if held >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
"""

_ADD = """
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[4])
if before == 0 then return 1 end
return 0
"""

_REMOVE = """
redis.call('ZREM', KEYS[3], ARGV[1])
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if removed == 1 and redis.call('ZCARD', KEYS[1]) == 0 then
  return redis.call('SREM', KEYS[2], ARGV[3])
end
return 0
"""

_SWEEP = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 then
  return redis.call('SREM', KEYS[2], ARGV[2])
end
return 0
"""


class RedisPresenceStore(PresenceStore):
    def __init__(
        self, url: str, prefix: str = "chat:presence", lease_seconds: float = LEASE_SECONDS
    ) -> None:
        # from_pool: the client owns the pool, and closing it closes the connections.
        self._redis: Redis = Redis.from_pool(redis_pool(url, decode_responses=True))
        self._lease = lease_seconds
        self._prefix = prefix
        self._users = f"{prefix}:users"
        self._local: dict[str, int] = {}
        self._claim: Any = self._redis.register_script(_CLAIM)
        self._add: Any = self._redis.register_script(_ADD)
        self._remove: Any = self._redis.register_script(_REMOVE)
        self._sweep: Any = self._redis.register_script(_SWEEP)

    def _key(self, user_id: int) -> str:
        return f"{self._prefix}:sockets:{user_id}"

    def _claims_key(self, user_id: int) -> str:
        return f"{self._prefix}:claims:{user_id}"

    async def claim(self, user_id: int, sid: str, cap: int) -> bool:
        now = time.time()
        keys = [self._key(user_id), self._claims_key(user_id)]
        # A claim lasts one lease: a process that dies mid-handshake gives it back.
        return bool(await self._claim(keys, [sid, now, now + self._lease, cap]))

    async def add(self, user_id: int, sid: str) -> bool:
        self._local[sid] = user_id
        now = time.time()
        keys = [self._key(user_id), self._users, self._claims_key(user_id)]
        return bool(await self._add(keys, [sid, now, now + self._lease, user_id]))

    async def remove(self, user_id: int, sid: str) -> bool:
        self._local.pop(sid, None)
        keys = [self._key(user_id), self._users, self._claims_key(user_id)]
        return bool(await self._remove(keys, [sid, time.time(), user_id]))

    async def sids(self, user_id: int) -> list[str]:
        found = await self._redis.zrangebyscore(self._key(user_id), time.time(), "+inf")
        return sorted(str(sid) for sid in found)

    async def online(self, user_ids: Iterable[int]) -> set[int]:
        wanted = list(user_ids)
        now = time.time()
        async with self._redis.pipeline(transaction=False) as pipe:
            for user_id in wanted:
                pipe.zcount(self._key(user_id), now, "+inf")
            counts = await pipe.execute()
        return {user_id for user_id, count in zip(wanted, counts, strict=True) if count}

    async def refresh(self) -> None:
        if not self._local:
            return
        expires = time.time() + self._lease
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid, user_id in self._local.items():
                # XX: a socket already forgotten is not brought back.
                pipe.zadd(self._key(user_id), {sid: expires}, xx=True)
            await pipe.execute()

    async def expired(self) -> list[int]:
        now = time.time()
        gone = []
        for raw in await self._redis.smembers(self._users):
            user_id = int(raw)
            if await self._sweep([self._key(user_id), self._users], [now, user_id]):
                gone.append(user_id)
        return sorted(gone)

    async def close(self) -> None:
        await self._redis.aclose()
