"""Rate limits counted in Redis are shared by every process that uses it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.ratelimit import RateLimited, RateLimiter
from tests.live import TIGHT_WINDOW_SECONDS, tight
from tests.redis_server import redis_server


@pytest.fixture
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


async def test_two_processes_count_the_same_hits(redis_url: str) -> None:
    first = RateLimiter({"send": tight(3)}, redis_url)
    second = RateLimiter({"send": tight(3)}, redis_url)
    try:
        await first.hit("send", 7)
        await second.hit("send", 7)
        await first.hit("send", 7)
        with pytest.raises(RateLimited) as refused:
            await second.hit("send", 7)
        await second.hit("send", 8)  # another key has its own count
    finally:
        await first.close()
        await second.close()

    assert refused.value.limit == 3
    assert 1 <= refused.value.retry_after <= TIGHT_WINDOW_SECONDS
