"""The official JavaScript `socket.io-client` (npm) works with the service as specified.

Frontends use that client, not python-socketio: it connects with its default transports
(long-polling, then upgrade to WebSocket), authenticates with `auth.token`, joins a
conversation, and receives `message_created` after an HTTP post, with a payload that
asyncapi.yaml accepts.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.live import create_group, live_server, register
from tests.schemas import validate_ack, validate_event

LISTEN = Path(__file__).with_name("js") / "listen.mjs"


class JsClient:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def next_line(self, seconds: float = 10) -> dict[str, Any]:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), seconds)
        if not raw:
            assert self.process.stderr is not None
            error = await self.process.stderr.read()
            raise AssertionError(f"node exited: {error.decode()}")
        line: dict[str, Any] = json.loads(raw)
        return line


@asynccontextmanager
async def js_client(base_url: str, token: str, conversation_id: int) -> AsyncIterator[JsClient]:
    node = shutil.which("node")
    assert node, "Node.js is needed: the contract tests run the official socket.io-client"
    process = await asyncio.create_subprocess_exec(
        node,
        str(LISTEN),
        base_url,
        token,
        str(conversation_id),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield JsClient(process)
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


async def test_the_official_js_client_joins_and_receives_message_created(tmp_path: Path) -> None:
    async with (
        live_server(tmp_path / "chat.db") as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        alice, bob = await register(http, "alice"), await register(http, "bob")
        cid = await create_group(http, alice, bob, title="Frontend")

        async with js_client(url, bob.token, cid) as bob_browser:
            line = await bob_browser.next_line()
            assert "ready" in line, f"the JS client did not join: {line}"
            ready = line["ready"]
            assert validate_ack("joinConversation", ready) == "roomAck"
            assert ready == {"ok": True, "conversation_id": cid}

            sent = await http.post(
                f"/conversations/{cid}/messages", headers=alice.headers, json={"body": "from py"}
            )
            line = await bob_browser.next_line()
            while line.get("event") != "message_created":
                validate_event(line["event"], line["payload"])
                line = await bob_browser.next_line()

        validate_event("message_created", line["payload"])
        assert line["payload"] == sent.json()


async def test_the_official_js_client_gets_the_specified_connect_error(tmp_path: Path) -> None:
    async with live_server(tmp_path / "chat.db") as url, js_client(url, "forged", 1) as browser:
        refused = (await browser.next_line())["connect_error"]

    validate_event("connect_error", refused)
    assert refused["data"] == {"code": "unauthorized"}
