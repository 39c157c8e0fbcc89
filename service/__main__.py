"""`python -m service`: serve on uvicorn with settings from CHAT_* variables."""

from __future__ import annotations

import logging
import os

import uvicorn

from service.app import create_app
from service.settings import Settings


def main() -> None:
    logging.basicConfig(
        level=os.environ.get("CHAT_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = Settings.from_env(os.environ)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
