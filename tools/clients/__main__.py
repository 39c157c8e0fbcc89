"""`python -m tools.clients ROOT`: write the spec-derived sources of both clients.

The TypeScript HTTP types (openapi-typescript), the TypeScript schema types
(json-schema-to-typescript) and the Python models (datamodel-codegen) come from
maintained generators the Makefile runs; this writes what nothing maintained does.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tools.clients.contract import load
from tools.clients.python import http_py, socket_py
from tools.clients.typescript import events_ts


def main(root: Path) -> None:
    contract = load()
    outputs = {
        root / "typescript/src/events.ts": events_ts(contract),
        root / "python/conversations_client/http.py": http_py(contract),
        root / "python/conversations_client/socket.py": socket_py(contract),
    }
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
