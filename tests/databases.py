"""The database engines tests run on: a SQLite file always, PostgreSQL when configured."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from service.storage.database import create_engine
from service.storage.orm import Base

# A database the tests may wipe, e.g. postgresql+asyncpg://chat@127.0.0.1:55439/chat_test.
POSTGRES_URL = os.environ.get("CHAT_TEST_POSTGRES_URL")
SKIP_REASON = "CHAT_TEST_POSTGRES_URL is not set: PostgreSQL runs are skipped"


def require(available: bool, reason: str) -> None:
    """Skip with `reason` when something a test needs is absent; in CI
    (CHAT_TEST_REQUIRE_ALL=1, set by .ci/run) fail instead, so nothing is skipped there."""
    if available:
        return
    if os.environ.get("CHAT_TEST_REQUIRE_ALL") == "1":
        pytest.fail(f"{reason}, and CHAT_TEST_REQUIRE_ALL=1 forbids skipping")
    pytest.skip(reason)


async def wipe(url: str) -> None:
    """Drop every table of the service and the migration record: an empty database."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.drop_all)
            await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        await engine.dispose()
