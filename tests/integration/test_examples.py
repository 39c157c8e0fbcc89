"""examples/listen.py as a reader of the README runs it: a real process, pointed at
the service by the service's own settings."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.live import create_group, register

ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def listening(base_url: str, *args: str) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {**os.environ, "CHAT_PORT": str(urlsplit(base_url).port)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "examples/listen.py",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


async def _line_with(process: asyncio.subprocess.Process, text: str) -> str:
    assert process.stdout is not None
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        assert line, f"listen.py ended before printing {text!r}"
        if text in line:
            return line


async def test_a_refused_token_prints_the_servers_reason_not_a_traceback(base_url: str) -> None:
    async with listening(base_url, "not-a-token") as process:
        _out, err = await asyncio.wait_for(process.communicate(), 30)

    assert process.returncode == 1
    assert b'"code": "unauthorized"' in err, err
    assert b"Traceback" not in err


async def test_it_prints_the_events_of_the_conversation_it_joined(
    http: httpx.AsyncClient, base_url: str
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cid = await create_group(http, alice, bob)

    async with listening(base_url, bob.token, str(cid)) as process:
        joined = await _line_with(process, "join_conversation ->")
        sent = await http.post(
            f"/conversations/{cid}/messages", headers=alice.headers, json={"body": "hello"}
        )
        created = await _line_with(process, "message_created")

    assert '"ok": true' in joined
    assert sent.status_code == 201
    assert '"body": "hello"' in created
