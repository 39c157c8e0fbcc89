"""Throwaway PostgreSQL and Redis servers on loopback, for ours in the production shape.

Both come from Debian's packages (`.ci/run` installs them); PostgreSQL runs as the
`postgres` user when the benchmark runs as root, as initdb requires.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(command)]


@contextmanager
def postgres(pinned: list[str]) -> Iterator[str]:
    """A PostgreSQL cluster of its own; yields an asyncpg URL of an empty database."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    bin_dir, port = found[-1], free_port()
    data = tempfile.mkdtemp(prefix="bench-pg-")
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    run = subprocess.run
    run(
        _as_postgres([f"{bin_dir}/initdb", "-D", data, "-A", "trust", "-U", "chat"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = f"-k {data} -p {port} -c listen_addresses=127.0.0.1 -c fsync=on"
    start = [
        *pinned,
        f"{bin_dir}/pg_ctl",
        "-D",
        data,
        "-w",
        "-l",
        f"{data}/log",
        "-o",
        f"'{options}'",
        "start",
    ]
    run(_as_postgres(start), check=True, stdout=subprocess.DEVNULL)
    try:
        run(
            [f"{bin_dir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "chat", "bench"],
            check=True,
        )
        yield f"postgresql+asyncpg://chat@127.0.0.1:{port}/bench"
    finally:
        run(
            _as_postgres([f"{bin_dir}/pg_ctl", "-D", data, "-m", "fast", "stop"]),
            stdout=subprocess.DEVNULL,
            check=False,
        )
        shutil.rmtree(data, ignore_errors=True)


@contextmanager
def redis(pinned: list[str]) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [
            *pinned,
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)
