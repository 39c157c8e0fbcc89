"""Deadlines for reading a request: its headers, then its body (slowloris, slow POST).

uvicorn arms no timer until a first response is complete, so a connection that sends
nothing, or a byte of its headers or its body every few seconds, is held forever. This
protocol is uvicorn's own httptools protocol, handed to uvicorn through its `http=`
setting, with one timer: from the connection (and each next request) to the end of the
request's headers, then from there to the end of its body. A WebSocket upgrade leaves
the HTTP protocol after its headers, and the timer with it.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class ReadDeadlineProtocol(HttpToolsProtocol):
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 30.0
    read_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout_seconds)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm(self.header_timeout_seconds)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
        if not self.parser.should_upgrade():
            self._arm(self.body_timeout_seconds)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self.read_timer = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self.read_timer is not None:
            self.read_timer.cancel()
            self.read_timer = None

    def _too_slow(self) -> None:
        self.read_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def with_read_deadlines(headers: float, body: float) -> type[ReadDeadlineProtocol]:
    """The protocol class with these deadlines, for `uvicorn.run(http=...)`."""
    return type(
        "ReadDeadlineProtocol",
        (ReadDeadlineProtocol,),
        {"header_timeout_seconds": headers, "body_timeout_seconds": body},
    )
