"""Reactions: emojis participants put on messages, capped per message and per user."""

from __future__ import annotations

from collections.abc import Callable

from service.domain.clock import Clock
from service.domain.errors import Conflict
from service.domain.events import ReactionChanged
from service.domain.model import (
    MAX_REACTIONS_PER_MESSAGE,
    MAX_REACTIONS_PER_USER,
    MessageReactions,
)
from service.outlet.port import EventOutlet
from service.services.rules import fully_qualified_emoji, participants_message
from service.storage.ports import UnitOfWork


class ReactionService:
    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], events: EventOutlet, clock: Clock
    ) -> None:
        self._uow_factory = uow_factory
        self._events = events
        self._clock = clock

    async def add(
        self, caller_id: int, conversation_id: int, message_id: int, emoji: str
    ) -> MessageReactions:
        """React to a message (any participant); the same reaction again changes
        nothing. `Conflict` for a deleted message, or past a cap."""
        emoji = fully_qualified_emoji("emoji", emoji)
        async with self._uow_factory() as uow:
            message = await participants_message(uow, caller_id, conversation_id, message_id)
            if message.deleted_at is not None:
                raise Conflict(f"Message {message_id} was deleted.")
            mine = await uow.reactions.users_emojis(message_id, caller_id)
            if emoji in mine:
                return await _reactions(uow, caller_id, conversation_id, message_id)
            if len(mine) >= MAX_REACTIONS_PER_USER:
                raise Conflict(
                    f"You have {MAX_REACTIONS_PER_USER} reactions on message {message_id} "
                    "already; remove one first."
                )
            on_message = await uow.reactions.emojis(message_id)
            if emoji not in on_message and len(on_message) >= MAX_REACTIONS_PER_MESSAGE:
                raise Conflict(
                    f"Message {message_id} holds {MAX_REACTIONS_PER_MESSAGE} different "
                    "reactions already."
                )
            # A new emoji goes after the others; a standing one keeps its place.
            place = on_message.get(emoji, max(on_message.values(), default=0) + 1)
            await uow.reactions.add(
                conversation_id, message_id, caller_id, emoji, place, self._clock()
            )
            after = await _reactions(uow, caller_id, conversation_id, message_id)
            await uow.commit()
        await self._events.publish(_changed(after, caller_id, emoji, added=True))
        return after

    async def remove(
        self, caller_id: int, conversation_id: int, message_id: int, emoji: str
    ) -> MessageReactions:
        """Remove the caller's reaction; removing one they do not have changes nothing."""
        emoji = fully_qualified_emoji("emoji", emoji)
        async with self._uow_factory() as uow:
            await participants_message(uow, caller_id, conversation_id, message_id)
            removed = await uow.reactions.remove(message_id, caller_id, emoji)
            after = await _reactions(uow, caller_id, conversation_id, message_id)
            if not removed:
                return after
            await uow.commit()
        await self._events.publish(_changed(after, caller_id, emoji, added=False))
        return after


async def _reactions(
    uow: UnitOfWork, caller_id: int, conversation_id: int, message_id: int
) -> MessageReactions:
    found = await uow.queries.reactions([message_id], caller_id)
    return MessageReactions(conversation_id, message_id, found.get(message_id, ()))


def _changed(after: MessageReactions, user_id: int, emoji: str, *, added: bool) -> ReactionChanged:
    reaction = after.of(emoji)
    count, users = (0, ()) if reaction is None else (reaction.count, reaction.user_ids)
    return ReactionChanged(
        after.conversation_id, after.message_id, user_id, emoji, added, count, users
    )
