"""A Socket.IO client at the frame level, for frames no well-behaved client library sends."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri


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


class PausedReader:
    """A Socket.IO WebSocket whose bytes are read only when the test asks: between two
    reads, the kernel's buffers fill exactly as for a client that stopped reading.
    (Client libraries read the network in the background whatever their caller does.)"""

    def __init__(self, sock: socket.socket, protocol: ClientProtocol) -> None:
        self._sock = sock
        self._protocol = protocol
        self._frames: list[Frame] = []
        self.closed = False
        self.before_connect: list[str] = []

    @classmethod
    async def open(
        cls, base_url: str, token: str, receive_buffer: int, resume: dict[str, Any] | None = None
    ) -> PausedReader:
        host, port = base_url.removeprefix("http://").rsplit(":", 1)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        # Loopback's 64 KiB segments would let the server's send buffer grow to megabytes
        # (Linux sizes it by segments); ordinary ones keep it near what a network gives.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 1400)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        url = f"ws://{host}:{port}/socket.io/?EIO=4&transport=websocket"
        protocol = ClientProtocol(parse_uri(url), max_size=None)
        protocol.send_request(protocol.connect())
        reader = cls(sock, protocol)
        await reader._flush()
        assert (await reader.receive() or "").startswith("0{")
        auth: dict[str, Any] = {"token": token}
        if resume is not None:
            auth["resume"] = resume
        await reader.send("40" + json.dumps(auth))
        # A socket that asked for positions gets `sync` before the connect packet.
        while not (frame := await reader.receive() or "").startswith("40{"):
            assert resume is not None, frame
            assert frame.startswith('42["sync"'), frame
            reader.before_connect.append(frame)
        return reader

    async def send(self, text: str) -> None:
        self._protocol.send_text(text.encode())
        await self._flush()

    async def join(self, conversation_id: int) -> None:
        """Join a conversation's room and read up to the acknowledgement."""
        await self.send(
            "421" + json.dumps(["join_conversation", {"conversation_id": conversation_id}])
        )
        while not (await self.receive() or "431").startswith("431"):
            pass

    async def receive(self) -> str | None:
        """The next text frame; None once the server has closed the connection."""
        loop = asyncio.get_running_loop()
        while not self._frames:
            if self.closed:
                return None
            try:
                data = await loop.sock_recv(self._sock, 65536)
            except ConnectionResetError:
                data = b""  # closed too, abruptly: what was still unread is gone
            if data:
                self._protocol.receive_data(data)
            else:
                self._protocol.receive_eof()
                self.closed = True
            for event in self._protocol.events_received():
                if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                    self._frames.append(event)
                elif isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                    self.closed = True
            await self._flush()
        return bytes(self._frames.pop(0).data).decode()

    async def _flush(self) -> None:
        for chunk in self._protocol.data_to_send():
            if chunk:
                await asyncio.get_running_loop().sock_sendall(self._sock, chunk)

    def close(self) -> None:
        self._sock.close()
