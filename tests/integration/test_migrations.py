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


async def test_groups_whose_creator_left_get_their_longest_standing_member_as_owner(
    database_url: str,
) -> None:
    await wipe(database_url)
    engine = create_engine(database_url)

    def build_0002_with_groups(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), "0002")
        connection.execute(
            text(
                "INSERT INTO users (id, username, display_name, password_hash, created_at) "
                "VALUES (1, 'ann', 'Ann', 'x', '2026-01-01'), (2, 'bo', 'Bo', 'x', '2026-01-01'),"
                " (3, 'cy', 'Cy', 'x', '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO conversations (id, kind, title, created_by, created_at, updated_at)"
                " VALUES (10, 'group', 'kept', 1, '2026-01-01', '2026-01-01'),"
                " (11, 'group', 'left', 1, '2026-01-01', '2026-01-01')"
            )
        )
        # Group 11's creator left; Cy (id 3) joined before Bo (id 2).
        connection.execute(
            text(
                "INSERT INTO participants (conversation_id, user_id, joined_at) VALUES"
                " (10, 1, '2026-01-01'), (10, 2, '2026-01-02'),"
                " (11, 3, '2026-01-02'), (11, 2, '2026-01-03')"
            )
        )

    try:
        async with engine.connect() as connection:
            await connection.run_sync(build_0002_with_groups)
            await connection.commit()
        await migrate(engine)
        async with engine.connect() as connection:
            owners = (
                await connection.execute(text("SELECT id, owner_id FROM conversations ORDER BY id"))
            ).all()
        assert [tuple(row) for row in owners] == [(10, 1), (11, 3)]
    finally:
        await engine.dispose()
