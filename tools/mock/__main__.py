"""`make mock`: `python -m tools.mock [--host H] [--port P]` (127.0.0.1:4010 by default)."""

from __future__ import annotations

import argparse

import uvicorn

from tools.mock.app import create_mock_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.mock")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4010)
    args = parser.parse_args()
    uvicorn.run(create_mock_app(), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
