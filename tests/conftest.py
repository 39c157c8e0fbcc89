from __future__ import annotations

from pathlib import Path

import pytest

from tests.databases import POSTGRES_URL, SKIP_REASON


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh SQLite file, then the PostgreSQL database (to be wiped) when configured."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    if POSTGRES_URL is None:
        pytest.skip(SKIP_REASON)
    return POSTGRES_URL
