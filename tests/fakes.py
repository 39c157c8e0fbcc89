"""In-memory fakes of our own ports. They subclass the ABCs, so a changed port breaks them."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from service.domain.errors import Conflict
from service.domain.events import (
    ConversationActivity,
    ConversationCreated,
    ConversationDeleted,
    ConversationUpdated,
    MessageCreated,
    MessagesDelivered,
    MessagesRead,
    PresenceChanged,
    SessionEnded,
    TypingChanged,
    UnreadCountUpdated,
)
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
from service.notifiers.base import (
    ConversationNotifier,
    MessageNotifier,
    PresenceNotifier,
    SessionNotifier,
)
from service.storage.ports import (
    ConversationRepository,
    MessageRepository,
    ReadStateRepository,
    RevokedTokenRepository,
    UnitOfWork,
    UserRepository,
)


@dataclass
class _ConversationRecord:
    id: int
    kind: ConversationKind
    title: str | None
    direct_key: str | None
    created_by: int
    owner_id: int
    created_at: datetime
    updated_at: datetime
    last_message_id: int | None = None
    last_seq: int = 0
    # user id -> (last read message id, its seq), in the order they joined
    participants: dict[int, tuple[int | None, int]] = field(default_factory=dict)
    # user id -> last delivered message id
    delivered: dict[int, int] = field(default_factory=dict)


@dataclass
class Store:
    users: dict[int, Credentials] = field(default_factory=dict)
    conversations: dict[int, _ConversationRecord] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    revoked_tokens: dict[str, datetime] = field(default_factory=dict)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


class FakeUserRepository(UserRepository):
    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(
        self, username: str, display_name: str, password_hash: str, now: datetime
    ) -> User:
        if any(c.user.username == username for c in self.store.users.values()):
            raise Conflict(f"Username {username} is taken.")
        user = User(self.store.new_id(), username, display_name, now)
        self.store.users[user.id] = Credentials(user, password_hash)
        return user

    async def get(self, user_id: int) -> User | None:
        found = self.store.users.get(user_id)
        return None if found is None else found.user

    async def existing_ids(self, user_ids: Iterable[int]) -> set[int]:
        return {uid for uid in user_ids if uid in self.store.users}

    async def credentials(self, username: str) -> Credentials | None:
        return next((c for c in self.store.users.values() if c.user.username == username), None)

    async def search(self, prefix: str | None, after: int, limit: int) -> list[User]:
        users = sorted((c.user for c in self.store.users.values()), key=lambda u: u.id)
        p = (prefix or "").lower()
        matching = [
            u
            for u in users
            if u.id > after
            and (u.username.lower().startswith(p) or u.display_name.lower().startswith(p))
        ]
        return matching[:limit]


class FakeConversationRepository(ConversationRepository):
    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(
        self,
        kind: ConversationKind,
        title: str | None,
        created_by: int,
        participant_ids: Iterable[int],
        direct_key: str | None,
        now: datetime,
    ) -> int:
        if direct_key is not None and await self.find_direct(direct_key) is not None:
            raise Conflict("The direct conversation already exists.")
        record = _ConversationRecord(
            self.store.new_id(), kind, title, direct_key, created_by, created_by, now, now
        )
        record.participants = dict.fromkeys(participant_ids, (None, 0))
        self.store.conversations[record.id] = record
        return record.id

    async def find_direct(self, direct_key: str) -> int | None:
        return next(
            (c.id for c in self.store.conversations.values() if c.direct_key == direct_key), None
        )

    async def get(self, conversation_id: int) -> Conversation | None:
        record = self.store.conversations.get(conversation_id)
        if record is None:
            return None
        last = record.last_message_id
        return Conversation(
            id=record.id,
            kind=record.kind,
            title=record.title,
            participants=tuple(
                self.store.users[uid].user.ref for uid in sorted(record.participants)
            ),
            created_by=record.created_by,
            owner_id=record.owner_id,
            created_at=record.created_at,
            updated_at=record.updated_at,
            last_message=None if last is None else self.store.messages[last],
            last_seq=record.last_seq,
        )

    async def is_participant(self, conversation_id: int, user_id: int) -> bool:
        record = self.store.conversations.get(conversation_id)
        return record is not None and user_id in record.participants

    async def memberships(self, user_ids: Iterable[int]) -> dict[int, list[int]]:
        wanted = set(user_ids)
        found = {
            c.id: [u for u in c.participants if u in wanted]
            for c in self.store.conversations.values()
        }
        return {cid: users for cid, users in found.items() if users}

    async def contacts(self, user_id: int) -> list[int]:
        return sorted(
            {
                other
                for record in self.store.conversations.values()
                if user_id in record.participants
                for other in record.participants
                if other != user_id
            }
        )

    async def list_for_user(
        self,
        user_id: int,
        limit: int,
        before: ActivityCursor | None,
        updated_since: datetime | None,
    ) -> list[Conversation]:
        mine = [
            c
            for c in self.store.conversations.values()
            if user_id in c.participants
            and (before is None or ActivityCursor(c.updated_at, c.id) < before)
            and (updated_since is None or c.updated_at >= updated_since)
        ]
        mine.sort(key=lambda c: (c.updated_at, c.id), reverse=True)
        found = [await self.get(c.id) for c in mine[:limit]]
        return [c for c in found if c is not None]

    async def rename(self, conversation_id: int, title: str, now: datetime) -> None:
        record = self.store.conversations[conversation_id]
        record.title, record.updated_at = title, now

    async def touch(self, conversation_id: int, now: datetime) -> None:
        self.store.conversations[conversation_id].updated_at = now

    async def next_seq(self, conversation_id: int, now: datetime) -> int | None:
        record = self.store.conversations.get(conversation_id)
        if record is None:
            return None
        record.last_seq += 1
        record.updated_at = now
        return record.last_seq

    async def set_last_message(self, conversation_id: int, message_id: int) -> None:
        self.store.conversations[conversation_id].last_message_id = message_id

    async def participant(self, conversation_id: int, user_id: int) -> UserRef | None:
        if not await self.is_participant(conversation_id, user_id):
            return None
        return self.store.users[user_id].user.ref

    async def ids_for_user(self, user_id: int) -> list[int]:
        return [c.id for c in self.store.conversations.values() if user_id in c.participants]

    async def delete(self, conversation_id: int) -> None:
        del self.store.conversations[conversation_id]
        for mid in [
            m.id for m in self.store.messages.values() if m.conversation_id == conversation_id
        ]:
            del self.store.messages[mid]

    async def add_participants(
        self,
        conversation_id: int,
        user_ids: Iterable[int],
        last_read_message_id: int | None,
        last_read_seq: int,
        now: datetime,
    ) -> None:
        record = self.store.conversations[conversation_id]
        for uid in user_ids:
            record.participants[uid] = (last_read_message_id, last_read_seq)

    async def remove_participant(self, conversation_id: int, user_id: int) -> None:
        self.store.conversations[conversation_id].participants.pop(user_id, None)

    async def longest_standing(self, conversation_id: int) -> int | None:
        return next(iter(self.store.conversations[conversation_id].participants), None)

    async def set_owner(self, conversation_id: int, user_id: int) -> None:
        self.store.conversations[conversation_id].owner_id = user_id


class FakeMessageRepository(MessageRepository):
    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(
        self,
        conversation_id: int,
        sender: UserRef,
        body: str,
        client_message_id: str | None,
        now: datetime,
        seq: int,
    ) -> Message:
        if client_message_id is not None and await self.find_by_client_id(
            conversation_id, sender.id, client_message_id
        ):
            raise Conflict("The client_message_id is already used.")
        message = Message(
            self.store.new_id(), conversation_id, seq, sender, body, client_message_id, now
        )
        self.store.messages[message.id] = message
        return message

    async def find_by_client_id(
        self, conversation_id: int, sender_id: int, client_message_id: str
    ) -> Message | None:
        return next(
            (
                m
                for m in self.store.messages.values()
                if (m.conversation_id, m.sender.id, m.client_message_id)
                == (conversation_id, sender_id, client_message_id)
            ),
            None,
        )

    async def get(self, conversation_id: int, message_id: int) -> Message | None:
        found = self.store.messages.get(message_id)
        return found if found is not None and found.conversation_id == conversation_id else None

    async def page(
        self,
        conversation_id: int,
        after: int | None,
        before: int | None,
        limit: int,
        newest_first: bool,
    ) -> list[Message]:
        found = sorted(
            (
                m
                for m in self.store.messages.values()
                if m.conversation_id == conversation_id
                and (after is None or m.id > after)
                and (before is None or m.id < before)
            ),
            key=lambda m: m.id,
            reverse=newest_first,
        )
        return found[:limit]


class FakeReadStateRepository(ReadStateRepository):
    def __init__(self, store: Store) -> None:
        self.store = store

    async def position(self, conversation_id: int, user_id: int) -> ReadPosition | None:
        record = self.store.conversations.get(conversation_id)
        if record is None or user_id not in record.participants:
            return None
        message_id, seq = record.participants[user_id]
        return ReadPosition(message_id, seq, record.last_seq)

    async def set_watermark(
        self, conversation_id: int, user_id: int, message_id: int, seq: int
    ) -> None:
        self.store.conversations[conversation_id].participants[user_id] = (message_id, seq)

    async def delivered_watermark(self, conversation_id: int, user_id: int) -> int | None:
        return self.store.conversations[conversation_id].delivered.get(user_id)

    async def set_delivered_watermark(
        self, conversation_id: int, user_id: int, message_id: int
    ) -> None:
        self.store.conversations[conversation_id].delivered[user_id] = message_id

    async def newly_read_ids(
        self, conversation_id: int, reader_id: int, after: int | None, upto: int, limit: int
    ) -> list[int]:
        ids = sorted(
            m.id
            for m in self.store.messages.values()
            if m.conversation_id == conversation_id
            and (after or 0) < m.id <= upto
            and m.sender.id != reader_id
        )
        return ids[-limit:]

    async def read_seqs(
        self, user_id: int, conversation_ids: Iterable[int] | None = None
    ) -> dict[int, int]:
        wanted = None if conversation_ids is None else set(conversation_ids)
        return {
            c.id: c.participants[user_id][1]
            for c in self.store.conversations.values()
            if user_id in c.participants and (wanted is None or c.id in wanted)
        }

    async def unread_by_conversation(self, user_id: int) -> dict[int, int]:
        return {
            c.id: c.last_seq - c.participants[user_id][1]
            for c in self.store.conversations.values()
            if user_id in c.participants
        }


class FakeRevokedTokenRepository(RevokedTokenRepository):
    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, token_id: str, expires_at: datetime) -> None:
        self.store.revoked_tokens.setdefault(token_id, expires_at)

    async def is_revoked(self, token_id: str) -> bool:
        return token_id in self.store.revoked_tokens

    async def purge(self, expired_before: datetime) -> None:
        for token_id, expires_at in list(self.store.revoked_tokens.items()):
            if expires_at < expired_before:
                del self.store.revoked_tokens[token_id]


class FakeUnitOfWork(UnitOfWork):
    """Works on a copy of the store; `commit` publishes it, leaving without it discards it."""

    def __init__(self, store: Store, fail_commit: bool = False) -> None:
        self.store = store
        self.fail_commit = fail_commit
        self.commits = 0

    async def __aenter__(self) -> Self:
        self._work = copy.deepcopy(self.store)
        self.users = FakeUserRepository(self._work)
        self.conversations = FakeConversationRepository(self._work)
        self.messages = FakeMessageRepository(self._work)
        self.read_states = FakeReadStateRepository(self._work)
        self.revoked_tokens = FakeRevokedTokenRepository(self._work)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        del self._work

    async def commit(self) -> None:
        if self.fail_commit:
            raise RuntimeError("the database went away")
        self.store.__dict__.update(copy.deepcopy(self._work).__dict__)
        self.commits += 1

    async def ping(self) -> None:
        if self.fail_commit:
            raise RuntimeError("the database went away")


class RecordingConversationNotifier(ConversationNotifier):
    def __init__(self) -> None:
        self.events: list[
            ConversationCreated | ConversationUpdated | ConversationDeleted | ConversationActivity
        ] = []

    async def conversation_created(self, event: ConversationCreated) -> None:
        self.events.append(event)

    async def conversation_activity(self, event: ConversationActivity) -> None:
        self.events.append(event)

    async def conversation_updated(self, event: ConversationUpdated) -> None:
        self.events.append(event)

    async def conversation_deleted(self, event: ConversationDeleted) -> None:
        self.events.append(event)


class RecordingMessageNotifier(MessageNotifier):
    def __init__(self) -> None:
        self.events: list[
            MessageCreated | MessagesRead | UnreadCountUpdated | MessagesDelivered
        ] = []

    async def message_created(self, event: MessageCreated) -> None:
        self.events.append(event)

    async def messages_read(self, event: MessagesRead) -> None:
        self.events.append(event)

    async def unread_count_updated(self, event: UnreadCountUpdated) -> None:
        self.events.append(event)

    async def messages_delivered(self, event: MessagesDelivered) -> None:
        self.events.append(event)


class RecordingPresenceNotifier(PresenceNotifier):
    def __init__(self) -> None:
        self.events: list[PresenceChanged | TypingChanged] = []

    async def presence_changed(self, event: PresenceChanged) -> None:
        self.events.append(event)

    async def typing_changed(self, event: TypingChanged) -> None:
        self.events.append(event)


class RecordingSessionNotifier(SessionNotifier):
    def __init__(self) -> None:
        self.events: list[SessionEnded] = []

    async def session_ended(self, event: SessionEnded) -> None:
        self.events.append(event)


class TickingClock:
    """A clock that moves one second per reading, so orderings are strict."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now
