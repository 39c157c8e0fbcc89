"""What operators see of HTTP: latency by operation (middleware) and /metrics."""

from __future__ import annotations

import hmac
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.auth.tokens import bearer_token
from service.domain.errors import Unauthorized
from service.metrics import CONTENT_TYPE, Metrics

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def metrics_in(scope: Scope) -> Metrics | None:
    """The app's metrics, from the lifespan state every request's scope carries (absent
    only when an app is called without its lifespan, as some unit tests do)."""
    metrics: Metrics | None = scope.get("state", {}).get("metrics")
    return metrics


def metrics_of(request: Request) -> Metrics:
    metrics = metrics_in(request.scope)
    assert metrics is not None, "routes run inside the app's lifespan"
    return metrics


class RequestMetrics:
    """Times every HTTP request and labels it with its operationId: the name of the
    handler Starlette's router chose (handlers are named after operationIds)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client sees when nothing is sent at all

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, noting_status)
        finally:
            # The router writes the chosen endpoint into this same scope.
            endpoint = scope.get("endpoint")
            operation = getattr(endpoint, "__name__", "unmatched")
            # Any other method is one label: a client naming a new method on each request
            # must not grow a new series each time.
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
            self.metrics.http.labels(operation, method, str(status)).observe(
                time.perf_counter() - started
            )


async def get_metrics(request: Request) -> Response:
    expected = request.state.services.settings.metrics_token
    if expected is not None:
        given = bearer_token(request.headers.get("authorization", "")) or ""
        # Compared in constant time: the scrape token is a password.
        if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
            raise Unauthorized("A scrape token is required.")
    return Response(metrics_of(request).exposition(), media_type=CONTENT_TYPE)


def metrics_routes() -> list[Route]:
    # Not an operation of the contract: Prometheus scrapes it, clients never call it.
    return [Route("/metrics", get_metrics, methods=["GET"])]
