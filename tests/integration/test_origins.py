"""Cross-origin requests: allowed origins get CORS answers, others one clean 403 (no ERROR log)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.live import live_server

GOOD, EVIL = "http://good.example", "http://evil.example"
PREFLIGHT = {"Access-Control-Request-Method": "POST"}


@pytest.fixture
async def cors_url(database: Path) -> AsyncIterator[str]:
    async with live_server(database, cors_origins=(GOOD,)) as url:
        yield url


async def test_an_allowed_origin_gets_cors_answers(cors_url: str) -> None:
    async with httpx.AsyncClient(base_url=cors_url) as http:
        preflight = await http.options("/conversations", headers={"Origin": GOOD, **PREFLIGHT})
        polling = await http.get("/socket.io/?EIO=4&transport=polling", headers={"Origin": GOOD})

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == GOOD
    assert polling.status_code == 200
    assert polling.headers["access-control-allow-origin"] == GOOD


@pytest.mark.parametrize(
    "path", ["/conversations", "/auth/login", "/socket.io/?EIO=4&transport=polling"]
)
async def test_a_disallowed_origin_gets_one_clean_403_and_no_error_log(
    cors_url: str, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with httpx.AsyncClient(base_url=cors_url) as http:
        preflight = await http.options(path, headers={"Origin": EVIL, **PREFLIGHT})
        plain = await http.get(path, headers={"Origin": EVIL})

    for response in (preflight, plain):
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "forbidden"
        assert "access-control-allow-origin" not in response.headers
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_websocket_from_a_disallowed_origin_is_refused(cors_url: str) -> None:
    url = cors_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"

    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, origin=EVIL):  # type: ignore[arg-type]
            pass

    assert refused.value.response.status_code == 403


async def test_without_configured_origins_only_the_service_s_own_origin_passes(
    base_url: str,
) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        own = await http.get("/specs/schemas.yaml", headers={"Origin": base_url})
        other = await http.options("/conversations", headers={"Origin": GOOD, **PREFLIGHT})

    assert own.status_code == 200
    assert other.status_code == 403
