"""Connection pools to Redis, shared by the presence store and the rate limiter."""

from __future__ import annotations

from typing import Any

from redis.asyncio import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

# Connections one process opens to Redis per pool. redis-py's default pool refuses a
# command beyond its limit at once (`MaxConnectionsError`): a reconnect storm of 2,000
# sockets lost presence departures that way (`make bench`, ours-pg). A blocking pool
# makes the command wait for a free connection instead.
REDIS_CONNECTIONS = 64
REDIS_WAIT_SECONDS = 30.0
# A command on a pooled connection that Redis (or the network) dropped fails once, then
# goes again on a new connection: a blip must not answer requests with 500.
REDIS_RETRIES = 3


def redis_pool(url: str, **options: Any) -> BlockingConnectionPool:
    """A pool of at most REDIS_CONNECTIONS, where a command waits for a free one."""
    return BlockingConnectionPool.from_url(
        url,
        max_connections=REDIS_CONNECTIONS,
        timeout=REDIS_WAIT_SECONDS,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), REDIS_RETRIES),
        **options,
    )
