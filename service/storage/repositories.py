"""SQLAlchemy implementations of the repository ports (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.errors import Conflict
from service.domain.model import (
    ActivityCursor,
    Conversation,
    ConversationKind,
    Credentials,
    Message,
    ReadPosition,
    User,
    UserRef,
)
from service.storage.orm import (
    ConversationRow,
    MessageRow,
    ParticipantRow,
    RevokedTokenRow,
    UserRow,
)
from service.storage.ports import (
    ConversationRepository,
    MessageRepository,
    ReadStateRepository,
    RevokedTokenRepository,
    UserRepository,
)


def _user(row: UserRow) -> User:
    return User(row.id, row.username, row.display_name, row.created_at)


def _ref(row: UserRow) -> UserRef:
    return UserRef(row.id, row.username, row.display_name)


def _message(row: MessageRow, sender: UserRow) -> Message:
    return Message(
        id=row.id,
        conversation_id=row.conversation_id,
        seq=row.seq,
        sender=_ref(sender),
        body=row.body,
        client_message_id=row.client_message_id,
        created_at=row.created_at,
    )


async def _insert(session: AsyncSession, row: object, conflict: str) -> None:
    """Insert in a savepoint, so a unique violation becomes `Conflict` and the
    transaction stays usable."""
    session.add(row)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(conflict) from exc


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlAlchemyUserRepository(UserRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, username: str, display_name: str, password_hash: str, now: datetime
    ) -> User:
        row = UserRow(
            username=username,
            display_name=display_name,
            password_hash=password_hash,
            created_at=now,
        )
        await _insert(self.session, row, f"Username {username} is taken.")
        return _user(row)

    async def get(self, user_id: int) -> User | None:
        row = await self.session.get(UserRow, user_id)
        return None if row is None else _user(row)

    async def existing_ids(self, user_ids: Iterable[int]) -> set[int]:
        ids = set(user_ids)
        if not ids:
            return set()
        found = await self.session.scalars(select(UserRow.id).where(UserRow.id.in_(ids)))
        return set(found)

    async def credentials(self, username: str) -> Credentials | None:
        row = await self.session.scalar(select(UserRow).where(UserRow.username == username))
        return None if row is None else Credentials(_user(row), row.password_hash)

    async def search(self, prefix: str | None, after: int, limit: int) -> list[User]:
        query = select(UserRow).where(UserRow.id > after).order_by(UserRow.id).limit(limit)
        if prefix:
            pattern = _escape_like(prefix.lower()) + "%"
            query = query.where(
                or_(
                    func.lower(UserRow.username).like(pattern, escape="\\"),
                    func.lower(UserRow.display_name).like(pattern, escape="\\"),
                )
            )
        return [_user(row) for row in await self.session.scalars(query)]


class SqlAlchemyConversationRepository(ConversationRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        kind: ConversationKind,
        title: str | None,
        created_by: int,
        participant_ids: Iterable[int],
        direct_key: str | None,
        now: datetime,
    ) -> int:
        row = ConversationRow(
            kind=kind.value,
            title=title,
            direct_key=direct_key,
            created_by=created_by,
            owner_id=created_by,
            created_at=now,
            updated_at=now,
        )
        await _insert(self.session, row, "The direct conversation already exists.")
        self.session.add_all(
            ParticipantRow(conversation_id=row.id, user_id=user_id, joined_at=now)
            for user_id in participant_ids
        )
        await self.session.flush()
        return row.id

    async def find_direct(self, direct_key: str) -> int | None:
        return await self.session.scalar(
            select(ConversationRow.id).where(ConversationRow.direct_key == direct_key)
        )

    async def get(self, conversation_id: int) -> Conversation | None:
        row = await self.session.get(ConversationRow, conversation_id, populate_existing=True)
        if row is None:
            return None
        return (await self._hydrate([row]))[0]

    async def memberships(self, user_ids: Iterable[int]) -> dict[int, list[int]]:
        ids = list(user_ids)
        found: dict[int, list[int]] = {}
        if not ids:
            return found
        rows = await self.session.execute(
            select(ParticipantRow.conversation_id, ParticipantRow.user_id).where(
                ParticipantRow.user_id.in_(ids)
            )
        )
        for conversation_id, user_id in rows.all():
            found.setdefault(conversation_id, []).append(user_id)
        return found

    async def contacts(self, user_id: int) -> list[int]:
        mine = select(ParticipantRow.conversation_id).where(ParticipantRow.user_id == user_id)
        found = await self.session.scalars(
            select(ParticipantRow.user_id)
            .where(ParticipantRow.conversation_id.in_(mine), ParticipantRow.user_id != user_id)
            .distinct()
            .order_by(ParticipantRow.user_id)
        )
        return list(found)

    async def is_participant(self, conversation_id: int, user_id: int) -> bool:
        found = await self.session.scalar(
            select(literal(1)).where(
                ParticipantRow.conversation_id == conversation_id,
                ParticipantRow.user_id == user_id,
            )
        )
        return found is not None

    async def list_for_user(
        self,
        user_id: int,
        limit: int,
        before: ActivityCursor | None,
        updated_since: datetime | None,
    ) -> list[Conversation]:
        query = (
            select(ConversationRow)
            .join(ParticipantRow, ParticipantRow.conversation_id == ConversationRow.id)
            .where(ParticipantRow.user_id == user_id)
            .order_by(ConversationRow.updated_at.desc(), ConversationRow.id.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(
                or_(
                    ConversationRow.updated_at < before.updated_at,
                    and_(
                        ConversationRow.updated_at == before.updated_at,
                        ConversationRow.id < before.conversation_id,
                    ),
                )
            )
        if updated_since is not None:
            query = query.where(ConversationRow.updated_at >= updated_since)
        rows = list(await self.session.scalars(query))
        return await self._hydrate(rows)

    async def _hydrate(self, rows: Sequence[ConversationRow]) -> list[Conversation]:
        """Load participants and last messages of many conversations in two queries."""
        ids = [row.id for row in rows]
        participants: dict[int, list[UserRef]] = {cid: [] for cid in ids}
        if ids:
            found = await self.session.execute(
                select(ParticipantRow.conversation_id, UserRow)
                .join(UserRow, UserRow.id == ParticipantRow.user_id)
                .where(ParticipantRow.conversation_id.in_(ids))
                .order_by(ParticipantRow.conversation_id, UserRow.id)
            )
            for conversation_id, user in found:
                participants[conversation_id].append(_ref(user))
        last_ids = [row.last_message_id for row in rows if row.last_message_id is not None]
        last: dict[int, Message] = {}
        if last_ids:
            found_messages = await self.session.execute(
                select(MessageRow, UserRow)
                .join(UserRow, UserRow.id == MessageRow.sender_id)
                .where(MessageRow.id.in_(last_ids))
            )
            for message, sender in found_messages:
                last[message.conversation_id] = _message(message, sender)
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

    async def _set(self, conversation_id: int, **values: object) -> None:
        await self.session.execute(
            update(ConversationRow).where(ConversationRow.id == conversation_id).values(**values)
        )

    async def rename(self, conversation_id: int, title: str, now: datetime) -> None:
        await self._set(conversation_id, title=title, updated_at=now)

    async def touch(self, conversation_id: int, now: datetime) -> None:
        await self._set(conversation_id, updated_at=now)

    async def next_seq(self, conversation_id: int, now: datetime) -> int | None:
        seq: int | None = await self.session.scalar(
            update(ConversationRow)
            .where(ConversationRow.id == conversation_id)
            .values(last_seq=ConversationRow.last_seq + 1, updated_at=now)
            .returning(ConversationRow.last_seq)
        )
        return seq

    async def set_last_message(self, conversation_id: int, message_id: int) -> None:
        await self._set(conversation_id, last_message_id=message_id)

    async def participant(self, conversation_id: int, user_id: int) -> UserRef | None:
        row = await self.session.scalar(
            select(UserRow)
            .join(ParticipantRow, ParticipantRow.user_id == UserRow.id)
            .where(
                ParticipantRow.conversation_id == conversation_id,
                ParticipantRow.user_id == user_id,
            )
        )
        return None if row is None else _ref(row)

    async def ids_for_user(self, user_id: int) -> list[int]:
        found = await self.session.scalars(
            select(ParticipantRow.conversation_id).where(ParticipantRow.user_id == user_id)
        )
        return list(found)

    async def delete(self, conversation_id: int) -> None:
        # Explicit deletes: SQLite enforces ON DELETE CASCADE only with a pragma.
        await self.session.execute(
            delete(MessageRow).where(MessageRow.conversation_id == conversation_id)
        )
        await self.session.execute(
            delete(ParticipantRow).where(ParticipantRow.conversation_id == conversation_id)
        )
        await self.session.execute(
            delete(ConversationRow).where(ConversationRow.id == conversation_id)
        )

    async def add_participants(
        self,
        conversation_id: int,
        user_ids: Iterable[int],
        last_read_message_id: int | None,
        last_read_seq: int,
        now: datetime,
    ) -> None:
        self.session.add_all(
            ParticipantRow(
                conversation_id=conversation_id,
                user_id=user_id,
                joined_at=now,
                last_read_message_id=last_read_message_id,
                last_read_seq=last_read_seq,
            )
            for user_id in user_ids
        )
        await self.session.flush()

    async def remove_participant(self, conversation_id: int, user_id: int) -> None:
        await self.session.execute(
            delete(ParticipantRow).where(
                ParticipantRow.conversation_id == conversation_id,
                ParticipantRow.user_id == user_id,
            )
        )

    async def longest_standing(self, conversation_id: int) -> int | None:
        return await self.session.scalar(
            select(ParticipantRow.user_id)
            .where(ParticipantRow.conversation_id == conversation_id)
            .order_by(ParticipantRow.joined_at, ParticipantRow.user_id)
            .limit(1)
        )

    async def set_owner(self, conversation_id: int, user_id: int) -> None:
        await self._set(conversation_id, owner_id=user_id)


class SqlAlchemyMessageRepository(MessageRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        conversation_id: int,
        sender: UserRef,
        body: str,
        client_message_id: str | None,
        now: datetime,
        seq: int,
    ) -> Message:
        row = MessageRow(
            conversation_id=conversation_id,
            seq=seq,
            sender_id=sender.id,
            body=body,
            client_message_id=client_message_id,
            created_at=now,
        )
        await _insert(self.session, row, "The client_message_id is already used.")
        return Message(row.id, conversation_id, seq, sender, body, client_message_id, now)

    async def find_by_client_id(
        self, conversation_id: int, sender_id: int, client_message_id: str
    ) -> Message | None:
        found = await self.session.execute(
            select(MessageRow, UserRow)
            .join(UserRow, UserRow.id == MessageRow.sender_id)
            .where(
                MessageRow.conversation_id == conversation_id,
                MessageRow.sender_id == sender_id,
                MessageRow.client_message_id == client_message_id,
            )
        )
        pair = found.first()
        return None if pair is None else _message(*pair)

    async def get(self, conversation_id: int, message_id: int) -> Message | None:
        found = await self.session.execute(
            select(MessageRow, UserRow)
            .join(UserRow, UserRow.id == MessageRow.sender_id)
            .where(MessageRow.id == message_id, MessageRow.conversation_id == conversation_id)
        )
        pair = found.first()
        return None if pair is None else _message(*pair)

    async def page(
        self,
        conversation_id: int,
        after: int | None,
        before: int | None,
        limit: int,
        newest_first: bool,
    ) -> list[Message]:
        query = (
            select(MessageRow, UserRow)
            .join(UserRow, UserRow.id == MessageRow.sender_id)
            .where(MessageRow.conversation_id == conversation_id)
            .order_by(MessageRow.id.desc() if newest_first else MessageRow.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(MessageRow.id > after)
        if before is not None:
            query = query.where(MessageRow.id < before)
        found = await self.session.execute(query)
        return [_message(message, sender) for message, sender in found]


class SqlAlchemyReadStateRepository(ReadStateRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def position(self, conversation_id: int, user_id: int) -> ReadPosition | None:
        found = await self.session.execute(
            select(
                ParticipantRow.last_read_message_id,
                ParticipantRow.last_read_seq,
                ConversationRow.last_seq,
            )
            .join(ConversationRow, ConversationRow.id == ParticipantRow.conversation_id)
            .where(
                ParticipantRow.conversation_id == conversation_id,
                ParticipantRow.user_id == user_id,
            )
        )
        row = found.first()
        return None if row is None else ReadPosition(*row)

    async def set_watermark(
        self, conversation_id: int, user_id: int, message_id: int, seq: int
    ) -> None:
        await self._set(
            conversation_id, user_id, last_read_message_id=message_id, last_read_seq=seq
        )

    async def delivered_watermark(self, conversation_id: int, user_id: int) -> int | None:
        return await self.session.scalar(
            select(ParticipantRow.last_delivered_message_id).where(
                ParticipantRow.conversation_id == conversation_id,
                ParticipantRow.user_id == user_id,
            )
        )

    async def set_delivered_watermark(
        self, conversation_id: int, user_id: int, message_id: int
    ) -> None:
        await self._set(conversation_id, user_id, last_delivered_message_id=message_id)

    async def _set(self, conversation_id: int, user_id: int, **values: int) -> None:
        await self.session.execute(
            update(ParticipantRow)
            .where(
                ParticipantRow.conversation_id == conversation_id,
                ParticipantRow.user_id == user_id,
            )
            .values(**values)
        )

    async def newly_read_ids(
        self, conversation_id: int, reader_id: int, after: int | None, upto: int, limit: int
    ) -> list[int]:
        found = await self.session.scalars(
            select(MessageRow.id)
            .where(
                MessageRow.conversation_id == conversation_id,
                MessageRow.id > (after or 0),
                MessageRow.id <= upto,
                MessageRow.sender_id != reader_id,
            )
            .order_by(MessageRow.id.desc())
            .limit(limit)
        )
        return sorted(found)

    async def read_seqs(
        self, user_id: int, conversation_ids: Iterable[int] | None = None
    ) -> dict[int, int]:
        query = select(ParticipantRow.conversation_id, ParticipantRow.last_read_seq).where(
            ParticipantRow.user_id == user_id
        )
        if conversation_ids is not None:
            query = query.where(ParticipantRow.conversation_id.in_(list(conversation_ids)))
        found = await self.session.execute(query)
        return {cid: seq for cid, seq in found.all()}

    async def unread_by_conversation(self, user_id: int) -> dict[int, int]:
        found = await self.session.execute(
            select(
                ParticipantRow.conversation_id,
                ConversationRow.last_seq - ParticipantRow.last_read_seq,
            )
            .join(ConversationRow, ConversationRow.id == ParticipantRow.conversation_id)
            .where(ParticipantRow.user_id == user_id)
        )
        return {cid: unread for cid, unread in found.all()}


class SqlAlchemyRevokedTokenRepository(RevokedTokenRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, token_id: str, expires_at: datetime) -> None:
        if not await self.is_revoked(token_id):
            self.session.add(RevokedTokenRow(token_id=token_id, expires_at=expires_at))
            await self.session.flush()

    async def is_revoked(self, token_id: str) -> bool:
        found = await self.session.scalar(
            select(literal(1)).where(RevokedTokenRow.token_id == token_id)
        )
        return found is not None

    async def purge(self, expired_before: datetime) -> None:
        await self.session.execute(
            delete(RevokedTokenRow).where(RevokedTokenRow.expires_at < expired_before)
        )
