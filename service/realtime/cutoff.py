"""Ending a Socket.IO WebSocket whose client has stopped reading.

Engine.IO closes a socket by queueing a close packet for its writer. A client that
reads nothing never lets that writer finish its current write (the transport's buffer
stays full), so the close would wait behind it until a keepalive times out, some 40 s
later, while the socket, already gone from its rooms, receives nothing. This ASGI
middleware stands between uvicorn and Engine.IO on every WebSocket of `/socket.io/`
and can cut one: the write it is stuck in and the read it waits on both end, Engine.IO
ends the session, and uvicorn closes the connection. The client sees the connection
close as soon as it reads again, and catches up after reconnecting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.realtime.handshakes import SOCKET_IO_PATH, session_id

_CUT = {"type": "websocket.disconnect", "code": 1008}


class _Line:
    """One WebSocket between uvicorn and Engine.IO."""

    def __init__(self, receive: Receive, send: Send, named: Callable[[str], None] | None) -> None:
        self._receive = receive
        self._send = send
        # A WebSocket opened without polling first learns its session from its first
        # packet: until then, each packet sent is read for it.
        self._named = named
        self.cut = False
        self.reading: asyncio.Task[object] | None = None  # waiting in receive()
        self.writing: asyncio.Task[object] | None = None  # waiting in send()

    async def receive(self) -> Message:
        if self.cut:
            return _CUT
        self.reading = asyncio.current_task()
        try:
            return await self._receive()
        finally:
            self.reading = None

    async def send(self, message: Message) -> None:
        if self.cut:
            return  # the session is over: nothing more reaches this client
        if self._named is not None:
            sid = session_id(message)
            if sid is not None:
                self._named(sid)
                self._named = None
        self.writing = asyncio.current_task()
        try:
            await self._send(message)
        finally:
            self.writing = None

    def stuck(self) -> bool:
        return self.writing is not None

    def end(self) -> None:
        self.cut = True
        for task in (self.writing, self.reading):
            if task is not None:
                task.cancel()


class WebSocketCutoff:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._lines: dict[str, _Line] = {}  # Engine.IO session id -> its WebSocket

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or not str(scope.get("path", "")).startswith(
            SOCKET_IO_PATH
        ):
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        sids: list[str] = query.get("sid", [])  # an upgrade names its session

        def named(sid: str) -> None:
            sids.append(sid)
            self._lines[sid] = line

        line = _Line(receive, send, None if sids else named)
        if sids:
            self._lines[sids[0]] = line
        try:
            await self.app(scope, line.receive, line.send)
        finally:
            if sids and self._lines.get(sids[0]) is line:
                del self._lines[sids[0]]

    def cut_if_stuck(self, eio_sid: str) -> bool:
        """End the WebSocket of `eio_sid` if its writer is stuck in a write."""
        line = self._lines.get(eio_sid)
        if line is None or not line.stuck():
            return False
        line.end()
        return True
