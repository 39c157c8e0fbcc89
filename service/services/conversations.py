"""Conversations and their participants."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from service.domain.clock import Clock
from service.domain.errors import Conflict, Forbidden, InputError, InvalidInput, NotFound
from service.domain.events import (
    ConversationCreated,
    ConversationDeleted,
    ConversationUpdated,
    RemovalReason,
)
from service.domain.model import (
    ActivityCursor,
    Conversation,
    ConversationKind,
    ConversationPage,
    ConversationView,
    UserRef,
)
from service.outlet.port import EventOutlet
from service.services.rules import clean_text, conversation_not_found, unique_ids, unknown_users
from service.storage.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class CreatedConversation:
    view: ConversationView
    created: bool


class ConversationService:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        events: EventOutlet,
        clock: Clock,
    ) -> None:
        self._uow_factory = uow_factory
        self._events = events
        self._clock = clock

    async def create(
        self,
        caller_id: int,
        kind: ConversationKind,
        title: str | None,
        participant_ids: list[int],
    ) -> CreatedConversation:
        """Start a conversation; a direct one that exists is returned instead."""
        others = unique_ids("participant_ids", participant_ids)
        if kind is ConversationKind.DIRECT:
            return await self._create_direct(caller_id, title, others)
        if title is None:
            raise InvalidInput(
                "A group needs a title.", (InputError("title", "required for a group"),)
            )
        return await self._create(
            caller_id, kind, clean_text("title", title), {caller_id, *others}, None
        )

    async def _create_direct(
        self, caller_id: int, title: str | None, others: list[int]
    ) -> CreatedConversation:
        if title is not None:
            raise InvalidInput(
                "A direct conversation has no title.",
                (InputError("title", "must be absent for a direct conversation"),),
            )
        if len(others) != 1:
            raise InvalidInput(
                "A direct conversation takes exactly one other user.",
                (InputError("participant_ids", "must hold exactly one user id"),),
            )
        low, high = sorted((caller_id, others[0]))
        key = f"{low}:{high}"
        existing = await self._find_direct(caller_id, key)
        if existing is not None:
            return existing
        try:
            return await self._create(caller_id, ConversationKind.DIRECT, None, {low, high}, key)
        except Conflict:
            # Another request created it between our lookup and our insert.
            found = await self._find_direct(caller_id, key)
            if found is None:
                raise
            return found

    async def _find_direct(self, caller_id: int, key: str) -> CreatedConversation | None:
        async with self._uow_factory() as uow:
            conversation_id = await uow.conversations.find_direct(key)
            if conversation_id is None:
                return None
            view = await self._view(uow, conversation_id, caller_id)
        return CreatedConversation(view, created=False)

    async def _create(
        self,
        caller_id: int,
        kind: ConversationKind,
        title: str | None,
        members: set[int],
        direct_key: str | None,
    ) -> CreatedConversation:
        async with self._uow_factory() as uow:
            missing = members - await uow.users.existing_ids(members)
            if missing:
                raise unknown_users("participant_ids", missing)
            conversation_id = await uow.conversations.add(
                kind, title, caller_id, sorted(members), direct_key, self._clock()
            )
            conversation = await self._load(uow, conversation_id)
            await uow.commit()
        await self._events.publish(ConversationCreated(conversation, conversation.participant_ids))
        return CreatedConversation(ConversationView(conversation, 0), created=True)

    async def list_for(
        self,
        caller_id: int,
        limit: int,
        before: ActivityCursor | None,
        updated_since: datetime | None,
    ) -> ConversationPage:
        """The caller's conversations, newest activity first; only those older than
        `before` when given."""
        async with self._uow_factory() as uow:
            found = await uow.queries.conversations(caller_id, limit + 1, before, updated_since)
            page = found[:limit]
            ids = [c.id for c in page]
            read = await uow.queries.read_seqs(caller_id, ids)
            mentions = await uow.queries.unread_mentions(caller_id, ids)
        views = tuple(ConversationView(c, read.get(c.id, 0), mentions.get(c.id, 0)) for c in page)
        next_cursor = None
        if len(found) > limit:
            last = page[-1]
            next_cursor = ActivityCursor(last.updated_at, last.id)
        return ConversationPage(views, next_cursor)

    async def get(self, caller_id: int, conversation_id: int) -> ConversationView:
        """One of the caller's conversations; `NotFound` for any other."""
        async with self._uow_factory() as uow:
            return await self._view(uow, conversation_id, caller_id)

    async def ids_for(self, user_id: int) -> list[int]:
        """The ids of the user's conversations (the rooms their sockets belong in)."""
        async with self._uow_factory() as uow:
            return await uow.queries.conversation_ids(user_id)

    async def ensure_participant(self, caller_id: int, conversation_id: int) -> None:
        """`NotFound` unless the caller participates in the conversation."""
        async with self._uow_factory() as uow:
            if not await uow.conversations.is_participant(conversation_id, caller_id):
                raise conversation_not_found(conversation_id)

    async def rename(self, caller_id: int, conversation_id: int, title: str) -> ConversationView:
        """Rename a group; `Conflict` for a direct conversation."""
        title = clean_text("title", title)
        async with self._uow_factory() as uow:
            current = await self._participating(uow, conversation_id, caller_id)
            if current.kind is ConversationKind.DIRECT:
                raise Conflict("A direct conversation has no title.")
            await uow.conversations.rename(conversation_id, title, self._clock())
            view = await self._view(uow, conversation_id, caller_id)
            await uow.commit()
        await self._events.publish(_change(view.conversation))
        return view

    async def delete(self, caller_id: int, conversation_id: int) -> None:
        """Delete for everyone: a group by its owner, a direct one by either side."""
        async with self._uow_factory() as uow:
            current = await self._participating(uow, conversation_id, caller_id)
            if current.kind is ConversationKind.GROUP and current.owner_id != caller_id:
                raise Forbidden("Only the owner may delete a group conversation.")
            await uow.conversations.delete(conversation_id)
            await uow.commit()
        await self._events.publish(
            ConversationDeleted(conversation_id, current.participant_ids, RemovalReason.DELETED)
        )

    async def add_participants(
        self, caller_id: int, conversation_id: int, user_ids: list[int]
    ) -> ConversationView:
        """Add users to a group; those already in it are ignored."""
        wanted = set(unique_ids("user_ids", user_ids))
        async with self._uow_factory() as uow:
            current = await self._participating(uow, conversation_id, caller_id)
            if current.kind is ConversationKind.DIRECT:
                raise Conflict("A direct conversation cannot take more participants.")
            missing = wanted - await uow.users.existing_ids(wanted)
            if missing:
                raise unknown_users("user_ids", missing)
            added = wanted - set(current.participant_ids)
            if not added:
                return await self._view(uow, conversation_id, caller_id)
            now = self._clock()
            # Newcomers start with history read: their badge counts only what follows.
            last_id = None if current.last_message is None else current.last_message.id
            await uow.conversations.add_participants(
                conversation_id, sorted(added), last_id, current.last_seq, now
            )
            await uow.conversations.touch(conversation_id, now)
            view = await self._view(uow, conversation_id, caller_id)
            await uow.commit()
        conversation = view.conversation
        newcomers = tuple(p for p in conversation.participants if p.id in added)
        await self._events.publish(
            ConversationCreated(conversation, tuple(p.id for p in newcomers))
        )
        await self._events.publish(_change(conversation, added=newcomers))
        return view

    async def remove_participant(self, caller_id: int, conversation_id: int, user_id: int) -> None:
        """Leave a group, or (the owner) remove someone from it; an owner who leaves
        hands the group to the longest-standing participant."""
        async with self._uow_factory() as uow:
            current = await self._participating(uow, conversation_id, caller_id)
            if current.kind is ConversationKind.DIRECT:
                raise Conflict("Nobody can be removed from a direct conversation; delete it.")
            if user_id not in current.participant_ids:
                raise NotFound(f"User {user_id} is not a participant of {conversation_id}.")
            if user_id != caller_id and current.owner_id != caller_id:
                raise Forbidden("Only the owner may remove other participants.")
            await uow.conversations.remove_participant(conversation_id, user_id)
            remaining = [uid for uid in current.participant_ids if uid != user_id]
            successor = None
            if remaining and user_id == current.owner_id:
                # A group is never left without someone who can administer it.
                successor = await uow.conversations.longest_standing(conversation_id)
            if successor is not None:
                await uow.conversations.set_owner(conversation_id, successor)
            conversation = None
            if remaining:
                await uow.conversations.touch(conversation_id, self._clock())
                conversation = await self._load(uow, conversation_id)
            else:
                await uow.conversations.delete(conversation_id)
            await uow.commit()
        await self._events.publish(
            ConversationDeleted(conversation_id, (user_id,), RemovalReason.REMOVED)
        )
        if conversation is not None:
            await self._events.publish(_change(conversation, removed=(user_id,)))

    async def _participating(
        self, uow: UnitOfWork, conversation_id: int, caller_id: int
    ) -> Conversation:
        conversation = await uow.conversations.get(conversation_id)
        if conversation is None or caller_id not in conversation.participant_ids:
            raise conversation_not_found(conversation_id)
        return conversation

    async def _view(
        self, uow: UnitOfWork, conversation_id: int, caller_id: int
    ) -> ConversationView:
        conversation = await self._participating(uow, conversation_id, caller_id)
        read = await uow.queries.read_seqs(caller_id, [conversation_id])
        mentions = await uow.queries.unread_mentions(caller_id, [conversation_id])
        return ConversationView(
            conversation, read.get(conversation_id, 0), mentions.get(conversation_id, 0)
        )

    async def _load(self, uow: UnitOfWork, conversation_id: int) -> Conversation:
        conversation = await uow.conversations.get(conversation_id)
        assert conversation is not None, "loaded inside the transaction that wrote it"
        return conversation


def _change(
    conversation: Conversation,
    added: tuple[UserRef, ...] = (),
    removed: tuple[int, ...] = (),
) -> ConversationUpdated:
    return ConversationUpdated(
        conversation.id,
        conversation.title,
        conversation.owner_id,
        conversation.updated_at,
        added,
        removed,
    )
