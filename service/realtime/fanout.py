"""A Socket.IO client manager whose room emits send without a task per recipient,
never stall on one slow socket, never drop an event for a socket they keep open, and
never close a socket inside the broadcast."""

from __future__ import annotations

import logging
from collections.abc import Coroutine, Sequence
from typing import Any

import socketio
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from socketio import packet

from service.background import BackgroundTasks
from service.metrics import Metrics
from service.realtime.eventlog import Entry, EventLog
from service.realtime.slow import SlowSocketWatch

log = logging.getLogger(__name__)

# Packets a socket may have waiting before it is watched, and how long it then has to
# drain before it counts as too slow.
DEFAULT_MAX_QUEUED = 1000
DEFAULT_SLOW_SECONDS = 10.0


class InlineFanoutManager(socketio.AsyncManager):  # type: ignore[misc]
    """python-socketio's AsyncManager starts one asyncio task per recipient of an emit,
    then waits for them all; `make bench` found that bookkeeping a large share of a
    fan-out's cost. A recipient's send only puts the packet on that socket's queue
    (its own writer task does the network write), so sending in a loop is enough.
    Emits with a callback keep the library's path.

    Nothing is ever dropped for a socket that stays open. A socket whose queue reaches
    `max_queued` is watched (service/realtime/slow.py) and closed, after the
    broadcast, only if its own client does not drain. The close reaches the client:
    what was queued for it is dropped and Engine.IO's close packet goes next, so a
    client that reads again finds the close right after what it already had (and a
    polling one finds its session gone). The recipients of `disconnecting_events`, whose
    sockets this ends on every process, are closed after the fan-out too, so no
    disconnect and none of its handlers ever runs inside a broadcast.

    With a `log`, every event of `log_namespace` that is not ephemeral is appended to
    it, and sockets that asked for positions get the event with its position as a
    second argument (one more encoding per event, never one per socket). A socket that
    is starting its stream is `hold`-ed: what its rooms get meanwhile waits, and
    `release` sends its first event, what it missed, then what waited.
    """

    disconnecting_events: frozenset[str] = frozenset()
    ephemeral_events: frozenset[str] = frozenset()
    log: EventLog | None = None
    log_namespace: str = "/"
    max_queued: int = DEFAULT_MAX_QUEUED
    slow_seconds: float = DEFAULT_SLOW_SECONDS
    metrics: Metrics | None = None
    _closing: BackgroundTasks | None = None
    _watch: SlowSocketWatch | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._positioned: set[str] = set()  # sids that get positions
        # sids starting their stream -> what their rooms got meanwhile
        self._held: dict[str, list[tuple[Entry | None, list[eio_packet.Packet]]]] = {}

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
        args = list(data) if isinstance(data, tuple) else ([] if data is None else [data])
        entry: Entry | None = None
        if (
            self.log is not None
            and namespace == self.log_namespace
            and event not in self.ephemeral_events
        ):
            # Logged whether or not anyone here receives it: someone may resume.
            entry = self.log.append(event, args, _room_names(to or room))
        if namespace not in self.rooms:
            return
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        recipients = [
            (sid, eio_sid)
            for sid, eio_sid in self.get_participants(namespace, to or room)
            if sid not in skip
        ]
        # Each encoding is made once, and only if some recipient takes it: a room of
        # sockets that all asked for positions never needs the plain one.
        frames: list[eio_packet.Packet] | None = None
        positioned, held = self._positioned, self._held
        for sid, eio_sid in recipients:
            if entry is not None and sid in positioned and not (held and sid in held):
                await self._deliver(eio_sid, self._positioned_frames(entry, namespace))
                continue
            if frames is None:
                frames = self._frames(namespace, [event, *args])
            if held and sid in held:
                held[sid].append((entry, frames))
            else:
                await self._deliver(eio_sid, frames)
        if event in self.disconnecting_events and recipients:
            self._later(self._disconnect([sid for sid, _ in recipients], namespace))

    def hold(self, sid: str) -> None:
        """Keep what a starting socket's rooms get until `release`."""
        self._held[sid] = []

    async def release(
        self,
        sid: str,
        namespace: str,
        first: tuple[str, Any],
        replay: Sequence[Entry],
        covered: int | None,
    ) -> None:
        """Start a held socket's stream with positions: `first`, the `replay`, then
        what its rooms got while it was held, less what the replay covered (every
        entry up to offset `covered`, when it resumed)."""
        waited = self._held.pop(sid, [])
        self._positioned.add(sid)
        eio_sid = self.eio_sid_from_sid(sid, namespace)
        if eio_sid is None:
            return  # gone meanwhile
        await self._deliver(eio_sid, self._frames(namespace, list(first)))
        for entry in replay:
            await self._deliver(eio_sid, self._positioned_frames(entry, namespace))
        for logged, frames in waited:
            if logged is None:
                await self._deliver(eio_sid, frames)
            elif covered is None or logged.offset > covered:
                await self._deliver(eio_sid, self._positioned_frames(logged, namespace))

    def forget(self, sid: str) -> None:
        """A socket that closed, or never finished connecting."""
        self._positioned.discard(sid)
        self._held.pop(sid, None)

    def _frames(self, namespace: str, data: list[Any]) -> list[eio_packet.Packet]:
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace, data=data).encode()
        return [
            eio_packet.Packet(eio_packet.MESSAGE, part)
            for part in (encoded if isinstance(encoded, list) else [encoded])
        ]

    def _positioned_frames(self, entry: Entry, namespace: str) -> list[eio_packet.Packet]:
        if entry.encoded is None:
            assert self.log is not None  # only logged events have entries
            position = self.log.position(entry.offset)
            entry.encoded = self._frames(namespace, [entry.event, *entry.args, position])
        frames: list[eio_packet.Packet] = entry.encoded
        return frames

    async def _deliver(self, eio_sid: str, frames: list[eio_packet.Packet]) -> None:
        """Queue the frames on one socket, and watch it when it is far behind."""
        eio = self.server.eio
        socket = eio.sockets.get(eio_sid)
        if socket is None or socket.closed:
            return  # gone already: its disconnect is on its way
        try:
            for frame in frames:
                await eio.send_packet(eio_sid, frame)
        except eio_exceptions.EngineIOError:
            return  # closed meanwhile: one socket's failure is not the broadcast's
        queued = socket.queue.qsize()
        if queued >= self.max_queued:
            self._watching().note(eio_sid, queued)

    def _watching(self) -> SlowSocketWatch:
        if self._watch is None:
            self._watch = SlowSocketWatch(
                self.max_queued, self.slow_seconds, self._queued, self._close_slow
            )
        return self._watch

    def _queued(self, eio_sid: str) -> int | None:
        socket = self.server.eio.sockets.get(eio_sid)
        if socket is None or socket.closed:
            return None
        queued: int = socket.queue.qsize()
        return queued

    def _later(self, work: Coroutine[Any, Any, None]) -> None:
        if self._closing is None:
            self._closing = BackgroundTasks()
        self._closing.start(work)

    async def _disconnect(self, sids: list[str], namespace: str) -> None:
        for sid in sids:
            # Local sockets only: every process closes its own recipients.
            await self.server.disconnect(sid, namespace=namespace, ignore_queue=True)

    async def stop(self) -> None:
        """At shutdown: end whatever this manager runs of its own."""

    def close_every_socket(self) -> None:
        """Close every socket of this process, after the current broadcast: each client
        sees its connection close, reconnects, and resumes or refetches."""
        self._later(self._close(list(self.server.eio.sockets), slow=False))

    async def _close_slow(self, eio_sids: list[str]) -> None:
        await self._close(eio_sids, slow=True)

    async def _close(self, eio_sids: list[str], slow: bool) -> None:
        eio = self.server.eio
        for eio_sid in eio_sids:
            socket = eio.sockets.get(eio_sid)
            if socket is None or socket.closed:
                continue
            if slow and self.metrics is not None:
                self.metrics.slow_sockets.inc()
            try:
                # What is queued is never read: the client resumes after reconnecting.
                # The close packet then goes first, to a client that still reads.
                socket.queue.discard()
                await socket.close(wait=False, reason=eio.reason.SERVER_DISCONNECT)
                if socket.upgraded:
                    # Its writer ends after the close packet, and closes the WebSocket. A
                    # client that never reads again is let go by the WebSocket keepalive.
                    socket.queue.put_nowait(None)
            except Exception:
                # One socket's failure to close is not the others': they are closed too.
                log.exception("closing socket %s failed", eio_sid)


def _room_names(rooms: Any) -> list[str]:
    if rooms is None:
        return []
    return [rooms] if isinstance(rooms, str) else [str(room) for room in rooms]
