"""The Socket.IO packet decoder: what a client sends, refused before any handler runs.

python-socketio takes a `Packet` subclass as its `serializer`, the documented way to
change how packets are encoded and decoded. Ours turns every frame the contract does
not allow into an event whose name is a `Refusal` (never a string, so no client can
name it): the namespace answers it with an error acknowledgement, and no lifecycle
handler or application handler ever sees the frame's content.

- Reserved names (`connect`, `disconnect`, ...) sent as events: python-socketio would
  hand them to the lifecycle handlers, letting a client fake its own disconnect.
- Binary events and their attachments: the contract declares none, and the library
  would buffer attachments without bound while waiting for them.
- Payloads nested deeper than `MAX_DEPTH`, events without a name, and frames that are
  not JSON: handlers would recurse over them, or the library would fail with no ack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from socketio import packet

from service.validation import MAX_DEPTH, nests_deeper_than

# Socket.IO's own names, and the Engine.IO ones its clients treat as reserved.
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """An event the decoder refused, in place of the event's name."""

    message: str
    location: str = "event"


_FROM_CLIENTS = frozenset(
    {
        packet.CONNECT,
        packet.DISCONNECT,
        packet.EVENT,
        packet.ACK,
        packet.BINARY_EVENT,
        packet.BINARY_ACK,
    }
)


class ContractPacket(packet.Packet):  # type: ignore[misc]
    # The server never emits binary, so a payload need not be walked for bytes.
    uses_binary_events = False
    data: Any

    def decode(self, encoded_packet: Any) -> int:
        if not isinstance(encoded_packet, str):
            # A binary Engine.IO message: the attachment of a binary event, refused below.
            self._refuse(Refusal("Binary frames are not accepted."), packet_id=None)
            return 0
        try:
            attachments: int = super().decode(encoded_packet)
        except (ValueError, RecursionError):
            self._refuse(Refusal("The frame is not a Socket.IO packet of JSON."))
            return 0
        if self.packet_type not in _FROM_CLIENTS:
            self._refuse(Refusal("Clients cannot send this packet type."), packet_id=None)
            return 0
        if self.packet_type in (packet.BINARY_EVENT, packet.BINARY_ACK):
            # Answer now and let the attachments that follow be dropped one by one.
            self._refuse(Refusal("Binary attachments are not accepted."))
            return 0
        if self.packet_type == packet.EVENT:
            self._check_event(encoded_packet)
        elif self.packet_type == packet.CONNECT and nests_deeper_than(encoded_packet, self.data):
            self.data = None  # absurd auth is no auth: the connection is refused
        return attachments

    def _check_event(self, encoded: str) -> None:
        data = self.data
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            self._refuse(Refusal("An event is a JSON array that starts with its name."))
        elif data[0] in RESERVED_EVENTS:
            self._refuse(Refusal(f"{data[0]!r} is a reserved event name; clients cannot send it."))
        elif nests_deeper_than(encoded, data, MAX_DEPTH + 1):  # the array is one level
            self._refuse(Refusal(f"The payload nests deeper than {MAX_DEPTH} levels.", "payload"))

    def _refuse(self, refusal: Refusal, packet_id: Any = ...) -> None:
        self.packet_type = packet.EVENT
        self.data = [refusal]
        if packet_id is not ...:
            self.id = packet_id
