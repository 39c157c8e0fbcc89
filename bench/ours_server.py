"""`python -m service` as the benchmark runs it: the same server, plus a count of the
SQL statements it runs, kept in a file the load client maps (bench/probe.py), so
"statements per send" is read from the live server, not estimated.
Usage: python -m bench.ours_server <counter-file>   (settings from CHAT_* as usual)
"""

from __future__ import annotations

import mmap
import struct
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from service.__main__ import main

counter_file = Path(sys.argv[1])
counter_file.write_bytes(bytes(8))
with counter_file.open("r+b") as handle:
    shared = mmap.mmap(handle.fileno(), 8)
statements = 0


@event.listens_for(Engine, "before_cursor_execute")
def count(*_args: Any) -> None:
    global statements
    statements += 1
    struct.pack_into("<Q", shared, 0, statements)


if __name__ == "__main__":
    sys.argv = sys.argv[:1]
    main()
