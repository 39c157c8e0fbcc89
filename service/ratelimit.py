"""Rate limits, with the `limits` library: in process memory, or in Redis when the
service runs as several processes, so that every process counts the same hits."""

from __future__ import annotations

import math
import time
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import ConnectionPool

from service.domain.errors import DomainError
from service.redis_pool import redis_pool


class RateLimited(DomainError):
    """A limit was reached; `retry_after` seconds until the next attempt can pass."""

    code = "rate_limited"

    def __init__(self, policy: str, limit: int, window: int, retry_after: int) -> None:
        super().__init__(f"Too many requests ({limit} per {window} s); retry in {retry_after} s.")
        self.policy = policy
        self.limit = limit
        self.window = window
        self.retry_after = retry_after


class RateLimiter:
    """Named policies ("login", "send", ...) hit per key (a user id or a client address)."""

    def __init__(self, policies: dict[str, str], redis_url: str | None = None) -> None:
        self.policies: dict[str, RateLimitItem] = {
            name: parse(text) for name, text in policies.items()
        }
        self._pool: ConnectionPool | None = None
        self._storage: Storage = MemoryStorage()
        if redis_url:
            # Our own pool (a documented option of the storage), so that close() can
            # release its connections.
            self._pool = redis_pool(redis_url)
            # limits annotates its storage options as scalars, though it documents
            # connection_pool as one of them.
            options: dict[str, Any] = {"connection_pool": self._pool}
            self._storage = RedisStorage(
                _limits_uri(redis_url), implementation="redispy", **options
            )
        # A sliding window counter costs two counters per key, whatever the traffic.
        self._limiter = SlidingWindowCounterRateLimiter(self._storage)

    async def hit(self, policy: str, key: str | int) -> None:
        """Count one hit; `RateLimited` when the policy's limit is reached for the key."""
        item = self.policies[policy]
        if await self._limiter.hit(item, policy, str(key)):
            return
        stats = await self._limiter.get_window_stats(item, policy, str(key))
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(policy, item.amount, int(item.get_expiry()), retry_after)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()


def _limits_uri(redis_url: str) -> str:
    # The limits library names its asyncio Redis storage "async+redis".
    return "async+" + redis_url
