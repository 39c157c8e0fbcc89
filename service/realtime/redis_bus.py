"""Several processes as one, over Redis pub/sub, without losing an event silently.

Redis pub/sub delivers to whoever is subscribed at the moment: a process whose
subscription breaks (a network blip, Redis restarting, its output buffer overflowing)
misses what others publish meanwhile, and python-socketio's Redis manager resubscribes
without telling anyone, so the sockets on that process stay open and never get those
events. This manager implements python-socketio's pub/sub backend (`_publish` and
`_listen`, the two methods `AsyncPubSubManager` leaves to its backends) so that it
knows: every message it publishes carries its process's next sequence number, and
every process checks that each other process's numbers follow on; a heartbeat makes a
silent publisher's gap show within `heartbeat_seconds` (a heartbeat repeats the last
number, so a lost heartbeat loses nothing). When a process's subscription
breaks, or a gap shows, it may have missed anything: it starts a new event log (an
epoch no position from before matches) and closes every socket it holds. Their
clients see the close, reconnect, fail to resume, and refetch: a close the client
sees, never a silent gap (DESIGN.md, "Delivery guarantee").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from socketio.async_pubsub_manager import AsyncPubSubManager

from service.realtime.fanout import InlineFanoutManager
from service.redis_pool import redis_pool

log = logging.getLogger(__name__)

HEARTBEAT = "heartbeat"
# A publisher not heard from for this many heartbeats is forgotten (it stopped).
FORGET_AFTER_BEATS = 60
RETRY_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)


class SequencedRedisManager(AsyncPubSubManager, InlineFanoutManager):  # type: ignore[misc]
    name = "chat-redis"

    def __init__(self, url: str, channel: str = "socketio", heartbeat_seconds: float = 1.0) -> None:
        super().__init__(channel=channel)
        self.heartbeat_seconds = heartbeat_seconds
        self._redis: Redis = Redis(connection_pool=redis_pool(url))
        self._sequence = 0
        self._publishing: asyncio.Lock | None = None
        self._heard: dict[str, tuple[int, float]] = {}  # publisher -> (last number, when)
        self._subscribed_before = False
        self._beating: asyncio.Task[None] | None = None

    def initialize(self) -> None:
        super().initialize()
        self._beating = self.server.start_background_task(self._beat)

    async def stop(self) -> None:
        # `thread` is the listening task AsyncPubSubManager.initialize starts.
        for task in (self._beating, getattr(self, "thread", None)):
            if isinstance(task, asyncio.Task):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._redis.aclose()

    async def _publish(self, data: dict[str, Any]) -> None:
        if self._publishing is None:
            self._publishing = asyncio.Lock()
        # One at a time: the numbers reach Redis in the order they were given.
        async with self._publishing:
            # A heartbeat repeats the last number: one lost on the way loses nothing.
            if data.get("method") != HEARTBEAT:
                self._sequence += 1
            message = json.dumps({**data, "seq": self._sequence})
            for attempt in range(2):
                try:
                    await self._redis.publish(self.channel, message)
                    return
                except (RedisError, OSError) as exc:
                    log.warning("publishing to Redis failed (attempt %s): %s", attempt + 1, exc)
            # Given up: the other processes see the gap in the numbers and close their
            # sockets; this process's own sockets had the event already.

    async def _listen(self) -> AsyncIterator[dict[str, Any]]:
        retry = 0
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                if self._subscribed_before:
                    # Whatever was published while unsubscribed is gone.
                    self._lost("the subscription to Redis was restored")
                self._subscribed_before = True
                retry = 0
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    data = json.loads(message["data"])
                    if isinstance(data, dict) and self._follows_on(data):
                        yield data
            except (RedisError, OSError) as exc:
                log.warning("the subscription to Redis broke: %s", exc)
                if self._subscribed_before:
                    self._lost("the subscription to Redis broke")
                await asyncio.sleep(RETRY_SECONDS[min(retry, len(RETRY_SECONDS) - 1)])
                retry += 1
            finally:
                await pubsub.reset()

    def _follows_on(self, data: dict[str, Any]) -> bool:
        """Check a message's number against its publisher's last; whether to hand it
        on (heartbeats are not)."""
        publisher, number = data.get("host_id"), data.get("seq")
        if publisher != self.host_id and isinstance(publisher, str) and isinstance(number, int):
            now = time.monotonic()
            last = self._heard.get(publisher)
            self._heard[publisher] = (number, now)
            if last is not None:
                expected = last[0] + (0 if data.get("method") == HEARTBEAT else 1)
                if number != expected:
                    self._lost(f"{publisher} numbered {number} where {expected} was due")
            self._forget_silent(now)
        return data.get("method") != HEARTBEAT

    def _forget_silent(self, now: float) -> None:
        oldest = now - FORGET_AFTER_BEATS * self.heartbeat_seconds
        for publisher, (_, when) in list(self._heard.items()):
            if when < oldest:
                del self._heard[publisher]

    def _lost(self, reason: str) -> None:
        """This process may have missed events: nothing it holds can be trusted to be
        complete, so every position it gave is void and every socket it holds closes."""
        log.warning("events may have been lost (%s): closing every socket", reason)
        self._heard.clear()  # numbers start afresh from what comes next
        if self.log is not None:
            self.log.restart()
        self.close_every_socket()

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                await self._publish({"method": HEARTBEAT, "host_id": self.host_id})
            except Exception:
                log.exception("the heartbeat failed")
