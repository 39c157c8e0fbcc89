"""One large group at a steady rate: the scenario profiled for the 0.3.0 fan-out design.

`python -m bench.profile_group` starts `python -m service` (pinned to core 0 when
`taskset` exists) on a fresh SQLite file, gives a group MEMBERS members (accounts
written straight to the file, since hashing hundreds of passwords takes a minute;
tokens signed with the server's secret), connects one WebSocket per member, each
joining the group's room, posts RATE messages per second for SECONDS seconds over
HTTP, and prints how many `message_created` arrived, and their latency. Attach
py-spy to the pid it prints while it runs to see where the server's time goes.
Environment: BENCH_MEMBERS (500), BENCH_RATE (20), BENCH_SECONDS (10).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from bench.run import SECRET, ours_environment, pinned
from service.auth.tokens import TokenCodec
from service.domain.clock import utc_now

MEMBERS = int(os.environ.get("BENCH_MEMBERS", "500"))
RATE = float(os.environ.get("BENCH_RATE", "20"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
PORT = 8799


def _start(database: Path) -> subprocess.Popen[bytes]:
    command = [*pinned(0), sys.executable, "-m", "service"]
    return subprocess.Popen(command, env=ours_environment(database, PORT))


async def _group(http: httpx.AsyncClient, database: Path) -> tuple[int, dict[str, str], list[str]]:
    """The group's id, its owner's auth header, and every member's token."""
    owner = {"username": "owner", "password": "owner-password", "display_name": "Owner"}
    assert (await http.post("/auth/register", json=owner)).status_code == 201
    login = await http.post("/auth/login", json={k: owner[k] for k in ("username", "password")})
    token: str = login.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    ids = list(range(2, MEMBERS + 1))
    with sqlite3.connect(database) as db:
        db.executemany(
            "INSERT INTO users (id, username, display_name, password_hash, created_at)"
            " VALUES (?, ?, ?, 'unusable', '2026-01-01 00:00:00')",
            [(i, f"member{i}", f"Member {i}") for i in ids],
        )
    group = {"kind": "group", "title": "Everyone", "participant_ids": ids[:200]}
    created = await http.post("/conversations", headers=headers, json=group)
    conversation_id: int = created.json()["id"]
    for start in range(200, len(ids), 250):
        more = {"user_ids": ids[start : start + 250]}
        added = await http.post(
            f"/conversations/{conversation_id}/participants", headers=headers, json=more
        )
        assert added.status_code == 200, added.text
    codec = TokenCodec(SECRET, 3600, utc_now)
    return conversation_id, headers, [token, *(codec.issue(i).token for i in ids)]


async def _member(
    token: str, conversation_id: int, joined: asyncio.Semaphore, latencies: list[float]
) -> None:
    url = f"ws://127.0.0.1:{PORT}/socket.io/?EIO=4&transport=websocket"
    join = json.dumps(["join_conversation", {"conversation_id": conversation_id}])
    async with connect(url, max_size=None) as websocket:
        await websocket.recv()
        await websocket.send("40" + json.dumps({"token": token}))
        async for frame in websocket:
            text = str(frame)
            if text == "2":
                await websocket.send("3")
            elif text.startswith("40"):
                await websocket.send("421" + join)
            elif text.startswith("431"):
                joined.release()
            elif text.startswith('42["message_created"'):
                sent_at = float(json.loads(text[2:])[1]["body"])
                latencies.append(time.time() - sent_at)


async def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-group-"))
    server = _start(workdir / "chat.db")
    print(f"server pid {server.pid}", flush=True)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=60) as http:
            for _ in range(300):
                try:
                    await http.get("/healthz")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            conversation_id, headers, tokens = await _group(http, workdir / "chat.db")
            joined = asyncio.Semaphore(0)
            latencies: list[float] = []
            members = [
                asyncio.create_task(_member(t, conversation_id, joined, latencies)) for t in tokens
            ]
            started = time.time()

            async def all_joined() -> None:
                for _ in tokens:
                    await joined.acquire()

            await asyncio.wait_for(all_joined(), 120)
            print(f"{len(tokens)} joined in {time.time() - started:.1f} s", flush=True)
            posts = int(RATE * SECONDS)
            started = time.time()
            for n in range(posts):
                await asyncio.sleep(max(0.0, started + n / RATE - time.time()))
                body = {"body": f"{time.time():.6f}"}
                await http.post(
                    f"/conversations/{conversation_id}/messages", headers=headers, json=body
                )
            await asyncio.sleep(5)
            for task in members:
                task.cancel()
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(workdir, ignore_errors=True)
    latencies.sort()
    expected = posts * MEMBERS
    result = {
        "members": MEMBERS,
        "posts_per_second": RATE,
        "posts": posts,
        "delivered": len(latencies),
        "lost": expected - len(latencies),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1) if latencies else None,
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 1) if latencies else None,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
