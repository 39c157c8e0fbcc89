"""The service as users run it: `python -m service` in its own process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.live import GENEROUS_LIMITS, JWT_SECRET

_LISTENING = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")


@contextmanager
def service_process(database_url: str, log: Path, **env: str) -> Iterator[str]:
    """Start the service on a free loopback port (CHAT_PORT=0); yields its base URL.

    The process logs to `log`, which a failing test can show.
    """
    with installed_service(sys.executable, Path.cwd(), database_url, log, env) as url:
        yield url


@contextmanager
def installed_service(
    python: str, cwd: Path, database_url: str, log: Path, env: dict[str, str]
) -> Iterator[str]:
    """`python -m service` of the installation `python` belongs to, run in `cwd`."""
    environment = {
        **os.environ,
        "CHAT_DATABASE_URL": database_url,
        "CHAT_JWT_SECRET": JWT_SECRET,
        "CHAT_HOST": "127.0.0.1",
        "CHAT_PORT": "0",
        "CHAT_LOG_LEVEL": "INFO",
        **{f"CHAT_{name.upper()}": str(value) for name, value in GENEROUS_LIMITS.items()},
        **env,
    }
    with log.open("w") as sink:
        process = subprocess.Popen(
            [python, "-m", "service"], env=environment, stdout=sink, stderr=sink, cwd=cwd
        )
    try:
        yield _wait_until_listening(process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_listening(process: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = _LISTENING.search(log.read_text())
        if found:
            return found.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"the service did not start listening:\n{log.read_text()}")
