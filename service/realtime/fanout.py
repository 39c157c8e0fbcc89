"""A Socket.IO client manager whose room emits send without a task per recipient."""

from __future__ import annotations

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
    """

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
        for sid, eio_sid in list(self.get_participants(namespace, to or room)):
            if sid not in skip:
                for frame in frames:
                    await self.server._send_eio_packet(eio_sid, frame)


class InlineFanoutRedisManager(socketio.AsyncRedisManager, InlineFanoutManager):  # type: ignore[misc]
    """python-socketio's Redis manager, delivering to its local sockets the same way.

    Its pub/sub layer publishes every emit and hands each one it receives to the next
    class in line, which is InlineFanoutManager rather than AsyncManager.
    """
