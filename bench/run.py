"""`make bench`: the same fan-out load against three servers, side by side, one run.

  ours  `python -m service` (SQLite file, every layer: auth, validation, storage,
        generated DTOs, unread counts and conversation updates besides the message)
  bare  python-socketio on uvicorn emitting the posted body: the ceiling
  seed  Flask-SocketIO on eventlet emitting the posted body: the seed design's stack
  seed-product  the same stack doing a send's work as the seed design would (SQLite
        insert, unread count, the three events ours sends): stacks on equal work

Each server runs in its own process, the load client (bench/load.py) in another.
Prints a Markdown table with ratios to the bare ceiling; writes it to bench/results.md.
Environment: BENCH_SOCKETS (200), BENCH_RATE msgs/s (20), BENCH_SECONDS (5), BENCH_BURST (400).
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOCKETS = int(os.environ.get("BENCH_SOCKETS", "200"))
RATE = float(os.environ.get("BENCH_RATE", "20"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
BURST = int(os.environ.get("BENCH_BURST", "400"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _server(kind: str, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    if kind == "ours":
        env = {
            **os.environ,
            "CHAT_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
            "CHAT_JWT_SECRET": "bench-secret-" + "b" * 32,
            "CHAT_PORT": str(port),
            "CHAT_LOG_LEVEL": "WARNING",
            # The load comes from one address and a few users: the abuse bounds would
            # measure themselves, not the service.
            "CHAT_RATE_AUTH": "1000000/minute",
            "CHAT_RATE_SEND": "1000000/minute",
            "CHAT_RATE_SOCKET_EVENTS": "1000000/minute",
            "CHAT_RATE_HANDSHAKES": "1000000/minute",
            "CHAT_MAX_SOCKETS_PER_USER": "1000",
            "CHAT_MAX_CONNECTIONS_PER_ADDRESS": "1000000",
        }
        command = [sys.executable, "-m", "service"]
    else:
        env = dict(os.environ)
        module, _, mode = kind.partition("-")
        command = [sys.executable, "-m", f"bench.{module}_server", str(port), mode or "fanout"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def _wait_ready(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling")
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on {port} did not start")


def measure(kind: str) -> dict[str, Any]:
    port = _free_port()
    with tempfile.TemporaryDirectory() as workdir:
        server = _server(kind, port, Path(workdir))
        try:
            _wait_ready(port)
            load = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.load",
                    f"http://127.0.0.1:{port}",
                    kind,
                    str(SOCKETS),
                    str(RATE),
                    str(SECONDS),
                    str(BURST),
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=300,
                check=True,
            )
        finally:
            server.terminate()
            server.wait(10)
    result: dict[str, Any] = json.loads(load.stdout)
    return result


def table(results: dict[str, dict[str, Any]]) -> str:
    bare = results["bare"]
    lines = [
        f"{SOCKETS} sockets in one room; steady {RATE:g} msgs/s for {SECONDS:g} s "
        f"(latency), then {BURST} posts from 8 concurrent posters (throughput). "
        f"{platform.python_version()}, {os.cpu_count()} cores, all on loopback.",
        "",
        "| server | message_created delivered/s | vs bare | all events delivered/s "
        "| p50 ms | p99 ms | p50 vs bare | lost |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, r in results.items():
        lines.append(
            f"| {kind} | {r['events_per_s']:.0f} | {r['events_per_s'] / bare['events_per_s']:.2f}x "
            f"| {r['all_events_per_s']:.0f} "
            f"| {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['p50_ms'] / bare['p50_ms']:.2f}x "
            f"| {r['steady_lost'] + r['burst_lost']} |"
        )
    ours, seed = results["ours"], results["seed-product"]
    lines += [
        "",
        f"ours/bare message throughput: {ours['events_per_s'] / bare['events_per_s']:.2f}x; "
        f"ours/seed-product message throughput: "
        f"{ours['events_per_s'] / seed['events_per_s']:.2f}x",
    ]
    return "\n".join(lines)


def main() -> None:
    results = {kind: measure(kind) for kind in ("bare", "ours", "seed", "seed-product")}
    report = table(results)
    print(report)
    (ROOT / "bench" / "results.md").write_text(report + "\n")
    print(json.dumps(results, indent=1), file=sys.stderr)


if __name__ == "__main__":
    main()
