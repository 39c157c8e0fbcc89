"""Services on the real SQLAlchemy unit of work over a SQLite file, under concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from service.bootstrap import bootstrap
from service.domain.events import MessageCreated
from service.domain.model import ConversationKind
from service.services.container import Services
from service.settings import Settings
from service.storage.database import create_engine, create_schema
from service.storage.unit_of_work import SqlAlchemyUnitOfWork
from tests.fakes import RecordingConversationNotifier, RecordingMessageNotifier


@dataclass
class Stack:
    services: Services
    messages: RecordingMessageNotifier


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}")
    await create_schema(engine)
    messages = RecordingMessageNotifier()
    services = bootstrap(
        settings=Settings(jwt_secret="storage-test-secret-" + "x" * 32),
        uow_factory=partial(
            SqlAlchemyUnitOfWork, async_sessionmaker(engine, expire_on_commit=False)
        ),
        conversation_notifier=RecordingConversationNotifier(),
        message_notifier=messages,
    )
    yield Stack(services, messages)
    await engine.dispose()


async def _users(services: Services, *names: str) -> list[int]:
    return [(await services.users.register(n, "password1", n.title())).id for n in names]


async def test_concurrent_sends_get_increasing_ids_in_commit_order(stack: Stack) -> None:
    alice, bob = await _users(stack.services, "alice", "bob")
    cid = (
        await stack.services.conversations.create(alice, ConversationKind.GROUP, "t", [bob])
    ).view.conversation.id

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
    alice, bob = await _users(stack.services, "alice", "bob")
    cid = (
        await stack.services.conversations.create(alice, ConversationKind.GROUP, "t", [bob])
    ).view.conversation.id

    sent = await asyncio.gather(
        *(stack.services.messages.send(alice, cid, "once", "retry-key") for _ in range(10))
    )

    assert len({s.message.id for s in sent}) == 1
    assert sum(s.created for s in sent) == 1
    history = await stack.services.messages.history(alice, cid, None, None, 50)
    assert len(history.items) == 1


async def test_concurrent_direct_creation_yields_one_conversation(stack: Stack) -> None:
    alice, bob = await _users(stack.services, "alice", "bob")

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


async def test_unread_counts_survive_a_restart_of_the_engine(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    for round_ in range(2):
        engine = create_engine(url)
        await create_schema(engine)
        services = bootstrap(
            settings=Settings(jwt_secret="storage-test-secret-" + "x" * 32),
            uow_factory=partial(
                SqlAlchemyUnitOfWork, async_sessionmaker(engine, expire_on_commit=False)
            ),
            conversation_notifier=RecordingConversationNotifier(),
            message_notifier=RecordingMessageNotifier(),
        )
        if round_ == 0:
            alice, bob = await _users(services, "alice", "bob")
            cid = (
                await services.conversations.create(alice, ConversationKind.GROUP, "t", [bob])
            ).view.conversation.id
            for body in ("a", "b", "c"):
                await services.messages.send(alice, cid, body, None)
        else:
            summary = await services.messages.unread_summary(bob)
            assert summary.total_unread == 3
            view = await services.conversations.get(bob, cid)
            assert view.conversation.last_message is not None
            assert view.conversation.last_message.body == "c"
            assert view.conversation.created_at.tzinfo is not None
        await engine.dispose()
