"""SQLAlchemy unit of work: one session, one transaction, all repositories and the
read model."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.storage.database import Database
from service.storage.ports import UnitOfWork
from service.storage.read_model import SqlAlchemyReadModel
from service.storage.repositories import (
    SqlAlchemyConversationRepository,
    SqlAlchemyMessageRepository,
    SqlAlchemyPinRepository,
    SqlAlchemyReactionRepository,
    SqlAlchemyReadStateRepository,
    SqlAlchemyRevokedTokenRepository,
    SqlAlchemyUserRepository,
)


class SqlAlchemyUnitOfWork(UnitOfWork):
    def __init__(self, database: Database) -> None:
        self._database = database
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        if self._database.one_writer is not None:
            await self._database.one_writer.acquire()
        session = self._database.session()
        self._session = session
        self.users = SqlAlchemyUserRepository(session)
        self.conversations = SqlAlchemyConversationRepository(session)
        self.messages = SqlAlchemyMessageRepository(session)
        self.pins = SqlAlchemyPinRepository(session)
        self.reactions = SqlAlchemyReactionRepository(session)
        self.read_states = SqlAlchemyReadStateRepository(session)
        self.revoked_tokens = SqlAlchemyRevokedTokenRepository(session)
        self.queries = SqlAlchemyReadModel(session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self._require_session()
        self._session = None
        try:
            await session.rollback()
        finally:
            await session.close()
            if self._database.one_writer is not None:
                self._database.one_writer.release()

    async def commit(self) -> None:
        await self._require_session().commit()

    async def ping(self) -> None:
        await self._require_session().execute(text("SELECT 1"))

    def _require_session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._session
