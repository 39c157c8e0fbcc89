"""`make bench`: the same chat-shaped scenarios against four servers, one after the
other in one run, reported side by side as ratios.

  ours  `python -m service` (SQLite file, every layer: auth, validation, storage,
        generated DTOs, presence, unread state), set up through its HTTP API
  bare  python-socketio on uvicorn emitting the posted body: the Python ceiling
  seed  Flask-SocketIO on eventlet storing each post in SQLite, then emitting it
  node  the official Node `socket.io` server emitting the posted body: the outside
        reference
  ours-pg  ours in the production shape: PostgreSQL and Redis of their own (Debian's
        packages), pinned with the load client to core 1

The server runs pinned to core 0 and the load client (bench/load.py) to core 1 when
`taskset` exists. Scenarios (bench/scenarios.py), sizes from the environment:
  storm    (e) memory and connect CPU per socket, (d) reconnect storm:
           BENCH_STORM_SOCKETS (2000) users in groups of BENCH_STORM_GROUP (100)
  group    (a) one group of BENCH_MEMBERS (500): BENCH_RATE posts/s (20) for
           BENCH_SECONDS (10), then a burst of BENCH_BURST (1000) posts
  chat     (b) BENCH_CONVERSATIONS (400) conversations of 3, from BENCH_FIRST_RATE
           posts/s (50) up by a quarter every BENCH_STEP_SECONDS (5) until p99 > 250 ms;
           the median of BENCH_CHAT_RUNS (3) ramps
  backlog  (c) send latency before and after BENCH_BACKLOG (10000) unread messages
BENCH_SERVERS (bare,seed,node,ours,ours-pg) and BENCH_ONLY (storm,group,chat,backlog) choose.
Writes the report to bench/results.md (BENCH_REPORT to write elsewhere).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.backing import free_port, postgres, redis
from bench.report import report

ROOT = Path(__file__).resolve().parent.parent
UNLIMITED = "1000000/minute"
SECRET = "bench-secret-" + "b" * 32


def pinned(core: int) -> list[str]:
    """The command prefix that keeps a process on one core, where `taskset` exists."""
    return ["taskset", "-c", str(core)] if shutil.which("taskset") else []


def ours_environment(database: Path, port: int) -> dict[str, str]:
    """`python -m service` on a SQLite file at `port`, with the abuse bounds raised:
    thousands of users behind one loopback address would measure the bounds, not the
    service."""
    return {
        **os.environ,
        "CHAT_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "CHAT_JWT_SECRET": SECRET,
        "CHAT_PORT": str(port),
        "CHAT_LOG_LEVEL": "WARNING",
        "CHAT_RATE_AUTH": UNLIMITED,
        "CHAT_RATE_SEND": UNLIMITED,
        "CHAT_RATE_SOCKET_EVENTS": UNLIMITED,
        "CHAT_RATE_HANDSHAKES": UNLIMITED,
        "CHAT_MAX_CONNECTIONS_PER_ADDRESS": "1000000",
    }


def _server(
    kind: str, port: int, workdir: Path, backing: dict[str, str]
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    if kind.startswith("ours"):
        env = {**ours_environment(workdir / "bench.db", port), **backing}
        command = [sys.executable, "-m", "bench.ours_server", str(workdir / "statements")]
    elif kind == "node":
        command = ["node", "bench/node_server.js", str(port)]
    else:
        command = [sys.executable, "-m", f"bench.{kind}_server", str(port)]
    return subprocess.Popen([*pinned(0), *command], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def _wait_ready(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not start")


def measure(kind: str) -> dict[str, Any]:
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir, contextlib.ExitStack() as stack:
        backing: dict[str, str] = {}
        if kind == "ours-pg":
            # The production shape; its servers share the load client's core, so that
            # the service keeps core 0 to itself as in every other row.
            backing = {
                "CHAT_DATABASE_URL": stack.enter_context(postgres(pinned(1))),
                "CHAT_REDIS_URL": stack.enter_context(redis(pinned(1))),
            }
        server = _server(kind, port, Path(workdir), backing)
        try:
            _wait_ready(port)
            command = [
                *pinned(1),
                sys.executable,
                "-m",
                "bench.load",
                f"http://127.0.0.1:{port}",
                kind,
                str(server.pid),
            ]
            if kind.startswith("ours"):
                command.append(str(Path(workdir) / "statements"))
            load = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
        finally:
            server.terminate()
            server.wait(30)
    result: dict[str, Any] = json.loads(load.stdout)
    return result


def main() -> None:
    kinds = os.environ.get("BENCH_SERVERS", "bare,seed,node,ours,ours-pg").split(",")
    results = {kind: measure(kind) for kind in kinds}
    machine = f"Python {platform.python_version()}, {os.cpu_count()} cores, loopback"
    text = report(results, machine)
    print(text)
    destination = Path(os.environ.get("BENCH_REPORT", ROOT / "bench" / "results.md"))
    destination.write_text(text + "\n\n```json\n" + json.dumps(results, indent=1) + "\n```\n")


if __name__ == "__main__":
    main()
