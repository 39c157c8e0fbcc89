"""SQLite statements run on the event loop thread, behind the AsyncSession interface.

Through aiosqlite every statement is about four hand-offs to a driver thread, and
each hand-off back waits for a turn of the event loop. When the loop is busy
writing a fan-out to hundreds of sockets, a message's transaction (some thirty
hand-offs) took three times as long as alone, and the transaction holds SQLite's
single write lock all that time (see `make bench` in the README). Running the
statements right away instead costs the loop tens of microseconds each, never a
wait: a local SQLite file in WAL mode answers without network or fsync, and
`Database.one_writer` lets only one unit of work at a time reach it, so a statement
never waits for another transaction's lock either. (Several processes on one
SQLite file could still make a statement wait up to busy_timeout, blocking the
loop: run several processes on PostgreSQL, as the README says.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.engine import Result
from sqlalchemy.orm import Session


class InlineSession:
    """The part of AsyncSession the repositories use, over a synchronous Session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def execute(self, statement: Any, params: Any = None) -> Result[Any]:
        return self._session.execute(statement, params)

    async def scalar(self, statement: Any, params: Any = None) -> Any:
        return self._session.scalar(statement, params)

    async def scalars(self, statement: Any, params: Any = None) -> Any:
        return self._session.scalars(statement, params)

    async def get(self, entity: type[Any], ident: Any, *, populate_existing: bool = False) -> Any:
        return self._session.get(entity, ident, populate_existing=populate_existing)

    def add(self, instance: object) -> None:
        self._session.add(instance)

    def add_all(self, instances: Iterable[object]) -> None:
        self._session.add_all(instances)

    async def flush(self) -> None:
        self._session.flush()

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        with self._session.begin_nested():
            yield

    async def commit(self) -> None:
        self._session.commit()

    async def rollback(self) -> None:
        self._session.rollback()

    async def close(self) -> None:
        self._session.close()
