"""Repository, read-model and unit-of-work ports. Services depend on these, never on SQLAlchemy."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import datetime
from types import TracebackType
from typing import Self

from service.domain.model import (
    ActivityCursor,
    Conversation,
    ConversationKind,
    Credentials,
    Message,
    MessageVersion,
    Pin,
    Quote,
    Reaction,
    ReadPosition,
    TokenStanding,
    User,
    UserRef,
)


class UserRepository(ABC):
    @abstractmethod
    async def add(
        self, username: str, display_name: str, password_hash: str, now: datetime
    ) -> User:
        """Store a user; raises `Conflict` when the username is taken."""

    @abstractmethod
    async def get(self, user_id: int) -> User | None:
        """The user, or None."""

    @abstractmethod
    async def existing_ids(self, user_ids: Iterable[int]) -> set[int]:
        """The subset of `user_ids` that exist."""

    @abstractmethod
    async def credentials(self, username: str) -> Credentials | None:
        """The user and their password hash, or None."""

    @abstractmethod
    async def knows_address(self, user_id: int, address_key: str) -> bool:
        """Whether the user logged in from this address (see `remember_address`)."""

    @abstractmethod
    async def remember_address(
        self, user_id: int, address_key: str, now: datetime, keep: int
    ) -> None:
        """Note a login from this address; only the user's `keep` latest are kept."""


class ConversationRepository(ABC):
    @abstractmethod
    async def add(
        self,
        kind: ConversationKind,
        title: str | None,
        created_by: int,
        participant_ids: Iterable[int],
        direct_key: str | None,
        now: datetime,
    ) -> int:
        """Store a conversation and its participants; returns its id.

        Raises `Conflict` when `direct_key` is already taken.
        """

    @abstractmethod
    async def find_direct(self, direct_key: str) -> int | None:
        """The id of the direct conversation with this key, or None."""

    @abstractmethod
    async def get(self, conversation_id: int) -> Conversation | None:
        """The conversation with participants and its last message, or None."""

    @abstractmethod
    async def is_participant(self, conversation_id: int, user_id: int) -> bool:
        """Whether the user currently participates."""

    @abstractmethod
    async def participants_among(self, conversation_id: int, user_ids: Iterable[int]) -> set[int]:
        """Which of these users currently participate."""

    @abstractmethod
    async def participant(self, conversation_id: int, user_id: int) -> UserRef | None:
        """The user as a participant of the conversation, or None if they are not one."""

    @abstractmethod
    async def take_seq(
        self, conversation_id: int, sender_id: int, now: datetime
    ) -> tuple[int, UserRef] | None:
        """Take the conversation's next message seq for a message of `sender_id`, bump
        `updated_at`, and return the seq with the sender; None when the conversation
        does not exist or the sender does not participate. Locks the row until commit,
        so seqs (and message ids) commit in order."""

    @abstractmethod
    async def set_last_message(self, conversation_id: int, message_id: int) -> None:
        """Point the conversation at its newest message."""

    @abstractmethod
    async def rename(self, conversation_id: int, title: str, now: datetime) -> None:
        """Set the title and bump `updated_at`."""

    @abstractmethod
    async def touch(self, conversation_id: int, now: datetime) -> None:
        """Bump `updated_at`; locks the row until commit."""

    @abstractmethod
    async def delete(self, conversation_id: int) -> None:
        """Remove the conversation, its participants and its messages."""

    @abstractmethod
    async def add_participants(
        self,
        conversation_id: int,
        user_ids: Iterable[int],
        last_read_message_id: int | None,
        last_read_seq: int,
        now: datetime,
    ) -> None:
        """Add participants whose read watermark starts at the message given."""

    @abstractmethod
    async def remove_participant(self, conversation_id: int, user_id: int) -> None:
        """Remove one participant."""

    @abstractmethod
    async def longest_standing(self, conversation_id: int) -> int | None:
        """The participant who joined first (lowest id on a tie), or None."""

    @abstractmethod
    async def set_owner(self, conversation_id: int, user_id: int) -> None:
        """Make `user_id` the owner."""


class MessageRepository(ABC):
    @abstractmethod
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
        """Store a message, the message it answers and the users it mentions; raises
        `Conflict` when the client_message_id is taken."""

    @abstractmethod
    async def find_by_client_id(
        self, conversation_id: int, sender_id: int, client_message_id: str
    ) -> Message | None:
        """The message this sender stored under this idempotency key, or None."""

    @abstractmethod
    async def get(self, conversation_id: int, message_id: int) -> Message | None:
        """The message if it belongs to the conversation."""

    @abstractmethod
    async def edit(self, message_id: int, body: str, now: datetime) -> None:
        """Replace a message's body and set its `edited_at`."""

    @abstractmethod
    async def tombstone(self, message_id: int, now: datetime) -> None:
        """Empty a message's body and set its `deleted_at`: it keeps its id and seq;
        its earlier versions are erased with its body."""

    @abstractmethod
    async def keep_version(self, message_id: int, body: str, since: datetime, keep: int) -> None:
        """Keep a body an edit replaces, and at most `keep` earlier bodies of the message."""

    @abstractmethod
    async def versions(self, message_id: int) -> list[MessageVersion]:
        """The earlier bodies of a message, oldest first."""


class PinRepository(ABC):
    @abstractmethod
    async def pins(self, conversation_id: int) -> list[Pin]:
        """The conversation's pins, most recently pinned first."""

    @abstractmethod
    async def pin(self, conversation_id: int, message_id: int, user_id: int, now: datetime) -> None:
        """Pin a message the caller found unpinned in this transaction; `Conflict` when
        a concurrent pin of it committed first."""

    @abstractmethod
    async def unpin(self, conversation_id: int, message_id: int) -> bool:
        """Unpin a message; False when it was not pinned."""


class ReactionRepository(ABC):
    @abstractmethod
    async def emojis(self, message_id: int) -> dict[str, int]:
        """The different emojis on a message (at most its cap), each with its place."""

    @abstractmethod
    async def users_emojis(self, message_id: int, user_id: int) -> set[str]:
        """The emojis one user put on a message (at most their cap)."""

    @abstractmethod
    async def add(
        self,
        conversation_id: int,
        message_id: int,
        user_id: int,
        emoji: str,
        place: int,
        now: datetime,
    ) -> None:
        """Add a reaction the caller found absent in this transaction, at its emoji's
        place; `Conflict` when a concurrent one committed first."""

    @abstractmethod
    async def remove(self, message_id: int, user_id: int, emoji: str) -> bool:
        """Remove a reaction; False when there was none."""


class ReadStateRepository(ABC):
    @abstractmethod
    async def position(self, conversation_id: int, user_id: int) -> ReadPosition | None:
        """The participant's read watermark and the conversation's last seq; None when
        the user does not participate."""

    @abstractmethod
    async def set_watermark(
        self, conversation_id: int, user_id: int, message_id: int, seq: int
    ) -> None:
        """Move the watermark (the caller ensures it only moves forward)."""

    @abstractmethod
    async def delivered_watermark(self, conversation_id: int, user_id: int) -> int | None:
        """The last message delivered to one of the participant's devices, or None."""

    @abstractmethod
    async def set_delivered_watermark(
        self, conversation_id: int, user_id: int, message_id: int
    ) -> None:
        """Move the delivery watermark (the caller ensures it only moves forward)."""


class RevokedTokenRepository(ABC):
    @abstractmethod
    async def add(self, token_id: str, expires_at: datetime) -> None:
        """Revoke a token until it expires; revoking it again changes nothing."""

    @abstractmethod
    async def purge(self, expired_before: datetime) -> None:
        """Forget revocations of tokens that expired before the time given."""


class ReadModel(ABC):
    """The queries behind lists and badges: user search, conversation lists, history
    pages, unread summaries, contacts. Write-side repositories keep to adding, getting
    and changing rows; everything that filters, orders, pages or counts across rows is
    here, and has one implementation, tested against SQLite and PostgreSQL."""

    @abstractmethod
    async def search_users(self, prefix: str | None, after: int, limit: int) -> list[User]:
        """Users with id > `after` whose username or display name starts with `prefix`."""

    @abstractmethod
    async def conversation_ids(self, user_id: int) -> list[int]:
        """The ids of the user's conversations."""

    @abstractmethod
    async def conversations(
        self,
        user_id: int,
        limit: int,
        before: ActivityCursor | None,
        updated_since: datetime | None,
    ) -> list[Conversation]:
        """The user's conversations, newest activity first, strictly after `before`."""

    @abstractmethod
    async def messages(
        self,
        conversation_id: int,
        after: int | None,
        before: int | None,
        limit: int,
        newest_first: bool,
    ) -> list[Message]:
        """Up to `limit` messages with after < id < before, in the order asked."""

    @abstractmethod
    async def newly_read_ids(
        self, conversation_id: int, reader_id: int, after: int | None, upto: int, limit: int
    ) -> list[int]:
        """The latest `limit` ids in (after, upto] not sent by the reader, ascending."""

    @abstractmethod
    async def read_seqs(
        self, user_id: int, conversation_ids: Iterable[int] | None = None
    ) -> dict[int, int]:
        """The user's `last_read_seq` per conversation (all theirs when ids is None)."""

    @abstractmethod
    async def unread_by_conversation(self, user_id: int) -> dict[int, int]:
        """The user's unread count (last_seq - last_read_seq) in each conversation."""

    @abstractmethod
    async def reactions(
        self, message_ids: Iterable[int], viewer_id: int
    ) -> dict[int, tuple[Reaction, ...]]:
        """The reactions on each of these messages that has any, as the viewer sees
        them, each in the order it was first added."""

    @abstractmethod
    async def unread_mentions(
        self, user_id: int, conversation_ids: Iterable[int] | None = None
    ) -> dict[int, int]:
        """The user's unread mentions (in messages above their watermark) in each
        conversation that has any (all theirs when ids is None)."""

    @abstractmethod
    async def memberships(self, user_ids: Iterable[int]) -> dict[int, list[int]]:
        """For each conversation of any of these users, which of them participate."""

    @abstractmethod
    async def contacts(self, user_id: int) -> list[int]:
        """Everyone sharing a conversation with the user, ascending, without them."""

    @abstractmethod
    async def token_standing(self, user_id: int, token_id: str) -> TokenStanding:
        """Whether the token's user exists and the token was not revoked, in one query:
        every request and every socket asks."""


class UnitOfWork(ABC):
    """One transaction over all repositories and the read model. Leaving without
    `commit` rolls back."""

    users: UserRepository
    conversations: ConversationRepository
    messages: MessageRepository
    pins: PinRepository
    reactions: ReactionRepository
    read_states: ReadStateRepository
    revoked_tokens: RevokedTokenRepository
    queries: ReadModel

    @abstractmethod
    async def __aenter__(self) -> Self: ...

    @abstractmethod
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    @abstractmethod
    async def commit(self) -> None:
        """Make the changes durable."""

    @abstractmethod
    async def ping(self) -> None:
        """Raise when the database cannot be reached."""
