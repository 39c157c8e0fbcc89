"""Domain events: what happened, fired by services after their transaction commits."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from service.domain.model import Conversation, Message, Pin, UserRef


class RemovalReason(enum.StrEnum):
    DELETED = "deleted"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class ConversationCreated:
    """`user_ids` now participate; they start with everything read."""

    conversation: Conversation
    user_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ConversationUpdated:
    """Title, owner or participants changed: the change, the same for everyone."""

    conversation_id: int
    title: str | None
    owner_id: int
    updated_at: datetime
    added: tuple[UserRef, ...] = ()
    removed: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ConversationActivity:
    """A message was stored: every participant's list and badge move."""

    conversation_id: int
    seq: int
    updated_at: datetime
    last_message: Message


@dataclass(frozen=True, slots=True)
class ConversationDeleted:
    conversation_id: int
    user_ids: tuple[int, ...]
    reason: RemovalReason


@dataclass(frozen=True, slots=True)
class MessageCreated:
    message: Message


@dataclass(frozen=True, slots=True)
class MessageMentioned:
    """A new message mentions users: each of them but its sender is told, wherever
    they are."""

    message: Message

    @property
    def user_ids(self) -> tuple[int, ...]:
        return tuple(uid for uid in self.message.mentions if uid != self.message.sender.id)


@dataclass(frozen=True, slots=True)
class ReactionChanged:
    """A participant added or removed a reaction: the change and the reaction's new
    count and first users, the same for everyone."""

    conversation_id: int
    message_id: int
    user_id: int
    emoji: str
    added: bool
    count: int
    user_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class MessageUpdated:
    """A message was edited or deleted: it as it now stands, the same for everyone."""

    message: Message


@dataclass(frozen=True, slots=True)
class PinsUpdated:
    """A conversation's pins changed: the whole list, the same for everyone."""

    conversation_id: int
    pins: tuple[Pin, ...]


@dataclass(frozen=True, slots=True)
class MessagesRead:
    conversation_id: int
    reader: UserRef
    message_ids: tuple[int, ...]
    last_read_message_id: int


@dataclass(frozen=True, slots=True)
class UnreadCountUpdated:
    user_id: int
    conversation_id: int
    unread_count: int
    total_unread: int
    unread_mentions: int
    total_unread_mentions: int


@dataclass(frozen=True, slots=True)
class MessagesDelivered:
    conversation_id: int
    recipient_id: int
    last_delivered_message_id: int


class TypingState(enum.StrEnum):
    START = "start"
    STOP = "stop"


@dataclass(frozen=True, slots=True)
class TypingChanged:
    conversation_id: int
    user_id: int
    state: TypingState


@dataclass(frozen=True, slots=True)
class PresenceChanged:
    """These users came online or went offline; the members of these conversations
    (each of which holds some of them) are told."""

    online: tuple[int, ...]
    offline: tuple[int, ...]
    conversation_ids: tuple[int, ...]


class SessionEndReason(enum.StrEnum):
    EXPIRED = "expired"
    LOGGED_OUT = "logged_out"


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """Every socket connected with the token must be told and disconnected."""

    token_id: str
    reason: SessionEndReason


# Everything a service publishes to the event outlet (service/outlet/port.py).
DomainEvent = (
    ConversationCreated
    | ConversationUpdated
    | ConversationActivity
    | ConversationDeleted
    | MessageCreated
    | MessageMentioned
    | MessageUpdated
    | ReactionChanged
    | PinsUpdated
    | MessagesRead
    | UnreadCountUpdated
    | MessagesDelivered
    | TypingChanged
    | PresenceChanged
    | SessionEnded
)
