"""Services on the real SQLAlchemy unit of work over a SQLite file, with a recording
event outlet and a ticking clock: the storage is the one users have, so no fake
re-implements its queries; what a service tells the world is recorded."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from service.app import build_services
from service.domain.events import (
    ConversationActivity,
    ConversationCreated,
    ConversationDeleted,
    ConversationUpdated,
    DomainEvent,
    MessageCreated,
    MessagesDelivered,
    MessagesRead,
    PresenceChanged,
    SessionEnded,
    TypingChanged,
    UnreadCountUpdated,
)
from service.domain.model import ConversationKind, ConversationView, UserRef
from service.presence.store import InProcessPresenceStore
from service.realtime.outbound import Backlog
from service.services.container import Services
from service.settings import Settings
from service.storage.database import Database
from service.storage.migrate import migrate
from service.storage.unit_of_work import SqlAlchemyUnitOfWork
from tests.fakes import RecordingOutlet, TickingClock


class FailableUnitOfWork(SqlAlchemyUnitOfWork):
    """The real unit of work, whose commit and ping fail while `failing[0]` is set."""

    def __init__(self, database: Database, failing: list[bool]) -> None:
        super().__init__(database)
        self._failing = failing

    async def commit(self) -> None:
        if self._failing[0]:
            raise RuntimeError("the database went away")
        await super().commit()

    async def ping(self) -> None:
        if self._failing[0]:
            raise RuntimeError("the database went away")
        await super().ping()


@dataclass
class World:
    path: Path
    services: Services
    events: RecordingOutlet
    clock: TickingClock
    failing_commits: list[bool]
    backlog: Backlog

    def sql(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        """Run one statement on the file (committed at once) and return its rows."""
        with sqlite3.connect(self.path) as db:
            return db.execute(statement, params).fetchall()

    def ids(self, table: str) -> list[Any]:
        """The ids (token ids for revoked tokens) in a table, ascending."""
        key = "token_id" if table == "revoked_tokens" else "id"
        return [row[0] for row in self.sql(f"SELECT {key} FROM {table} ORDER BY {key}")]

    def user(self, username: str) -> int:
        """A user written straight to the file: registering hashes a password."""
        created = self.clock().isoformat(sep=" ")
        self.sql(
            "INSERT INTO users (username, display_name, password_hash, created_at)"
            " VALUES (?, ?, 'unusable', ?)",
            username,
            username.title(),
            created,
        )
        found: int = self.sql("SELECT id FROM users WHERE username = ?", username)[0][0]
        return found

    def ref(self, user_id: int) -> UserRef:
        username, display_name = self.sql(
            "SELECT username, display_name FROM users WHERE id = ?", user_id
        )[0]
        return UserRef(user_id, username, display_name)

    @property
    def conversation_events(self) -> list[DomainEvent]:
        kinds = (ConversationCreated, ConversationUpdated, ConversationDeleted)
        return self.events.of(*kinds, ConversationActivity)

    @property
    def message_events(self) -> list[DomainEvent]:
        return self.events.of(MessageCreated, MessagesRead, UnreadCountUpdated, MessagesDelivered)

    @property
    def presence_events(self) -> list[DomainEvent]:
        return self.events.of(PresenceChanged, TypingChanged)

    @property
    def session_events(self) -> list[DomainEvent]:
        return self.events.of(SessionEnded)

    def clear_events(self) -> None:
        self.events.events.clear()


async def group(world: World, *usernames: str) -> tuple[int, list[int]]:
    """A group of new users, the first its owner, with the creation's events cleared;
    its id and the users' ids."""
    users = [world.user(name) for name in usernames]
    created = await world.services.conversations.create(
        users[0], ConversationKind.GROUP, "room", users[1:]
    )
    world.clear_events()
    return created.view.conversation.id, users


def unread(view: ConversationView) -> int:
    """A participant's unread count, as the API answers it (`last_seq - last_read_seq`)."""
    return view.conversation.last_seq - view.last_read_seq


@pytest.fixture(scope="session")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test: migrating each time is slow."""
    path = tmp_path_factory.mktemp("template") / "chat.db"

    async def build() -> None:
        database = Database(f"sqlite+aiosqlite:///{path}")
        await migrate(database.engine)
        await database.dispose()

    asyncio.run(build())
    return path


@pytest.fixture
async def world(migrated_file: Path, tmp_path: Path) -> AsyncIterator[World]:
    path = tmp_path / "chat.db"
    shutil.copy(migrated_file, path)
    database = Database(f"sqlite+aiosqlite:///{path}")
    clock = TickingClock()
    events = RecordingOutlet()
    failing: list[bool] = [False]
    # Never drained in unit tests: a test that fills it sees sends refused at once.
    backlog = Backlog(high=1000, wait_seconds=0.001)
    services = build_services(
        settings=Settings(jwt_secret="unit-test-secret-" + "x" * 32),
        uow_factory=lambda: FailableUnitOfWork(database, failing),
        events=events,
        presence_store=InProcessPresenceStore(),
        clock=clock,
        backpressure=backlog,
    )
    yield World(path, services, events, clock, failing, backlog)
    await database.dispose()
