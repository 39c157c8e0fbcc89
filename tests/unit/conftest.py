from __future__ import annotations

from dataclasses import dataclass

import pytest

from service.bootstrap import bootstrap
from service.domain.model import Credentials, User
from service.presence.store import InProcessPresenceStore
from service.services.container import Services
from service.settings import Settings
from tests.fakes import (
    FakeUnitOfWork,
    RecordingConversationNotifier,
    RecordingMessageNotifier,
    RecordingPresenceNotifier,
    RecordingSessionNotifier,
    Store,
    TickingClock,
)


@dataclass
class World:
    store: Store
    services: Services
    conversation_events: RecordingConversationNotifier
    message_events: RecordingMessageNotifier
    presence_events: RecordingPresenceNotifier
    session_events: RecordingSessionNotifier
    clock: TickingClock
    failing_commits: list[bool]

    def user(self, username: str) -> int:
        user = User(self.store.new_id(), username, username.title(), self.clock())
        self.store.users[user.id] = Credentials(user, "unused")
        return user.id

    def clear_events(self) -> None:
        self.conversation_events.events.clear()
        self.message_events.events.clear()


@pytest.fixture
def world() -> World:
    store = Store()
    clock = TickingClock()
    conversations = RecordingConversationNotifier()
    messages = RecordingMessageNotifier()
    presence = RecordingPresenceNotifier()
    sessions = RecordingSessionNotifier()
    failing: list[bool] = [False]
    services = bootstrap(
        settings=Settings(jwt_secret="unit-test-secret-" + "x" * 32),
        uow_factory=lambda: FakeUnitOfWork(store, fail_commit=failing[0]),
        conversation_notifier=conversations,
        message_notifier=messages,
        presence_notifier=presence,
        session_notifier=sessions,
        presence_store=InProcessPresenceStore(),
        clock=clock,
    )
    return World(store, services, conversations, messages, presence, sessions, clock, failing)
