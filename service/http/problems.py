"""RFC 9457 problem responses and the exception handlers that produce them."""

from __future__ import annotations

import logging
from functools import partial
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from generated import models as dto
from service.domain.errors import DomainError, InvalidInput, Overloaded, placed
from service.dto import field_errors
from service.http.observed import metrics_in
from service.ratelimit import RateLimited

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

_STATUS = {
    "bad_request": 400,
    "validation_error": 422,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "rate_limited": 429,
    "internal_error": 500,
    "unavailable": 503,
}


class HttpProblem(Exception):
    """A transport-level refusal (bad JSON, wrong media type, body too large)."""

    def __init__(
        self,
        code: str,
        detail: str,
        errors: list[dto.FieldError] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.errors = errors
        self.status = status  # None: the code's own status


def problem(
    request: Request,
    code: str,
    detail: str,
    errors: list[dto.FieldError] | None = None,
    status: int | None = None,
) -> Response:
    status = status or _STATUS[code]
    _count(request.scope, code)
    body = dto.Problem(
        type=f"/problems/{code}",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail[:2048],
        instance=request.url.path[:2048],
        code=dto.ErrorCode(code),
        errors=errors,
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(
        body.model_dump_json(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    errors = (
        field_errors(placed(exc, partial(_place, request)))
        if isinstance(exc, InvalidInput)
        else None
    )
    log.info("refused %s %s: %s %s", request.method, request.url.path, exc.code, exc.message)
    response = problem(request, exc.code, exc.message, errors)
    metrics = metrics_in(request.scope)
    if metrics is not None:
        metrics.limited(exc)
    if isinstance(exc, RateLimited):
        response.headers.update(rate_limit_headers(exc))
    elif isinstance(exc, Overloaded):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _place(request: Request, field: str) -> str:
    """Where a service's field was in the request: a path or query parameter of that
    name, else the body."""
    if field in request.path_params:
        return f"path.{field}"
    if field in request.query_params:
        return f"query.{field}"
    return f"body.{field}"


def rate_limit_headers(exc: RateLimited) -> dict[str, str]:
    """Retry-After, and the policy in draft-ietf-httpapi-ratelimit-headers' fields."""
    return {
        "Retry-After": str(exc.retry_after),
        "RateLimit-Policy": f'"{exc.policy}";q={exc.limit};w={exc.window}',
        "RateLimit": f'"{exc.policy}";r=0;t={exc.retry_after}',
    }


async def on_http_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HttpProblem)
    log.info("refused %s %s: %s %s", request.method, request.url.path, exc.code, exc.detail)
    return problem(request, exc.code, exc.detail, exc.errors, exc.status)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return problem(request, "not_found", "No such resource.")
    if exc.status_code == 405:
        allowed = ", ".join(sorted(_allowed_methods(request)))
        response = problem(request, "bad_request", "Method Not Allowed", status=405)
        response.headers["Allow"] = allowed
        return response
    code = "bad_request" if exc.status_code < 500 else "internal_error"
    response = problem(request, code, str(exc.detail), status=exc.status_code)
    response.headers.update(exc.headers or {})
    return response


def _allowed_methods(request: Request) -> set[str]:
    """Every method any route serves on this path: Starlette's own Allow names one route's."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return methods


async def refuse_connection(
    scope: Scope,
    receive: Receive,
    send: Send,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
) -> None:
    """Refuse an HTTP request or a WebSocket handshake before any app sees it: a problem
    response, or a close before accepting (which the server answers with 403)."""
    if scope["type"] == "websocket":
        _count(scope, code)
        await send({"type": "websocket.close", "code": 1008})
        return
    response = problem(Request(scope), code, detail)
    response.headers.update(headers or {})
    await response(scope, receive, send)


def _count(scope: Scope, code: str) -> None:
    metrics = metrics_in(scope)
    if metrics is not None:
        transport = "handshake" if str(scope.get("path", "")).startswith("/socket.io/") else "http"
        metrics.refused(transport, code)
