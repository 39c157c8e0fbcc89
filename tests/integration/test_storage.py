"""Services on the real SQLAlchemy unit of work, under concurrency.

Runs on a SQLite file, and also on PostgreSQL when CHAT_TEST_POSTGRES_URL names
a database the tests may wipe (postgresql+asyncpg://user:pass@127.0.0.1/db).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial

import pytest

from service.app import build_services
from service.domain.events import MessageCreated
from service.domain.model import ConversationKind
from service.presence.store import InProcessPresenceStore
from service.services.container import Services
from service.settings import Settings
from service.storage.database import Database
from service.storage.migrate import migrate
from service.storage.unit_of_work import SqlAlchemyUnitOfWork
from tests.databases import wipe as wipe_database
from tests.fakes import RecordingOutlet


@dataclass
class Stack:
    services: Services
    messages: RecordingOutlet


@asynccontextmanager
async def sql_stack(url: str, *, wipe: bool) -> AsyncIterator[Stack]:
    if wipe:
        await wipe_database(url)
    database = Database(url)
    await migrate(database.engine)
    messages = RecordingOutlet()
    services = build_services(
        settings=Settings(jwt_secret="storage-test-secret-" + "x" * 32),
        uow_factory=partial(SqlAlchemyUnitOfWork, database),
        events=messages,
        presence_store=InProcessPresenceStore(),
    )
    try:
        yield Stack(services, messages)
    finally:
        await database.dispose()


@pytest.fixture
async def stack(database_url: str) -> AsyncIterator[Stack]:
    async with sql_stack(database_url, wipe=True) as built:
        yield built


async def _group(services: Services, *names: str) -> tuple[int, list[int]]:
    users = [(await services.users.register(n, "password1", n.title())).id for n in names]
    created = await services.conversations.create(users[0], ConversationKind.GROUP, "t", users[1:])
    return created.view.conversation.id, users


async def test_concurrent_sends_get_increasing_ids_in_commit_order(stack: Stack) -> None:
    cid, (alice, bob) = await _group(stack.services, "alice", "bob")

    sent = await asyncio.gather(
        *(
            stack.services.messages.send(alice if i % 2 else bob, cid, f"m{i}", None)
            for i in range(40)
        )
    )

    ids = sorted(s.message.id for s in sent)
    assert len(set(ids)) == 40
    history = await stack.services.messages.history(alice, cid, None, None, 200)
    assert [m.id for m in history.items] == ids
    emitted = [e.message.id for e in stack.messages.events if isinstance(e, MessageCreated)]
    assert sorted(emitted) == ids


async def test_concurrent_retries_with_one_key_store_one_message(stack: Stack) -> None:
    cid, (alice, _) = await _group(stack.services, "alice", "bob")

    sent = await asyncio.gather(
        *(stack.services.messages.send(alice, cid, "once", "retry-key") for _ in range(10))
    )

    assert len({s.message.id for s in sent}) == 1
    assert sum(s.created for s in sent) == 1
    history = await stack.services.messages.history(alice, cid, None, None, 50)
    assert len(history.items) == 1


async def test_concurrent_direct_creation_yields_one_conversation(stack: Stack) -> None:
    users = stack.services.users
    alice = (await users.register("alice", "password1", "Alice")).id
    bob = (await users.register("bob", "password1", "Bob")).id

    results = await asyncio.gather(
        *(
            stack.services.conversations.create(
                caller, ConversationKind.DIRECT, None, [bob if caller == alice else alice]
            )
            for caller in [alice, bob] * 5
        )
    )

    assert len({r.view.conversation.id for r in results}) == 1
    assert sum(r.created for r in results) == 1


async def test_state_survives_a_new_engine(database_url: str) -> None:
    async with sql_stack(database_url, wipe=True) as first:
        cid, (alice, bob) = await _group(first.services, "alice", "bob")
        for body in ("a", "b", "c"):
            await first.services.messages.send(alice, cid, body, None)

    async with sql_stack(database_url, wipe=False) as second:
        summary = await second.services.messages.unread_summary(bob)
        view = await second.services.conversations.get(bob, cid)

    assert summary.total_unread == 3
    assert view.conversation.last_message is not None
    assert view.conversation.last_message.body == "c"
    assert view.conversation.created_at.tzinfo is not None
