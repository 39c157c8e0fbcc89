"""The database: engines with the settings a concurrent server needs, and sessions."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import sessionmaker

from service.storage.inline import InlineSession


def create_engine(database_url: str, *, foreign_keys: bool = True) -> AsyncEngine:
    """An async engine: PostgreSQL's sessions, and migrations on either database.

    `foreign_keys=False` is for SQLite migrations only: SQLite alters a table by
    copying it and dropping the original, and with foreign keys enforced that drop
    cascades into every table that refers to it.
    """
    if not is_sqlite(database_url):
        return create_async_engine(database_url, pool_pre_ping=True)
    engine = create_async_engine(database_url, connect_args={"timeout": 30})
    _configure_sqlite(engine.sync_engine, foreign_keys)
    return engine


def is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite")


class Database:
    """Sessions for the units of work: AsyncSession on PostgreSQL; on SQLite, statements
    run inline (service/storage/inline.py explains why) one unit of work at a time."""

    def __init__(self, database_url: str) -> None:
        self.engine = create_engine(database_url)
        self._sync_engine: Engine | None = None
        # SQLite has one writer, and a writer that finds the database locked sleeps in
        # growing steps (busy_timeout) before retrying; queueing here first hands the
        # database over without sleeping. PostgreSQL needs no such lock.
        self.one_writer: asyncio.Lock | None = None
        if is_sqlite(database_url):
            url = self.engine.url.set(drivername="sqlite+pysqlite")
            self._sync_engine = create_sync_engine(url, connect_args={"timeout": 30})
            _configure_sqlite(self._sync_engine)
            self._sync_sessions = sessionmaker(self._sync_engine, expire_on_commit=False)
            self.one_writer = asyncio.Lock()
        self._async_sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> AsyncSession:
        if self._sync_engine is not None:
            # InlineSession has every AsyncSession method the repositories use.
            return cast(AsyncSession, InlineSession(self._sync_sessions()))
        return self._async_sessions()

    async def dispose(self) -> None:
        if self._sync_engine is not None:
            self._sync_engine.dispose()
        await self.engine.dispose()


def _configure_sqlite(sync_engine: Engine, foreign_keys: bool = True) -> None:
    @event.listens_for(sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver: its implicit BEGIN is
        # deferred, and a deferred reader that later writes fails with
        # "database is locked" at once instead of waiting for the lock.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock up front, so concurrent writers queue
        # on busy_timeout rather than deadlock.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
