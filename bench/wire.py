"""The load client's Socket.IO client: Engine.IO 4 / Socket.IO 5 spoken directly over
aiohttp WebSockets. No client library, so that thousands of clients fit on the load
generator's one core and the server, not the client, is what gets measured."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import aiohttp


class Tally:
    """Every `message_created` any client received: its latency, since the posted body
    is the poster's `time.perf_counter()` (one clock: poster and clients share this
    process)."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self._arrived = asyncio.Event()

    def record(self, body: str) -> None:
        self.latencies.append(time.perf_counter() - float(body))
        self._arrived.set()

    def take(self) -> list[float]:
        taken, self.latencies = self.latencies, []
        return taken

    async def drain(self, expected: int, quiet: float = 3.0) -> None:
        """Until `expected` deliveries arrived, or none arrived for `quiet` seconds."""
        while len(self.latencies) < expected:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), quiet)
            except TimeoutError:
                return


class Refused(Exception):
    """The server refused the handshake or a join."""


class Wire:
    """One socket of one user: connect with the user's token, join rooms, count."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, tally: Tally) -> None:
        self._http = http
        self._url = base_url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self._tally = tally
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._waiting: dict[str, asyncio.Future[str]] = {}
        self._acks = 0
        self.closing = False
        self.dropped = False  # closed by the server, not by us

    async def open(self, token: str, conversation_ids: list[int]) -> None:
        self.closing = self.dropped = False
        self._ws = await self._http.ws_connect(self._url, max_msg_size=0, autoping=True)
        opened = await self._ws.receive()
        if not str(opened.data).startswith("0"):
            raise Refused(str(opened.data))
        connected = self._expect("40")
        self._reader = asyncio.create_task(self._read())
        await self._ws.send_str("40" + json.dumps({"token": token}))
        await connected
        for conversation_id in conversation_ids:
            self._acks += 1
            ack = self._expect(f"43{self._acks}")
            join = ["join_conversation", {"conversation_id": conversation_id}]
            await self._ws.send_str(f"42{self._acks}{json.dumps(join)}")
            if '"ok":true' not in (await ack).replace(" ", ""):
                raise Refused(await ack)

    async def close(self) -> None:
        self.closing = True
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            # However the reader ended (closed, reset, cancelled), the socket is gone.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    def _expect(self, prefix: str) -> asyncio.Future[str]:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting[prefix] = future
        return future

    async def _read(self) -> None:
        assert self._ws is not None
        async for frame in self._ws:
            if frame.type is not aiohttp.WSMsgType.TEXT:
                continue
            text: str = frame.data
            if text == "2":
                await self._ws.send_str("3")
            elif text.startswith('42["message_created"'):
                self._tally.record(json.loads(text[2:])[1]["body"])
            elif text.startswith("44"):
                self._settle("40", Refused(text))
            elif text.startswith("4"):
                for prefix in list(self._waiting):
                    if text.startswith(prefix) and (prefix == "40" or text[len(prefix)] == "["):
                        self._settle(prefix, text)
        if not self.closing:
            self.dropped = True
            for prefix in list(self._waiting):
                self._settle(prefix, Refused("closed by the server"))

    def _settle(self, prefix: str, outcome: str | Exception) -> None:
        future = self._waiting.pop(prefix, None)
        if future is None or future.done():
            return
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
