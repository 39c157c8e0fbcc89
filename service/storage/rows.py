"""Rows to domain objects, shared by the write-side repositories and the read model."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.model import Conversation, ConversationKind, Message, User, UserRef
from service.storage.orm import ConversationRow, MessageRow, ParticipantRow, UserRow


def user_of(row: UserRow) -> User:
    return User(row.id, row.username, row.display_name, row.created_at)


def ref_of(row: UserRow) -> UserRef:
    return UserRef(row.id, row.username, row.display_name)


def message_of(row: MessageRow, sender: UserRow) -> Message:
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
    )


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
        found_messages = await session.execute(
            select(MessageRow, UserRow)
            .join(UserRow, UserRow.id == MessageRow.sender_id)
            .where(MessageRow.id.in_(last_ids))
        )
        for message, sender in found_messages:
            last[message.conversation_id] = message_of(message, sender)
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
