"""Rows to domain objects, shared by the write-side repositories and the read model."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from service.domain.model import Conversation, ConversationKind, Message, User, UserRef
from service.storage.orm import ConversationRow, MessageRow, ParticipantRow, UserRow


def user_of(row: UserRow) -> User:
    return User(row.id, row.username, row.display_name, row.created_at)


def ref_of(row: UserRow) -> UserRef:
    return UserRef(row.id, row.username, row.display_name)


# The quoted message of a reply and its sender, joined to every message read: a quote
# shows the quoted message as it stands now.
Quoted = aliased(MessageRow, name="quoted")
QuotedSender = aliased(UserRow, name="quoted_sender")


def messages_select(*more: Any) -> Select[Any]:
    """Messages with their senders and quotes (then `more`): what `message_of` reads."""
    return (
        select(MessageRow, UserRow, Quoted, QuotedSender, *more)
        .join(UserRow, UserRow.id == MessageRow.sender_id)
        .outerjoin(Quoted, Quoted.id == MessageRow.reply_to_id)
        .outerjoin(QuotedSender, QuotedSender.id == Quoted.sender_id)
    )


def message_of(
    row: MessageRow,
    sender: UserRow,
    quoted: MessageRow | None = None,
    quoted_sender: UserRow | None = None,
) -> Message:
    reply_to = None
    if quoted is not None and quoted_sender is not None:
        reply_to = message_of(quoted, quoted_sender).quoted()
    return Message(
        id=row.id,
        conversation_id=row.conversation_id,
        seq=row.seq,
        sender=ref_of(sender),
        body=row.body,
        client_message_id=row.client_message_id,
        created_at=row.created_at,
        edited_at=row.edited_at,
        deleted_at=row.deleted_at,
        reply_to=reply_to,
        mentions=mentions_of(row.mentions),
    )


def mentions_of(stored: str | None) -> tuple[int, ...]:
    return () if stored is None else tuple(json.loads(stored))


def stored_mentions(user_ids: Sequence[int]) -> str | None:
    return json.dumps(sorted(user_ids)) if user_ids else None


async def hydrate(session: AsyncSession, rows: Sequence[ConversationRow]) -> list[Conversation]:
    """Load participants and last messages of many conversations in two queries."""
    ids = [row.id for row in rows]
    participants: dict[int, list[UserRef]] = {cid: [] for cid in ids}
    if ids:
        found = await session.execute(
            select(ParticipantRow.conversation_id, UserRow)
            .join(UserRow, UserRow.id == ParticipantRow.user_id)
            .where(ParticipantRow.conversation_id.in_(ids))
            .order_by(ParticipantRow.conversation_id, UserRow.id)
        )
        for conversation_id, user in found:
            participants[conversation_id].append(ref_of(user))
    last_ids = [row.last_message_id for row in rows if row.last_message_id is not None]
    last: dict[int, Message] = {}
    if last_ids:
        found_messages = await session.execute(messages_select().where(MessageRow.id.in_(last_ids)))
        for message, sender, quoted, quoted_sender in found_messages:
            last[message.conversation_id] = message_of(message, sender, quoted, quoted_sender)
    return [
        Conversation(
            id=row.id,
            kind=ConversationKind(row.kind),
            title=row.title,
            participants=tuple(participants[row.id]),
            created_by=row.created_by,
            owner_id=row.owner_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            last_message=last.get(row.id),
            last_seq=row.last_seq,
        )
        for row in rows
    ]
