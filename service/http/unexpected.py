"""The last resort for errors nobody handled: a problem response, and a usable connection.

Starlette's ServerErrorMiddleware answers 500 and then re-raises, so uvicorn drops the
keep-alive connection without saying `Connection: close`, and a client's next request
on it fails. This middleware sits inside it and answers without re-raising.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.http.problems import problem

log = logging.getLogger(__name__)


class UnexpectedErrorMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception:
            if started:  # too late for another response: let the server close
                raise
            request = Request(scope)
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            response = problem(request, "internal_error", "An unexpected error occurred.")
            await response(scope, receive, send)
