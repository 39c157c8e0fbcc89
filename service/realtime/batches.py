"""Long-polling responses small enough for every official client to read.

Engine.IO's server answers a long-polling GET with every packet queued for the socket.
python-socketio's client refuses a response of more than 16 packets
(`engineio.payload.Payload.max_decode_packets`) and drops the connection, so under a
burst of events a Python client lost everything. The socket's writer takes its batch
with one `get()` and then `get_nowait()` until the queue says it is empty; a queue that
says so after `MAX_BATCH` packets keeps the rest for the next response.

Every socket's queue is one (service/realtime/outbound.py puts them in place); the
WebSocket transport writes from the same queue, in batches too.
"""

from __future__ import annotations

import asyncio
from typing import Any

MAX_BATCH = 16  # python-socketio's client decodes at most this many per response


class BatchLimitedQueue(asyncio.Queue[Any]):
    """An asyncio queue whose `get_nowait` reports empty after a batch's worth in a row.

    A batch starts with each `get()`; a consumer that only calls `get_nowait` would see
    at most MAX_BATCH items, so every consumer of this queue must also call `get()`.
    """

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        self.batch_taken = 0

    async def get(self) -> Any:
        self.batch_taken = 0  # asyncio.Queue.get ends in get_nowait: allow that one
        item = await super().get()
        self.batch_taken = 1
        return item

    def get_nowait(self) -> Any:
        if self.batch_taken >= MAX_BATCH:
            raise asyncio.QueueEmpty
        item = super().get_nowait()
        self.batch_taken += 1
        return item
