"""The Alembic migrations build exactly the schema the ORM expects, on both engines."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from service.storage.database import create_engine
from service.storage.migrate import alembic_config, migrate
from service.storage.orm import Base
from tests.databases import wipe


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _revision(connection: Connection) -> str:
    return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar())


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def test_migrations_match_the_orm_and_run_twice(database_url: str) -> None:
    await wipe(database_url)
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        await migrate(engine)  # a second process starting finds nothing to do
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
            assert await connection.run_sync(_revision) == _head()
    finally:
        await engine.dispose()


async def test_a_database_from_before_migrations_is_adopted_and_upgraded(
    database_url: str,
) -> None:
    await wipe(database_url)
    engine = create_engine(database_url)

    def build_first_schema_without_version(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), "0001")
        connection.execute(text("DROP TABLE alembic_version"))

    try:
        async with engine.connect() as connection:
            await connection.run_sync(build_first_schema_without_version)
            await connection.commit()
        await migrate(engine)
        async with engine.connect() as connection:
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("participants")}
            )
            assert "last_delivered_message_id" in columns
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()


async def test_processes_starting_together_migrate_once(database_url: str) -> None:
    await wipe(database_url)
    engines = [create_engine(database_url) for _ in range(3)]
    try:
        await asyncio.gather(*(migrate(engine) for engine in engines))
        async with engines[0].connect() as connection:
            assert await connection.run_sync(_revision) == _head()
    finally:
        for engine in engines:
            await engine.dispose()


async def migrated_from(database_url: str, revision: str, *inserts: str) -> AsyncEngine:
    """An engine on a database built at `revision`, given `inserts`, then migrated to
    the newest revision. The caller disposes of it."""
    await wipe(database_url)
    engine = create_engine(database_url)

    def build(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)
        for statement in inserts:
            connection.execute(text(statement))

    async with engine.connect() as connection:
        await connection.run_sync(build)
        await connection.commit()
    await migrate(engine)
    return engine


async def rows(engine: AsyncEngine, query: str) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in (await connection.execute(text(query))).all()]


async def test_groups_whose_creator_left_get_their_longest_standing_member_as_owner(
    database_url: str,
) -> None:
    engine = await migrated_from(
        database_url,
        "0002",
        "INSERT INTO users (id, username, display_name, password_hash, created_at) "
        "VALUES (1, 'ann', 'Ann', 'x', '2026-01-01'), (2, 'bo', 'Bo', 'x', '2026-01-01'),"
        " (3, 'cy', 'Cy', 'x', '2026-01-01')",
        "INSERT INTO conversations (id, kind, title, created_by, created_at, updated_at)"
        " VALUES (10, 'group', 'kept', 1, '2026-01-01', '2026-01-01'),"
        " (11, 'group', 'left', 1, '2026-01-01', '2026-01-01')",
        # Group 11's creator left; Cy (id 3) joined before Bo (id 2).
        "INSERT INTO participants (conversation_id, user_id, joined_at) VALUES"
        " (10, 1, '2026-01-01'), (10, 2, '2026-01-02'),"
        " (11, 3, '2026-01-02'), (11, 2, '2026-01-03')",
    )
    try:
        owners = await rows(engine, "SELECT id, owner_id FROM conversations ORDER BY id")
        assert owners == [(10, 1), (11, 3)]
    finally:
        await engine.dispose()


async def test_existing_messages_get_sequence_numbers_and_watermarks_follow(
    database_url: str,
) -> None:
    engine = await migrated_from(
        database_url,
        "0004",
        "INSERT INTO users (id, username, display_name, password_hash, created_at) "
        "VALUES (1, 'ann', 'Ann', 'x', '2026-01-01'), (2, 'bo', 'Bo', 'x', '2026-01-01')",
        "INSERT INTO conversations"
        " (id, kind, title, created_by, owner_id, created_at, updated_at)"
        " VALUES (10, 'group', 'a', 1, 1, '2026-01-01', '2026-01-01'),"
        " (11, 'group', 'b', 1, 1, '2026-01-01', '2026-01-01')",
        # Interleaved ids across two conversations; Bo read message 1, then wrote 5.
        "INSERT INTO messages (id, conversation_id, sender_id, body, created_at) VALUES"
        " (1, 10, 1, 'a', '2026-01-01'), (2, 11, 1, 'b', '2026-01-01'),"
        " (3, 10, 1, 'c', '2026-01-01'), (4, 10, 1, 'd', '2026-01-01'),"
        " (5, 10, 2, 'e', '2026-01-01'), (6, 10, 1, 'f', '2026-01-01')",
        "INSERT INTO participants"
        " (conversation_id, user_id, joined_at, last_read_message_id) VALUES"
        " (10, 1, '2026-01-01', NULL), (10, 2, '2026-01-01', 1),"
        " (11, 1, '2026-01-01', NULL), (11, 2, '2026-01-01', NULL)",
    )
    try:
        seqs = await rows(engine, "SELECT id, seq FROM messages ORDER BY id")
        last = await rows(engine, "SELECT id, last_seq FROM conversations ORDER BY id")
        marks = await rows(
            engine,
            "SELECT conversation_id, user_id, last_read_seq, last_read_message_id"
            " FROM participants ORDER BY conversation_id, user_id",
        )
        assert seqs == [(1, 1), (2, 1), (3, 2), (4, 3), (5, 4), (6, 5)]
        assert last == [(10, 5), (11, 1)]
        # Ann wrote message 6 (seq 5): read up to it. Bo wrote 5 (seq 4) after reading 1.
        assert marks == [
            (10, 1, 5, 6),
            (10, 2, 4, 5),
            (11, 1, 1, 2),
            (11, 2, 0, None),
        ]
    finally:
        await engine.dispose()
