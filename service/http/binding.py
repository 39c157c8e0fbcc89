"""The request layer the generated HTTP binder (generated/http_server.py) calls for
every operation: who calls (the spec's `security`), its parameters within the spec's
bounds, its body as the generated model, and its answer. Operations receive typed
values and return typed replies; refusals are raised (`DomainError`, `HttpProblem`)
and become problems in service/http/problems.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from service.auth.tokens import TokenClaims, bearer_token
from service.domain.errors import NotFound, Unauthorized
from service.http.inputs import (
    path_id,
    query_datetime,
    query_int,
    query_text,
    read_body,
)
from service.services.container import Services

__all__ = [
    "Call",
    "Caller",
    "Document",
    "Reply",
    "body",
    "call",
    "caller",
    "document",
    "json",
    "no_content",
    "path_choice",
    "path_id",
    "query_datetime",
    "query_int",
    "query_text",
]

Status = TypeVar("Status", bound=int, covariant=True)
Body = TypeVar("Body", bound=BaseModel, covariant=True)
Model = TypeVar("Model", bound=BaseModel)
Choice = TypeVar("Choice", bound=str)


@dataclass(frozen=True, slots=True)
class Reply(Generic[Status, Body]):
    """A success answer: one of the statuses the spec declares, and its JSON body."""

    status: Status
    body: Body


@dataclass(frozen=True, slots=True)
class Document:
    """A success answered with a document that is not JSON (the contract's YAML)."""

    content: bytes


@dataclass(frozen=True, slots=True)
class Call:
    """An operation's request, beyond its parameters: the services it may use and the
    client's address (the peer, or what a trusted proxy reports)."""

    request: Request

    @property
    def services(self) -> Services:
        services: Services = self.request.state.services
        return services

    @property
    def address(self) -> str:
        return self.request.client.host if self.request.client else "unknown"


@dataclass(frozen=True, slots=True)
class Caller(Call):
    """A call the spec secures, from an authenticated user."""

    claims: TokenClaims

    @property
    def user_id(self) -> int:
        return self.claims.user_id


def call(request: Request) -> Call:
    return Call(request)


async def caller(request: Request) -> Caller:
    """The bearer token's user (`security: bearerAuth`); `Unauthorized` otherwise."""
    token = bearer_token(request.headers.get("authorization", ""))
    if token is None:
        raise Unauthorized("Missing or invalid bearer token.")
    services: Services = request.state.services
    return Caller(request, await services.users.authenticate(token))


async def body(request: Request, model: type[Model]) -> Model:
    services: Services = request.state.services
    return await read_body(request, model, services.settings.max_body_bytes)


def path_choice(request: Request, name: str, choices: tuple[Choice, ...]) -> Choice:
    """A path parameter the spec enumerates; anything else names no resource."""
    raw = request.path_params[name]
    for choice in choices:
        if raw == choice:
            return choice
    raise NotFound(f"No {name} named {raw[:64]}.")


def json(reply: Reply[int, BaseModel]) -> Response:
    return Response(
        reply.body.model_dump_json(), status_code=reply.status, media_type="application/json"
    )


def no_content() -> Response:
    return Response(status_code=204)


def document(found: Document, media_type: str) -> Response:
    return Response(found.content, media_type=media_type)
