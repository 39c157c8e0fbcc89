"""In-memory fakes of our own notifier ports and the clock. They subclass the ABCs, so a
changed port breaks them. Storage has none: tests run on the real repositories and
read model over a SQLite file (or PostgreSQL), so nothing re-implements SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
from service.notifiers.base import (
    ConversationNotifier,
    MessageNotifier,
    PresenceNotifier,
    SessionNotifier,
)


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
