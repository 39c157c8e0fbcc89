"""Domain objects: plain dataclasses, free of HTTP, Socket.IO and SQL."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

MAX_ID = 2**53 - 1  # ids must stay exact in JavaScript numbers
READ_EVENT_MAX_IDS = 100
MAX_MENTIONS = 50
QUOTE_PREVIEW_LENGTH = 100  # code points of the quoted body a reply shows
MAX_REACTIONS_PER_MESSAGE = 20  # different emojis on one message
MAX_REACTIONS_PER_USER = 10  # one user's reactions on one message
REACTION_USERS_SHOWN = 10  # the first users of a reaction a message lists
MAX_MESSAGE_VERSIONS = 50  # an edit history keeps the last versions, the current one too


class ConversationKind(enum.StrEnum):
    DIRECT = "direct"
    GROUP = "group"


class TokenStanding(enum.Enum):
    """What storage says of a token whose signature and expiry are good."""

    VALID = "valid"
    NO_USER = "no_user"  # its user was deleted
    REVOKED = "revoked"  # logged out


@dataclass(frozen=True, slots=True)
class UserRef:
    id: int
    username: str
    display_name: str


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    display_name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Credentials:
    user: User
    password_hash: str


@dataclass(frozen=True, slots=True)
class Quote:
    """The message a reply answers, as it stands now."""

    id: int
    sender: UserRef
    preview: str
    deleted: bool


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    conversation_id: int
    seq: int
    sender: UserRef
    body: str
    client_message_id: str | None
    created_at: datetime
    edited_at: datetime | None = None
    # A deleted message keeps its place (id, seq) with an empty body.
    deleted_at: datetime | None = None
    reply_to: Quote | None = None
    mentions: tuple[int, ...] = ()  # ascending user ids, fixed when sent

    def quoted(self) -> Quote:
        """How a reply quotes this message."""
        deleted = self.deleted_at is not None
        preview = "" if deleted else self.body[:QUOTE_PREVIEW_LENGTH]
        return Quote(self.id, self.sender, preview, deleted)


@dataclass(frozen=True, slots=True)
class MessageVersion:
    body: str
    since: datetime


@dataclass(frozen=True, slots=True)
class Pin:
    message: Message
    pinned_by: UserRef
    pinned_at: datetime


@dataclass(frozen=True, slots=True)
class Conversation:
    id: int
    kind: ConversationKind
    title: str | None
    participants: tuple[UserRef, ...]
    created_by: int
    owner_id: int
    created_at: datetime
    updated_at: datetime
    last_message: Message | None
    last_seq: int

    @property
    def participant_ids(self) -> tuple[int, ...]:
        return tuple(p.id for p in self.participants)


@dataclass(frozen=True, slots=True)
class ConversationView:
    """A conversation as one participant sees it."""

    conversation: Conversation
    last_read_seq: int
    unread_mentions: int = 0


@dataclass(frozen=True, slots=True)
class ConversationPage:
    items: tuple[ConversationView, ...]
    next_cursor: ActivityCursor | None


@dataclass(frozen=True, slots=True, order=True)
class ActivityCursor:
    """Position in a list ordered by (updated_at, id), newest first."""

    updated_at: datetime
    conversation_id: int


@dataclass(frozen=True, slots=True)
class Reaction:
    """One emoji on a message, as one viewer sees it."""

    emoji: str
    count: int
    user_ids: tuple[int, ...]  # the first REACTION_USERS_SHOWN, earliest first
    reacted: bool


@dataclass(frozen=True, slots=True)
class MessageReactions:
    conversation_id: int
    message_id: int
    reactions: tuple[Reaction, ...]  # in the order each was first added

    def of(self, emoji: str) -> Reaction | None:
        return next((r for r in self.reactions if r.emoji == emoji), None)


@dataclass(frozen=True, slots=True)
class MessagePage:
    items: tuple[Message, ...]
    has_more: bool
    # Each listed message's reactions (as the reader sees them), by message id.
    reactions: dict[int, tuple[Reaction, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UserPage:
    items: tuple[User, ...]
    next_after: int | None


@dataclass(frozen=True, slots=True)
class ReadState:
    conversation_id: int
    last_read_message_id: int | None
    last_read_seq: int
    unread_count: int
    unread_mentions: int


@dataclass(frozen=True, slots=True)
class ReadPosition:
    """A participant's read watermark, and how far the conversation has gone."""

    last_read_message_id: int | None
    last_read_seq: int
    last_seq: int


@dataclass(frozen=True, slots=True)
class Unread:
    conversation_id: int
    count: int
    mentions: int


@dataclass(frozen=True, slots=True)
class UnreadSummary:
    total_unread: int
    total_mentions: int
    per_conversation: tuple[Unread, ...]
