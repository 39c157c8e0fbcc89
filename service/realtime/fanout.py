"""A Socket.IO client manager whose room emits send without a task per recipient."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet


class InlineFanoutManager(socketio.AsyncManager):  # type: ignore[misc]
    """python-socketio's AsyncManager starts one asyncio task per recipient of an emit,
    then waits for them all; `make bench` found that bookkeeping a large share of a
    fan-out's cost. A recipient's send only puts the packet on that socket's queue
    (its own writer task does the network write), so sending in a loop is enough.
    Emits with a callback keep the library's path.

    An event in `disconnecting_events` ends its recipients' connections: each process
    that delivers it disconnects its own recipients, after the fan-out, in a task of
    its own, so no disconnect (and its handlers) ever runs inside a broadcast.
    """

    disconnecting_events: frozenset[str] = frozenset()
    _closing: set[asyncio.Task[None]] | None = None

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
        for _sid, eio_sid in recipients:
            for frame in frames:
                await self.server._send_eio_packet(eio_sid, frame)
        if event in self.disconnecting_events and recipients:
            self._close_later([sid for sid, _ in recipients], namespace)

    def _close_later(self, sids: list[str], namespace: str) -> None:
        if self._closing is None:
            self._closing = set()
        task = asyncio.get_running_loop().create_task(self._close(sids, namespace))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close(self, sids: list[str], namespace: str) -> None:
        for sid in sids:
            # Local sockets only: every process closes its own recipients.
            await self.server.disconnect(sid, namespace=namespace, ignore_queue=True)


class InlineFanoutRedisManager(socketio.AsyncRedisManager, InlineFanoutManager):  # type: ignore[misc]
    """python-socketio's Redis manager, delivering to its local sockets the same way.

    Its pub/sub layer publishes every emit and hands each one it receives to the next
    class in line, which is InlineFanoutManager rather than AsyncManager.
    """
