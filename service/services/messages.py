"""Messages, read watermarks and unread counts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from service.domain.clock import Clock
from service.domain.errors import Conflict, Forbidden, InputError, InvalidInput
from service.domain.events import (
    ConversationActivity,
    MessageCreated,
    MessageMentioned,
    MessagesDelivered,
    MessagesRead,
    MessageUpdated,
    UnreadCountUpdated,
)
from service.domain.model import (
    MAX_MENTIONS,
    MAX_MESSAGE_VERSIONS,
    READ_EVENT_MAX_IDS,
    Message,
    MessagePage,
    MessageVersion,
    Quote,
    ReadState,
    Unread,
    UnreadSummary,
)
from service.outlet.port import Backpressure, EventOutlet
from service.services.rules import (
    BLANKS,
    clean_text,
    conversation_not_found,
    participants_message,
    unique_ids,
)
from service.storage.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class _Draft:
    body: str
    client_message_id: str | None
    reply_to: int | None
    mentions: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SentMessage:
    message: Message
    created: bool


class MessageService:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        events: EventOutlet,
        clock: Clock,
        backpressure: Backpressure,
    ) -> None:
        self._uow_factory = uow_factory
        self._events = events
        self._clock = clock
        self._backpressure = backpressure

    async def send(
        self,
        sender_id: int,
        conversation_id: int,
        body: str,
        client_message_id: str | None,
        reply_to: int | None = None,
        mentions: Sequence[int] = (),
    ) -> SentMessage:
        """Store a message, perhaps answering another (`reply_to`, not a deleted one) and
        mentioning participants; a repeated idempotency key returns the first one. Waits
        while the event outlet is behind, and raises `Overloaded`, having stored
        nothing, when it stays behind."""
        body = clean_text("body", body, multiline=True)  # stored trimmed, as spec'd
        if client_message_id is not None:
            clean_text("client_message_id", client_message_id)
        mentioned = tuple(sorted(unique_ids("mentions", mentions)))
        if len(mentioned) > MAX_MENTIONS:
            raise InvalidInput(
                "Too many mentions.", (InputError("mentions", f"at most {MAX_MENTIONS}"),)
            )
        await self._backpressure.admit()
        draft = _Draft(body, client_message_id, reply_to, mentioned)
        try:
            return await self._store(sender_id, conversation_id, draft)
        except Conflict:
            # A concurrent retry with the same key committed first: answer with its message.
            assert client_message_id is not None
            async with self._uow_factory() as uow:
                first = await uow.messages.find_by_client_id(
                    conversation_id, sender_id, client_message_id
                )
            if first is None:
                raise
            return SentMessage(_same_body(first, body), created=False)

    async def sent_before(
        self, sender_id: int, conversation_id: int, body: str, client_message_id: str
    ) -> Message | None:
        """The message an earlier send with this key stored, if it has this body and the
        sender still participates: what a retry is answered with."""
        async with self._uow_factory() as uow:
            if not await uow.conversations.is_participant(conversation_id, sender_id):
                return None
            first = await uow.messages.find_by_client_id(
                conversation_id, sender_id, client_message_id
            )
        # Compared as stored: trimmed (a body that is not clean text matches nothing).
        return first if first is not None and first.body == body.strip(BLANKS) else None

    async def _store(self, sender_id: int, conversation_id: int, draft: _Draft) -> SentMessage:
        # A constant number of statements whatever the group's size or anyone's backlog:
        # no participant list is loaded and nothing is counted.
        body, client_message_id = draft.body, draft.client_message_id
        async with self._uow_factory() as uow:
            now = self._clock()
            # Taking the seq locks the conversation row before the insert takes its id,
            # so ids and seqs commit in order and "after id N" never skips one.
            taken = await uow.conversations.take_seq(conversation_id, sender_id, now)
            if taken is None:
                raise conversation_not_found(conversation_id)
            seq, sender = taken
            if client_message_id is not None:
                first = await uow.messages.find_by_client_id(
                    conversation_id, sender_id, client_message_id
                )
                if first is not None:
                    return SentMessage(_same_body(first, body), created=False)
            quote = await _quote(uow, conversation_id, draft.reply_to)
            await _require_participants(uow, conversation_id, draft.mentions)
            message = await uow.messages.add(
                conversation_id, sender, body, client_message_id, now, seq, quote, draft.mentions
            )
            await uow.conversations.set_last_message(conversation_id, message.id)
            # Sending marks the conversation read for the sender, up to their message.
            await uow.read_states.set_watermark(conversation_id, sender_id, message.id, seq)
            await uow.commit()
        await self._events.publish(MessageCreated(message))
        await self._events.publish(ConversationActivity(conversation_id, seq, now, message))
        mentioned = MessageMentioned(message)
        if mentioned.user_ids:  # the sender alone is told nothing
            await self._events.publish(mentioned)
        return SentMessage(message, created=True)

    async def history(
        self,
        caller_id: int,
        conversation_id: int,
        after: int | None,
        before: int | None,
        limit: int,
    ) -> MessagePage:
        """Messages oldest first: the first page after `after`, else the last before `before`."""
        async with self._uow_factory() as uow:
            if not await uow.conversations.is_participant(conversation_id, caller_id):
                raise conversation_not_found(conversation_id)
            newest_first = after is None
            found = await uow.queries.messages(
                conversation_id, after, before, limit + 1, newest_first
            )
            page = found[:limit]
            reactions = await uow.queries.reactions([m.id for m in page], caller_id)
        if newest_first:
            page.reverse()
        return MessagePage(tuple(page), len(found) > limit, reactions)

    async def mark_read(self, caller_id: int, conversation_id: int, message_id: int) -> ReadState:
        """Move the caller's watermark forward to `message_id`; never backward."""
        async with self._uow_factory() as uow:
            position = await uow.read_states.position(conversation_id, caller_id)
            if position is None:
                raise conversation_not_found(conversation_id)
            target = await _require_message(uow, conversation_id, message_id, "message_id")
            if target.seq <= position.last_read_seq:
                mentions = await uow.queries.unread_mentions(caller_id, [conversation_id])
                return ReadState(
                    conversation_id,
                    position.last_read_message_id,
                    position.last_read_seq,
                    position.last_seq - position.last_read_seq,
                    mentions.get(conversation_id, 0),
                )
            await uow.read_states.set_watermark(conversation_id, caller_id, target.id, target.seq)
            read_ids = await uow.queries.newly_read_ids(
                conversation_id,
                caller_id,
                position.last_read_message_id,
                target.id,
                READ_EVENT_MAX_IDS,
            )
            reader = await uow.conversations.participant(conversation_id, caller_id)
            unread = await uow.queries.unread_by_conversation(caller_id)
            mentions = await uow.queries.unread_mentions(caller_id)
            await uow.commit()
        assert reader is not None, "a participant, checked in the same transaction"
        count = position.last_seq - target.seq
        mentioned = mentions.get(conversation_id, 0)
        await self._events.publish(
            MessagesRead(conversation_id, reader, tuple(read_ids), target.id)
        )
        await self._events.publish(
            UnreadCountUpdated(
                caller_id,
                conversation_id,
                count,
                sum(unread.values()),
                mentioned,
                sum(mentions.values()),
            )
        )
        return ReadState(conversation_id, target.id, target.seq, count, mentioned)

    async def edit(
        self, caller_id: int, conversation_id: int, message_id: int, body: str
    ) -> Message:
        """Replace the body of one of the caller's messages (`Forbidden` for another's,
        `Conflict` for a deleted one); its id, seq and unread counts stay."""
        body = clean_text("body", body, multiline=True)
        async with self._uow_factory() as uow:
            message = await participants_message(uow, caller_id, conversation_id, message_id)
            if message.sender.id != caller_id:
                raise Forbidden(f"Only its author may edit message {message_id}.")
            if message.deleted_at is not None:
                raise Conflict(f"Message {message_id} was deleted.")
            now = self._clock()
            since = message.edited_at or message.created_at
            # The current version counts among the kept ones: keep one fewer earlier.
            previous = MAX_MESSAGE_VERSIONS - 1
            await uow.messages.keep_version(message_id, message.body, since, previous)
            await uow.messages.edit(message_id, body, now)
            await uow.commit()
        edited = replace(message, body=body, edited_at=now)
        await self._events.publish(MessageUpdated(edited))
        return edited

    async def delete(self, caller_id: int, conversation_id: int, message_id: int) -> None:
        """Leave a tombstone of a message, by its author or the conversation's owner
        (`Forbidden` for anyone else); deleting it again changes nothing."""
        async with self._uow_factory() as uow:
            message = await participants_message(uow, caller_id, conversation_id, message_id)
            if message.sender.id != caller_id:
                conversation = await uow.conversations.get(conversation_id)
                if conversation is None or conversation.owner_id != caller_id:
                    raise Forbidden(
                        f"Only its author or the conversation's owner may delete message "
                        f"{message_id}."
                    )
            if message.deleted_at is not None:
                return
            now = self._clock()
            await uow.messages.tombstone(message_id, now)
            await uow.commit()
        await self._events.publish(MessageUpdated(replace(message, body="", deleted_at=now)))

    async def history_of(
        self, caller_id: int, conversation_id: int, message_id: int
    ) -> tuple[MessageVersion, ...]:
        """A message's bodies, oldest first, the current one last (any participant);
        none for a deleted message."""
        async with self._uow_factory() as uow:
            message = await participants_message(uow, caller_id, conversation_id, message_id)
            if message.deleted_at is not None:
                return ()
            earlier = await uow.messages.versions(message_id)
        current = MessageVersion(message.body, message.edited_at or message.created_at)
        return (*earlier, current)

    async def mark_delivered(self, recipient_id: int, conversation_id: int, message_id: int) -> int:
        """Move the recipient's delivery watermark forward to `message_id`; the watermark."""
        async with self._uow_factory() as uow:
            if not await uow.conversations.is_participant(conversation_id, recipient_id):
                raise conversation_not_found(conversation_id)
            await _require_message(uow, conversation_id, message_id, "message_id")
            current = await uow.read_states.delivered_watermark(conversation_id, recipient_id)
            if current is not None and message_id <= current:
                return current
            await uow.read_states.set_delivered_watermark(conversation_id, recipient_id, message_id)
            await uow.commit()
        await self._events.publish(MessagesDelivered(conversation_id, recipient_id, message_id))
        return message_id

    async def unread_summary(self, caller_id: int) -> UnreadSummary:
        """The caller's unread count per conversation (non-zero only) and in total."""
        async with self._uow_factory() as uow:
            counts = await uow.queries.unread_by_conversation(caller_id)
            mentions = await uow.queries.unread_mentions(caller_id)
        nonzero = tuple(
            Unread(cid, n, mentions.get(cid, 0)) for cid, n in sorted(counts.items()) if n > 0
        )
        return UnreadSummary(
            sum(u.count for u in nonzero), sum(u.mentions for u in nonzero), nonzero
        )


def _same_body(first: Message, body: str) -> Message:
    # The key names one message: a retry with other text is a client bug to surface,
    # not a send to swallow.
    if first.body != body:
        raise Conflict(
            f"client_message_id {first.client_message_id} names a message with another body."
        )
    return first


async def _require_message(
    uow: UnitOfWork, conversation_id: int, message_id: int, field: str
) -> Message:
    # 422, not 404: the URL's conversation exists; the id in the input names nothing.
    message = await uow.messages.get(conversation_id, message_id)
    if message is None:
        raise InvalidInput(
            f"Message {message_id} is not in conversation {conversation_id}.",
            (InputError(field, "no such message in this conversation"),),
        )
    return message


async def _quote(uow: UnitOfWork, conversation_id: int, reply_to: int | None) -> Quote | None:
    if reply_to is None:
        return None
    quoted = await _require_message(uow, conversation_id, reply_to, "reply_to")
    if quoted.deleted_at is not None:
        raise InvalidInput(
            f"Message {reply_to} was deleted.", (InputError("reply_to", "the message was deleted"),)
        )
    return quoted.quoted()


async def _require_participants(
    uow: UnitOfWork, conversation_id: int, user_ids: tuple[int, ...]
) -> None:
    if not user_ids:
        return
    missing = set(user_ids) - await uow.conversations.participants_among(conversation_id, user_ids)
    if missing:
        listed = ", ".join(str(user_id) for user_id in sorted(missing))
        raise InvalidInput(
            f"Users {listed} are not participants of conversation {conversation_id}.",
            (InputError("mentions", f"not participants: {listed}"),),
        )
