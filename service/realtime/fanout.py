"""A Socket.IO client manager whose room emits send without a task per recipient,
never stall on one slow socket, and never close a socket inside the broadcast."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any

import socketio
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from socketio import packet

from service.background import BackgroundTasks

log = logging.getLogger(__name__)

# Packets a socket may have waiting to be written before it counts as too slow.
DEFAULT_MAX_QUEUED = 1000


class InlineFanoutManager(socketio.AsyncManager):  # type: ignore[misc]
    """python-socketio's AsyncManager starts one asyncio task per recipient of an emit,
    then waits for them all; `make bench` found that bookkeeping a large share of a
    fan-out's cost. A recipient's send only puts the packet on that socket's queue
    (its own writer task does the network write), so sending in a loop is enough.
    Emits with a callback keep the library's path.

    As Centrifuge does, each socket's queue is bounded: a socket with more than
    `max_queued` packets waiting cannot keep up, gets nothing more, and is closed.
    Closing (slow sockets, and the recipients of `disconnecting_events`, whose sockets
    this ends on every process) happens after the fan-out, in a task of its own, so no
    disconnect and none of its handlers ever runs inside a broadcast.
    """

    disconnecting_events: frozenset[str] = frozenset()
    max_queued: int = DEFAULT_MAX_QUEUED
    _closing: BackgroundTasks | None = None

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        if callback is not None:
            await super().emit(event, data, namespace, room, skip_sid, callback, to, **kwargs)
            return
        if namespace not in self.rooms:
            return
        args = list(data) if isinstance(data, tuple) else ([] if data is None else [data])
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        encoded = self.server.packet_class(
            packet.EVENT, namespace=namespace, data=[event, *args]
        ).encode()
        frames = [
            eio_packet.Packet(eio_packet.MESSAGE, part)
            for part in (encoded if isinstance(encoded, list) else [encoded])
        ]
        recipients = [
            (sid, eio_sid)
            for sid, eio_sid in self.get_participants(namespace, to or room)
            if sid not in skip
        ]
        too_slow = [
            eio_sid for _, eio_sid in recipients if not await self._deliver(eio_sid, frames)
        ]
        if too_slow:
            log.warning("closing %d sockets that cannot keep up", len(too_slow))
            self._later(self._close_connections(too_slow))
        if event in self.disconnecting_events and recipients:
            self._later(self._disconnect([sid for sid, _ in recipients], namespace))

    async def _deliver(self, eio_sid: str, frames: list[eio_packet.Packet]) -> bool:
        """Queue the frames on one socket; False when the socket is too far behind."""
        eio = self.server.eio
        socket = eio.sockets.get(eio_sid)
        if socket is None or socket.closed:
            return True  # gone already: its disconnect is on its way
        if socket.queue.qsize() >= self.max_queued:
            return False
        try:
            for frame in frames:
                await eio.send_packet(eio_sid, frame)
        except eio_exceptions.EngineIOError:
            pass  # closed meanwhile: one socket's failure is not the broadcast's
        return True

    def _later(self, work: Coroutine[Any, Any, None]) -> None:
        if self._closing is None:
            self._closing = BackgroundTasks()
        self._closing.start(work)

    async def _disconnect(self, sids: list[str], namespace: str) -> None:
        for sid in sids:
            # Local sockets only: every process closes its own recipients.
            await self.server.disconnect(sid, namespace=namespace, ignore_queue=True)

    async def _close_connections(self, eio_sids: list[str]) -> None:
        eio = self.server.eio
        for eio_sid in eio_sids:
            socket = eio.sockets.get(eio_sid)
            if socket is not None:
                # Without waiting for its queue to drain: it is too slow to drain.
                await socket.close(wait=False, abort=True, reason=eio.reason.SERVER_DISCONNECT)


class InlineFanoutRedisManager(socketio.AsyncRedisManager, InlineFanoutManager):  # type: ignore[misc]
    """python-socketio's Redis manager, delivering to its local sockets the same way.

    Its pub/sub layer publishes every emit and hands each one it receives to the next
    class in line, which is InlineFanoutManager rather than AsyncManager.
    """
