"""`python -m tools.server`: write generated/http_server.py (and socket_server.py)."""

from __future__ import annotations

from tools.server.http import http_server
from tools.server.socket import socket_server
from tools.specs import SPECS, load

GENERATED = SPECS.parent / "generated"


def main() -> None:
    openapi = load(SPECS / "openapi.yaml")
    (GENERATED / "http_server.py").write_text(http_server(openapi), encoding="utf-8")
    asyncapi = load(SPECS / "asyncapi.yaml")
    (GENERATED / "socket_server.py").write_text(socket_server(asyncapi), encoding="utf-8")


if __name__ == "__main__":
    main()
