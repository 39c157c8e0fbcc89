"""The load client: every scenario of bench/scenarios.py against one running server.

Usage: python -m bench.load <base-url> <ours|ours-pg|bare|seed|node> <server-pid> [statements-file]
Sizes come from the environment (bench/run.py documents them). Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import aiohttp

from bench import scenarios
from bench.probe import Probe
from bench.targets import Ours, Reference, Target
from bench.wire import Tally


def setting(name: str, default: float) -> float:
    return float(os.environ.get(f"BENCH_{name}", default))


STORM_SOCKETS = int(setting("STORM_SOCKETS", 2000))
STORM_GROUP = int(setting("STORM_GROUP", 100))
MEMBERS = int(setting("MEMBERS", 500))
RATE = setting("RATE", 20)
SECONDS = setting("SECONDS", 10)
BURST = int(setting("BURST", 1000))
CONVERSATIONS = int(setting("CONVERSATIONS", 400))
FIRST_RATE = setting("FIRST_RATE", 50)
STEP_SECONDS = setting("STEP_SECONDS", 5)
CHAT_RUNS = int(setting("CHAT_RUNS", 3))
BACKLOG = int(setting("BACKLOG", 10_000))
ONLY = os.environ.get("BENCH_ONLY", "storm,group,chat,backlog").split(",")


async def main(base_url: str, kind: str, pid: int, statements: Path | None) -> None:
    # Posts share a bounded pool: the server has one core, more connections only queue.
    # Idle connections are dropped before the servers' keep-alive (5 s in uvicorn and
    # Node) can close them under a request. Each WebSocket holds its own connection, so
    # sockets come from an unbounded pool.
    posts = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=256, keepalive_timeout=1),
        timeout=aiohttp.ClientTimeout(total=300),
    )
    sockets = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    async with posts as http, sockets:
        target: Target = (
            Ours(http, base_url) if kind.startswith("ours") else Reference(http, base_url)
        )
        started = time.perf_counter()
        users = await target.users(max(STORM_SOCKETS, MEMBERS, 3 * CONVERSATIONS, 3))
        setup_seconds = time.perf_counter() - started
        ctx = scenarios.Context(sockets, base_url, target, Probe(pid, statements), users, Tally())
        runs = {
            "storm": lambda: scenarios.storm(ctx, STORM_SOCKETS, STORM_GROUP),
            "group": lambda: scenarios.large_group(ctx, MEMBERS, RATE, SECONDS, BURST),
            "chat": lambda: scenarios.small_conversations(
                ctx, CONVERSATIONS, FIRST_RATE, STEP_SECONDS, CHAT_RUNS
            ),
            "backlog": lambda: scenarios.backlog(ctx, BACKLOG, RATE, SECONDS),
        }
        results: dict[str, Any] = {"kind": kind, "users_set_up_seconds": round(setup_seconds, 1)}
        for name in ONLY:
            print(f"{kind}: {name}", file=sys.stderr, flush=True)
            try:
                results[name] = await runs[name]()
            except Exception as exc:  # a scenario that breaks is a result too
                traceback.print_exc()
                results[name] = {"failed": f"{type(exc).__name__}: {exc}"}
            await scenarios.close_all(ctx.opened)
            ctx.opened.clear()
            await asyncio.sleep(2)
    print(json.dumps(results))


if __name__ == "__main__":
    statements_file = Path(sys.argv[4]) if len(sys.argv) > 4 else None
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), statements_file))
