from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.live import live_server
from tests.schemas import validate_response


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "chat.db"


@pytest.fixture
async def base_url(database: Path) -> AsyncIterator[str]:
    async with live_server(database) as url:
        yield url


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=base_url, timeout=10, event_hooks={"response": [check_against_openapi]}
    ) as client:
        yield client


async def check_against_openapi(response: httpx.Response) -> None:
    """Every response the tests receive must be one openapi.yaml documents."""
    await response.aread()
    media_type = response.headers.get("content-type", "").split(";")[0]
    validate_response(
        response.request.method,
        response.request.url.path,
        response.status_code,
        media_type,
        response.content,
    )
