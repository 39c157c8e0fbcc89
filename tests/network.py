"""A network that can go away: a TCP proxy on 127.0.0.1 in front of a service, for
clients (python-socketio, socket.io-client under Node, a browser) that must see a real
drop and come back on their own."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit


class Link:
    """`offline()` drops every connection through it and refuses new ones until
    `online()`: what a client sees when its network goes."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._open: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.up = True
        self.url = ""
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._carry, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        self.offline()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def offline(self) -> None:
        self.up = False
        for writer in list(self._open):
            writer.transport.abort()  # a reset, not a polite close
        self._open.clear()

    def online(self) -> None:
        self.up = True

    async def _carry(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        if not self.up:
            client_out.transport.abort()
            return
        try:
            server_in, server_out = await asyncio.open_connection(self._host, self._port)
        except OSError:
            client_out.transport.abort()
            return
        self._open.update((client_out, server_out))
        try:
            await asyncio.gather(
                _pipe(client_in, server_out), _pipe(server_in, client_out), return_exceptions=True
            )
        finally:
            for writer in (client_out, server_out):
                self._open.discard(writer)
                writer.transport.abort()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    while data := await source.read(65536):
        sink.write(data)
        await sink.drain()
    with contextlib.suppress(OSError):
        sink.write_eof()


@contextlib.asynccontextmanager
async def link(upstream: str) -> AsyncIterator[Link]:
    through = Link(upstream)
    await through.start()
    try:
        yield through
    finally:
        await through.stop()
