"""A Socket.IO client at the frame level, for frames no well-behaved client library sends."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


@dataclass
class RawSocket:
    """An Engine.IO v4 WebSocket connected to the default namespace."""

    websocket: ClientConnection
    # Every Socket.IO packet received so far, as text ("42[...]", "43N[...]", ...).
    received: list[str] = field(default_factory=list)

    async def send(self, frame: str | bytes) -> None:
        """Send one Socket.IO packet ("4" + text) or one binary attachment (bytes)."""
        await self.websocket.send(frame if isinstance(frame, bytes) else "4" + frame)

    async def ack(self, ack_id: int, seconds: float = 5) -> Any:
        """Wait for the acknowledgement with `ack_id`; its one argument."""
        prefix = f"3{ack_id}["

        async def wait() -> Any:
            seen = 0
            while True:
                while seen < len(self.received):
                    packet = self.received[seen]
                    seen += 1
                    if packet.startswith(prefix):
                        [argument] = json.loads(packet[len(prefix) - 1 :])
                        return argument
                await self._read()

        return await asyncio.wait_for(wait(), seconds)

    async def call(self, ack_id: int, event: str, payload: Any) -> Any:
        await self.send(f"2{ack_id}" + json.dumps([event, payload]))
        return await self.ack(ack_id)

    def events(self, name: str) -> list[Any]:
        found = []
        for packet in self.received:
            if packet.startswith("2["):
                event, *args = json.loads(packet[1:])
                if event == name:
                    found.append(args[0] if args else None)
        return found

    async def pump(self) -> None:
        """Read (and answer pings) until cancelled: a live client that sends nothing."""
        while True:
            await self._read()

    async def _read(self) -> None:
        frame = await self.websocket.recv()
        if frame == "2":  # Engine.IO ping
            await self.websocket.send("3")
        elif isinstance(frame, str) and frame.startswith("4"):
            self.received.append(frame[1:])


@asynccontextmanager
async def raw_socket(
    base_url: str, token: str, close_timeout: float = 10
) -> AsyncIterator[RawSocket]:
    url = base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    async with connect(url, max_size=None, close_timeout=close_timeout) as websocket:
        opened = await asyncio.wait_for(websocket.recv(), 5)
        assert str(opened).startswith("0{"), opened
        await websocket.send("40" + json.dumps({"token": token}))
        connected = await asyncio.wait_for(websocket.recv(), 5)
        assert str(connected).startswith("40{"), connected
        yield RawSocket(websocket)
