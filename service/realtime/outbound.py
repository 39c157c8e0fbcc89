"""What this process has queued for its sockets, and pushing back on senders when that
is too much.

Every Engine.IO socket writes from its own queue (made through `create_queue()`, the
hook Engine.IO sockets make their queue with). These queues count into one `Backlog`,
so the process knows how far behind its writers are without walking its sockets. When
the writers fall behind (the whole process, not one client), the fan-out must not drop
anything for the sockets it keeps open: senders wait for the writers instead, and are
refused (503 `unavailable`, `Retry-After`) only when the wait would be too long.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from typing import Any

from service.domain.errors import Overloaded
from service.metrics import Metrics
from service.outlet.port import Backpressure
from service.realtime.batches import BatchLimitedQueue


class Backlog(Backpressure):
    """Packets queued for this process's sockets, and the admission of senders.

    Senders are admitted while at most `high` packets are queued; past that they wait
    until the writers bring it down to half, at most `wait_seconds`.
    """

    def __init__(self, high: int, wait_seconds: float, metrics: Metrics | None = None) -> None:
        self.high = high
        self.low = high // 2
        self.wait_seconds = wait_seconds
        self.queued = 0
        self._metrics = metrics
        self._drained: asyncio.Event | None = None  # exists while senders wait

    def added(self, count: int = 1) -> None:
        self.queued += count

    def removed(self, count: int = 1) -> None:
        self.queued -= count
        if self._drained is not None and self.queued <= self.low:
            self._drained.set()

    async def admit(self) -> None:
        if self.queued <= self.high:
            return
        if self._metrics is not None:
            self._metrics.held_back.labels("waited").inc()
        if self._drained is None or self._drained.is_set():
            self._drained = asyncio.Event()
        drained = self._drained
        try:
            await asyncio.wait_for(drained.wait(), self.wait_seconds)
        except TimeoutError:
            if self._metrics is not None:
                self._metrics.held_back.labels("refused").inc()
            retry_after = max(1, math.ceil(self.wait_seconds / 2))
            raise Overloaded(
                f"The server is behind on delivering events; retry in {retry_after} s.",
                retry_after,
            ) from None
        finally:
            if self._drained is drained and drained.is_set():
                self._drained = None


class _Pending:
    """What one queue holds of the backlog's count, shared with its finalizer."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


def _release(backlog: Backlog, pending: _Pending) -> None:
    backlog.removed(pending.count)


class SocketQueue(BatchLimitedQueue):
    """One socket's queue of Engine.IO packets, counted into the process's Backlog.

    What a closed socket leaves queued leaves the count when Engine.IO lets go of the
    socket.
    """

    def __init__(self, backlog: Backlog, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        self.backlog = backlog
        self._pending = _Pending()
        weakref.finalize(self, _release, backlog, self._pending)

    def put_nowait(self, item: Any) -> None:
        super().put_nowait(item)  # asyncio.Queue.put ends here too
        if item is not None:  # None only wakes the writer to end it
            self._pending.count += 1
            self.backlog.added()

    def get_nowait(self) -> Any:
        item = super().get_nowait()  # asyncio.Queue.get ends here too
        if item is not None:
            self._pending.count -= 1
            self.backlog.removed()
        return item

    def discard(self) -> int:
        """Drop every queued packet (the socket is being closed); how many there were."""
        dropped = 0
        while not self.empty():
            self.batch_taken = 0
            item = BatchLimitedQueue.get_nowait(self)
            self.task_done()
            if item is not None:
                dropped += 1
        self._pending.count -= dropped
        self.backlog.removed(dropped)
        return dropped


def count_queues(engineio_server: Any, backlog: Backlog) -> None:
    """Give every socket of `engineio_server` made from now on a SocketQueue."""

    def create_queue(*args: Any, **kwargs: Any) -> SocketQueue:
        return SocketQueue(backlog, *args, **kwargs)

    engineio_server.create_queue = create_queue
