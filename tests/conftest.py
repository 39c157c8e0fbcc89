from __future__ import annotations

from pathlib import Path

import pytest

from tests.databases import POSTGRES_URL, SKIP_REASON, require


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh SQLite file, then the PostgreSQL database (to be wiped) when configured."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    require(POSTGRES_URL is not None, SKIP_REASON)
    assert POSTGRES_URL is not None
    return POSTGRES_URL
