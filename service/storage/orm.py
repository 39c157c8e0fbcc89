"""SQLAlchemy tables. Only storage/ imports this module."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware.

    SQLite has no time zone type, so without this a round trip loses the zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConversationRow(Base):
    __tablename__ = "conversations"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(200))
    # "low:high" user ids of a direct conversation; unique, so two racing
    # requests cannot create the same direct conversation twice.
    direct_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by: Mapped[int] = mapped_column(Id, ForeignKey("users.id"))
    # Administers a group: the creator until they leave (see ConversationService).
    owner_id: Mapped[int] = mapped_column(
        Id, ForeignKey("users.id", name="fk_conversations_owner_id_users")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    last_message_id: Mapped[int | None] = mapped_column(Id)
    # The seq of the newest message: a participant's unread count is this minus their
    # last_read_seq, so nothing is ever counted.
    last_seq: Mapped[int] = mapped_column(Id, default=0, server_default="0")


class ParticipantRow(Base):
    __tablename__ = "participants"
    __table_args__ = (Index("ix_participants_user", "user_id", "conversation_id"),)

    conversation_id: Mapped[int] = mapped_column(
        Id, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id"), primary_key=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_read_message_id: Mapped[int | None] = mapped_column(Id)
    last_read_seq: Mapped[int] = mapped_column(Id, default=0, server_default="0")
    last_delivered_message_id: Mapped[int | None] = mapped_column(Id)


class MessageRow(Base):
    __tablename__ = "messages"
    # AUTOINCREMENT: SQLite never reuses the id of a deleted row, so ids only grow.
    __table_args__ = (
        UniqueConstraint("conversation_id", "sender_id", "client_message_id"),
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        Index("ix_messages_conversation", "conversation_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(
        Id, ForeignKey("conversations.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(Id)
    sender_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    client_message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The message this one answers (same conversation); read by primary key.
    reply_to_id: Mapped[int | None] = mapped_column(Id)
    # The mentioned user ids as a JSON array, read with the message and never queried:
    # `MentionRow` is what counts.
    mentions: Mapped[str | None] = mapped_column(Text)


class RevokedTokenRow(Base):
    """A token logged out before it expired; kept until it would have expired anyway."""

    __tablename__ = "revoked_tokens"

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class KnownAddressRow(Base):
    """An address (as a keyed digest, never the address itself) a user logged in from.

    A login from one of these is never held back by the account's guess bound.
    """

    __tablename__ = "known_addresses"

    user_id: Mapped[int] = mapped_column(
        Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    address_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_login_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PinRow(Base):
    """A pinned message of a conversation; gone with the conversation or the message."""

    __tablename__ = "pins"

    conversation_id: Mapped[int] = mapped_column(
        Id, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    message_id: Mapped[int] = mapped_column(
        Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    pinned_by: Mapped[int] = mapped_column(Id, ForeignKey("users.id"))
    pinned_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReactionRow(Base):
    """One user's emoji on a message; gone with the message or the conversation."""

    __tablename__ = "reactions"
    # A user's reactions on a message are counted (for their cap) without reading
    # everyone else's.
    __table_args__ = (Index("ix_reactions_user", "message_id", "user_id"),)

    message_id: Mapped[int] = mapped_column(
        Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    emoji: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id"), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        Id, ForeignKey("conversations.id", ondelete="CASCADE")
    )
    reacted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Where its emoji stands among the message's reactions: 1 for the first emoji put
    # on it, one more for each new emoji after. It stays while anyone keeps the emoji,
    # so a reaction keeps its place when its first reactor leaves.
    place: Mapped[int] = mapped_column(Integer)


class MessageVersionRow(Base):
    """An earlier body of a message; the current one is the message's own."""

    __tablename__ = "message_versions"
    __table_args__ = (Index("ix_message_versions_message", "message_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(Id, ForeignKey("messages.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    since: Mapped[datetime] = mapped_column(UTCDateTime())


class MentionRow(Base):
    """A user a message mentions, keyed so that their unread mentions in a conversation
    (seq above their watermark) are one index range."""

    __tablename__ = "mentions"

    user_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id"), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        Id, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Id, primary_key=True)
    message_id: Mapped[int] = mapped_column(Id, ForeignKey("messages.id", ondelete="CASCADE"))
