"""Pins: a conversation's pinned messages, bounded in number, the same for everyone."""

from __future__ import annotations

from collections.abc import Callable

from service.domain.clock import Clock
from service.domain.errors import Conflict
from service.domain.events import PinsUpdated
from service.domain.model import Pin
from service.outlet.port import EventOutlet
from service.services.rules import conversation_not_found, participants_message
from service.storage.ports import UnitOfWork


class PinService:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        events: EventOutlet,
        clock: Clock,
        max_pins: int,
    ) -> None:
        self._uow_factory = uow_factory
        self._events = events
        self._clock = clock
        self._max_pins = max_pins

    async def pins(self, caller_id: int, conversation_id: int) -> tuple[Pin, ...]:
        async with self._uow_factory() as uow:
            await _require_participant(uow, caller_id, conversation_id)
            return tuple(await uow.pins.pins(conversation_id))

    async def pin(self, caller_id: int, conversation_id: int, message_id: int) -> tuple[Pin, ...]:
        """Pin a message (any participant); pinning it again changes nothing. `Conflict`
        when the conversation holds its most pins."""
        async with self._uow_factory() as uow:
            await participants_message(uow, caller_id, conversation_id, message_id)
            pins = await uow.pins.pins(conversation_id)
            if any(pin.message.id == message_id for pin in pins):
                return tuple(pins)
            if len(pins) >= self._max_pins:
                raise Conflict(
                    f"Conversation {conversation_id} holds {self._max_pins} pins already; "
                    "unpin one first."
                )
            await uow.pins.pin(conversation_id, message_id, caller_id, self._clock())
            after = tuple(await uow.pins.pins(conversation_id))
            await uow.commit()
        await self._events.publish(PinsUpdated(conversation_id, after))
        return after

    async def unpin(self, caller_id: int, conversation_id: int, message_id: int) -> tuple[Pin, ...]:
        """Unpin a message (any participant); unpinning it again changes nothing."""
        async with self._uow_factory() as uow:
            await participants_message(uow, caller_id, conversation_id, message_id)
            if not await uow.pins.unpin(conversation_id, message_id):
                return tuple(await uow.pins.pins(conversation_id))
            after = tuple(await uow.pins.pins(conversation_id))
            await uow.commit()
        await self._events.publish(PinsUpdated(conversation_id, after))
        return after


async def _require_participant(uow: UnitOfWork, caller_id: int, conversation_id: int) -> None:
    if not await uow.conversations.is_participant(conversation_id, caller_id):
        raise conversation_not_found(conversation_id)
