"""SQLAlchemy implementations of the repository ports (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import bindparam, delete, literal, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from service.domain.errors import Conflict
from service.domain.model import (
    Conversation,
    ConversationKind,
    Credentials,
    Message,
    MessageVersion,
    Pin,
    Quote,
    ReadPosition,
    User,
    UserRef,
)
from service.storage.orm import (
    ConversationRow,
    MessageRow,
    MessageVersionRow,
    ParticipantRow,
    PinRow,
    ReactionRow,
    RevokedTokenRow,
    UserRow,
    UTCDateTime,
)
from service.storage.ports import (
    ConversationRepository,
    MessageRepository,
    PinRepository,
    ReactionRepository,
    ReadStateRepository,
    RevokedTokenRepository,
    UserRepository,
)
from service.storage.rows import (
    hydrate,
    message_of,
    messages_select,
    ref_of,
    stored_mentions,
    user_of,
)

# The statements of a send, written once: they run on every message, and SQLAlchemy's
# construction, coercion and cache-key work for the same statements built from the ORM
# each time was most of a send's cost (py-spy, `make bench`). `text()` with typed binds
# is compiled once per dialect and reused.
_TAKE_SEQ = text(
    # The seq, the membership check and the sender in one round trip; taking the seq
    # locks the conversation row, so sends to one conversation commit in seq order.
    "UPDATE conversations SET last_seq = last_seq + 1, updated_at = :now"
    " WHERE id = :conversation_id AND EXISTS (SELECT 1 FROM participants"
    " WHERE conversation_id = :conversation_id AND user_id = :sender_id)"
    " RETURNING last_seq,"
    " (SELECT username FROM users WHERE id = :sender_id),"
    " (SELECT display_name FROM users WHERE id = :sender_id)"
).bindparams(bindparam("now", type_=UTCDateTime()))
_INSERT_MESSAGE = text(
    "INSERT INTO messages (conversation_id, seq, sender_id, body, client_message_id,"
    " created_at, reply_to_id, mentions)"
    " VALUES (:conversation_id, :seq, :sender_id, :body, :client_message_id, :now,"
    " :reply_to_id, :mentions)"
    " RETURNING id"
).bindparams(bindparam("now", type_=UTCDateTime()))
_INSERT_MENTION = text(
    "INSERT INTO mentions (user_id, conversation_id, seq, message_id)"
    " VALUES (:user_id, :conversation_id, :seq, :message_id)"
)
_SET_LAST_MESSAGE = text(
    "UPDATE conversations SET last_message_id = :message_id WHERE id = :conversation_id"
)
_SET_READ_WATERMARK = text(
    "UPDATE participants SET last_read_message_id = :message_id, last_read_seq = :seq"
    " WHERE conversation_id = :conversation_id AND user_id = :user_id"
)
_KNOWS_ADDRESS = text(
    "SELECT 1 FROM known_addresses WHERE user_id = :user_id AND address_key = :address_key"
)
# Both SQLite (3.24+) and PostgreSQL speak this upsert: two logins from one new address
# at once cannot collide on the primary key.
_REMEMBER_ADDRESS = text(
    "INSERT INTO known_addresses (user_id, address_key, last_login_at)"
    " VALUES (:user_id, :address_key, :now)"
    " ON CONFLICT (user_id, address_key) DO UPDATE SET last_login_at = excluded.last_login_at"
).bindparams(bindparam("now", type_=UTCDateTime()))
_FORGET_OLD_ADDRESSES = text(
    "DELETE FROM known_addresses WHERE user_id = :user_id AND address_key NOT IN"
    " (SELECT address_key FROM known_addresses WHERE user_id = :user_id"
    " ORDER BY last_login_at DESC, address_key LIMIT :keep)"
)


@asynccontextmanager
async def _unique(session: AsyncSession, conflict: str) -> AsyncIterator[None]:
    """A savepoint in which a unique violation becomes `Conflict` and leaves the
    transaction usable."""
    try:
        async with session.begin_nested():
            yield
    except IntegrityError as exc:
        raise Conflict(conflict) from exc


async def _insert(session: AsyncSession, row: object, conflict: str) -> None:
    session.add(row)
    async with _unique(session, conflict):
        await session.flush()


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
        return user_of(row)

    async def get(self, user_id: int) -> User | None:
        row = await self.session.get(UserRow, user_id)
        return None if row is None else user_of(row)

    async def existing_ids(self, user_ids: Iterable[int]) -> set[int]:
        ids = set(user_ids)
        if not ids:
            return set()
        found = await self.session.scalars(select(UserRow.id).where(UserRow.id.in_(ids)))
        return set(found)

    async def credentials(self, username: str) -> Credentials | None:
        row = await self.session.scalar(select(UserRow).where(UserRow.username == username))
        return None if row is None else Credentials(user_of(row), row.password_hash)

    async def knows_address(self, user_id: int, address_key: str) -> bool:
        found = await self.session.execute(
            _KNOWS_ADDRESS, {"user_id": user_id, "address_key": address_key}
        )
        return found.first() is not None

    async def remember_address(
        self, user_id: int, address_key: str, now: datetime, keep: int
    ) -> None:
        values = {"user_id": user_id, "address_key": address_key, "now": now, "keep": keep}
        await self.session.execute(_REMEMBER_ADDRESS, values)
        await self.session.execute(_FORGET_OLD_ADDRESSES, values)


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
        return (await hydrate(self.session, [row]))[0]

    async def is_participant(self, conversation_id: int, user_id: int) -> bool:
        found = await self.session.scalar(
            select(literal(1)).where(
                ParticipantRow.conversation_id == conversation_id,
                ParticipantRow.user_id == user_id,
            )
        )
        return found is not None

    async def participants_among(self, conversation_id: int, user_ids: Iterable[int]) -> set[int]:
        found = await self.session.scalars(
            select(ParticipantRow.user_id).where(
                ParticipantRow.conversation_id == conversation_id,
                ParticipantRow.user_id.in_(list(user_ids)),
            )
        )
        return set(found)

    async def _set(self, conversation_id: int, **values: object) -> None:
        # No UPDATE here is evaluated against the session's loaded objects
        # (synchronize_session=False): get() always reads afresh, and that evaluation
        # was a tenth of a send's time (py-spy on `make bench`, chat scenario).
        await self.session.execute(
            update(ConversationRow)
            .where(ConversationRow.id == conversation_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def rename(self, conversation_id: int, title: str, now: datetime) -> None:
        await self._set(conversation_id, title=title, updated_at=now)

    async def touch(self, conversation_id: int, now: datetime) -> None:
        await self._set(conversation_id, updated_at=now)

    async def take_seq(
        self, conversation_id: int, sender_id: int, now: datetime
    ) -> tuple[int, UserRef] | None:
        found = await self.session.execute(
            _TAKE_SEQ, {"conversation_id": conversation_id, "sender_id": sender_id, "now": now}
        )
        row = found.first()
        if row is None:
            return None
        seq, username, display_name = row
        return seq, UserRef(sender_id, username, display_name)

    async def set_last_message(self, conversation_id: int, message_id: int) -> None:
        await self.session.execute(
            _SET_LAST_MESSAGE, {"conversation_id": conversation_id, "message_id": message_id}
        )

    async def participant(self, conversation_id: int, user_id: int) -> UserRef | None:
        row = await self.session.scalar(
            select(UserRow)
            .join(ParticipantRow, ParticipantRow.user_id == UserRow.id)
            .where(
                ParticipantRow.conversation_id == conversation_id,
                ParticipantRow.user_id == user_id,
            )
        )
        return None if row is None else ref_of(row)

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
        reply_to: Quote | None = None,
        mentions: tuple[int, ...] = (),
    ) -> Message:
        values = {
            "conversation_id": conversation_id,
            "seq": seq,
            "sender_id": sender.id,
            "body": body,
            "client_message_id": client_message_id,
            "now": now,
            "reply_to_id": None if reply_to is None else reply_to.id,
            "mentions": stored_mentions(mentions),
        }
        # No savepoint: the caller holds the conversation's seq, so no other send to it
        # can insert the same key meanwhile; a violation still is a Conflict.
        try:
            message_id: int = (await self.session.execute(_INSERT_MESSAGE, values)).scalar_one()
        except IntegrityError as exc:
            raise Conflict("The client_message_id is already used.") from exc
        if mentions:
            mentioned = {"conversation_id": conversation_id, "seq": seq, "message_id": message_id}
            rows = [{"user_id": user_id, **mentioned} for user_id in mentions]
            await self.session.execute(_INSERT_MENTION, rows)
        return Message(
            message_id,
            conversation_id,
            seq,
            sender,
            body,
            client_message_id,
            now,
            reply_to=reply_to,
            mentions=tuple(sorted(mentions)),
        )

    async def find_by_client_id(
        self, conversation_id: int, sender_id: int, client_message_id: str
    ) -> Message | None:
        found = await self.session.execute(
            messages_select().where(
                MessageRow.conversation_id == conversation_id,
                MessageRow.sender_id == sender_id,
                MessageRow.client_message_id == client_message_id,
            )
        )
        pair = found.first()
        return None if pair is None else message_of(*pair)

    async def get(self, conversation_id: int, message_id: int) -> Message | None:
        found = await self.session.execute(
            messages_select().where(
                MessageRow.id == message_id, MessageRow.conversation_id == conversation_id
            )
        )
        pair = found.first()
        return None if pair is None else message_of(*pair)

    async def edit(self, message_id: int, body: str, now: datetime) -> None:
        await self.session.execute(
            update(MessageRow).where(MessageRow.id == message_id).values(body=body, edited_at=now)
        )

    async def tombstone(self, message_id: int, now: datetime) -> None:
        await self.session.execute(
            update(MessageRow).where(MessageRow.id == message_id).values(body="", deleted_at=now)
        )
        await self.session.execute(
            delete(MessageVersionRow).where(MessageVersionRow.message_id == message_id)
        )

    async def keep_version(self, message_id: int, body: str, since: datetime, keep: int) -> None:
        self.session.add(MessageVersionRow(message_id=message_id, body=body, since=since))
        await self.session.flush()
        kept = (
            select(MessageVersionRow.id)
            .where(MessageVersionRow.message_id == message_id)
            .order_by(MessageVersionRow.id.desc())
            .limit(keep)
        )
        # One statement whatever the history: the oldest beyond `keep` go.
        await self.session.execute(
            delete(MessageVersionRow).where(
                MessageVersionRow.message_id == message_id,
                MessageVersionRow.id.not_in(kept.scalar_subquery()),
            )
        )

    async def versions(self, message_id: int) -> list[MessageVersion]:
        found = await self.session.scalars(
            select(MessageVersionRow)
            .where(MessageVersionRow.message_id == message_id)
            .order_by(MessageVersionRow.id)
        )
        return [MessageVersion(row.body, row.since) for row in found]


class SqlAlchemyPinRepository(PinRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def pins(self, conversation_id: int) -> list[Pin]:
        pinner = aliased(UserRow, name="pinner")
        found = await self.session.execute(
            messages_select(PinRow, pinner)
            .join(PinRow, PinRow.message_id == MessageRow.id)
            .join(pinner, pinner.id == PinRow.pinned_by)
            .where(PinRow.conversation_id == conversation_id)
            .order_by(PinRow.pinned_at.desc(), PinRow.message_id.desc())
        )
        return [
            Pin(message_of(message, author, quoted, quoted_by), ref_of(by), pin.pinned_at)
            for message, author, quoted, quoted_by, pin, by in found.all()
        ]

    async def pin(self, conversation_id: int, message_id: int, user_id: int, now: datetime) -> None:
        row = PinRow(
            conversation_id=conversation_id, message_id=message_id, pinned_by=user_id, pinned_at=now
        )
        await _insert(self.session, row, f"Message {message_id} is pinned already.")

    async def unpin(self, conversation_id: int, message_id: int) -> bool:
        done = await self.session.execute(
            delete(PinRow).where(
                PinRow.conversation_id == conversation_id, PinRow.message_id == message_id
            )
        )
        return bool(getattr(done, "rowcount", 0))


class SqlAlchemyReactionRepository(ReactionRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def emojis(self, message_id: int) -> dict[str, int]:
        found = await self.session.execute(
            select(ReactionRow.emoji, ReactionRow.place)
            .where(ReactionRow.message_id == message_id)
            .distinct()
        )
        return {emoji: place for emoji, place in found.all()}

    async def users_emojis(self, message_id: int, user_id: int) -> set[str]:
        found = await self.session.scalars(
            select(ReactionRow.emoji).where(
                ReactionRow.message_id == message_id, ReactionRow.user_id == user_id
            )
        )
        return set(found)

    async def add(
        self,
        conversation_id: int,
        message_id: int,
        user_id: int,
        emoji: str,
        place: int,
        now: datetime,
    ) -> None:
        row = ReactionRow(
            message_id=message_id,
            emoji=emoji,
            user_id=user_id,
            conversation_id=conversation_id,
            reacted_at=now,
            place=place,
        )
        await _insert(self.session, row, f"The reaction {emoji} is on message {message_id}.")

    async def remove(self, message_id: int, user_id: int, emoji: str) -> bool:
        done = await self.session.execute(
            delete(ReactionRow).where(
                ReactionRow.message_id == message_id,
                ReactionRow.user_id == user_id,
                ReactionRow.emoji == emoji,
            )
        )
        return bool(getattr(done, "rowcount", 0))


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
        await self.session.execute(
            _SET_READ_WATERMARK,
            {
                "conversation_id": conversation_id,
                "user_id": user_id,
                "message_id": message_id,
                "seq": seq,
            },
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
            .execution_options(synchronize_session=False)
        )


class SqlAlchemyRevokedTokenRepository(RevokedTokenRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, token_id: str, expires_at: datetime) -> None:
        if await self.session.get(RevokedTokenRow, token_id) is None:
            self.session.add(RevokedTokenRow(token_id=token_id, expires_at=expires_at))
            await self.session.flush()

    async def purge(self, expired_before: datetime) -> None:
        await self.session.execute(
            delete(RevokedTokenRow).where(RevokedTokenRow.expires_at < expired_before)
        )
