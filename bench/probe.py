"""What the load client reads of a server process while it runs: CPU seconds and
resident memory from /proc, and ours' SQL statement count (bench/ours_server.py)."""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Sample:
    cpu_s: float
    rss_bytes: int
    statements: int


class Probe:
    def __init__(self, pid: int, statements_file: Path | None) -> None:
        self.pid = pid
        self._statements: mmap.mmap | None = None
        if statements_file is not None:
            with statements_file.open("rb") as handle:
                self._statements = mmap.mmap(handle.fileno(), 8, access=mmap.ACCESS_READ)

    def sample(self) -> Sample:
        # Fields 14 and 15 of /proc/pid/stat are user and system time in clock ticks;
        # the command name (field 2) may hold spaces, so count from its closing paren.
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / _TICKS
        rss = 0
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
        statements = struct.unpack_from("<Q", self._statements)[0] if self._statements else 0
        return Sample(cpu, rss, statements)
