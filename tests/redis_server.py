"""A throwaway redis-server on a free loopback port, for the scale-out tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.databases import require


@contextmanager
def redis_server() -> Iterator[str]:
    """Start redis-server (no persistence) and yield its redis:// URL."""
    binary = shutil.which("redis-server")
    require(binary is not None, "redis-server is not installed: scale-out tests are skipped")
    assert binary is not None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_without_faketime(),
    )
    try:
        _wait_for_pong(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def _without_faketime() -> dict[str, str]:
    # `make test-future` preloads libfaketime to move our clock; redis-server's allocator
    # cannot start under it, and Redis's clock is not what that run tests.
    return {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME")}


def _wait_for_pong(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("redis-server exited at startup")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("redis-server did not answer PING")
