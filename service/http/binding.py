"""The request layer the generated HTTP binder (generated/http_server.py) calls for
every operation: who calls (the spec's `security`), its parameters within the spec's
bounds, its body as the generated model, and its answer. Operations receive typed
values and return typed replies; refusals are raised (`DomainError`, `HttpProblem`)
and become problems in service/http/problems.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from service.auth.tokens import TokenClaims, bearer_token
from service.domain.errors import NotFound, Unauthorized
from service.http.inputs import (
    path_id,
    path_text,
    query_datetime,
    query_int,
    query_text,
    read_body,
)
from service.services.container import Services

__all__ = [
    "AUTHENTICATOR",
    "MAX_BODY_BYTES",
    "Authenticator",
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
    "path_text",
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


class Authenticator(Protocol):
    async def authenticate(self, token: object) -> TokenClaims:
        """The claims of a bearer token whose user exists; `Unauthorized` otherwise."""


# What the request layer reads of the app's lifespan state: who checks tokens, and how
# large a body may be. The service puts its own there; the mock (tools/mock) its own.
AUTHENTICATOR = "authenticator"
MAX_BODY_BYTES = "max_body_bytes"


async def caller(request: Request) -> Caller:
    """The bearer token's user (`security: bearerAuth`); `Unauthorized` otherwise."""
    token = bearer_token(request.headers.get("authorization", ""))
    if token is None:
        raise Unauthorized("Missing or invalid bearer token.")
    authenticator: Authenticator = getattr(request.state, AUTHENTICATOR)
    return Caller(request, await authenticator.authenticate(token))


async def body(request: Request, model: type[Model]) -> Model:
    limit: int = getattr(request.state, MAX_BODY_BYTES)
    return await read_body(request, model, limit)


def path_choice(request: Request, name: str, choices: tuple[Choice, ...]) -> Choice:
    """A path parameter the spec enumerates; anything else names no resource."""
    raw = request.path_params[name]
    for choice in choices:
        if raw == choice:
            return choice
    raise NotFound(f"No {name} named {raw[:64]}.")


def json(reply: Reply[int, BaseModel]) -> Response:
    # A field nobody set is left out, not sent as null: the spec's optional fields may be
    # absent, and not every one of them may be null (the mock answers from examples
    # written before a field existed).
    body = reply.body.model_dump_json(exclude_unset=True)
    return Response(body, status_code=reply.status, media_type="application/json")


def no_content() -> Response:
    return Response(status_code=204)


def document(found: Document, media_type: str) -> Response:
    return Response(found.content, media_type=media_type)
