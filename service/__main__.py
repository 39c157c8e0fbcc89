"""`python -m service`: serve on uvicorn with settings from CHAT_* variables."""

from __future__ import annotations

import gc
import logging
import sys

import uvicorn
from pydantic import ValidationError

from service.app import create_app
from service.http.read_deadlines import with_read_deadlines
from service.settings import Settings, describe

log = logging.getLogger("service")


def main() -> None:
    try:
        settings = Settings()
    except ValidationError as exc:
        # One line an operator can act on, not a traceback.
        print(f"invalid settings: {describe(exc)}", file=sys.stderr)
        sys.exit(2)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.jwt_secret_is_random:
        log.warning(
            "CHAT_JWT_SECRET is not set: using a random secret, so tokens die with "
            "this process and are not shared with other processes"
        )
    app = create_app(settings)
    # The ~120,000 objects of the imported libraries and the app live as long as the
    # process: out of the collector's sight, a full collection under load no longer
    # walks them (32 ms each time; such pauses set the p99 of `make bench`).
    gc.freeze()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        # uvicorn's own proxy handling believes X-Forwarded-For from 127.0.0.1 unless
        # told otherwise; the app applies CHAT_FORWARDED_ALLOW_IPS itself.
        proxy_headers=False,
        http=with_read_deadlines(settings.header_timeout_seconds, settings.body_timeout_seconds),
        ws=settings.ws_implementation,
        # Compressing each small JSON frame again for every recipient cost a sixth of
        # the server's time in a 500-member group (py-spy); the frames are small.
        ws_per_message_deflate=False,
    )


if __name__ == "__main__":
    main()
