"""A mock of the service from the specs' examples, for frontends that start before the
backend runs (`make mock`). Its refusals are built by the service's own code, so they
read exactly like the service's.

HTTP: a request that does not pass the spec (path, query, body, bearer token) gets the
spec'd problem. A small happy path keeps state (`tools/mock/state.py`): accounts log in
with their password only, created conversations and sent messages fill the lists, and
an id nobody created is `not_found`. Every other operation answers its success example;
`Prefer: code=<status>` asks for any declared answer. Socket.IO: a handshake needs a
token (any); client events are validated and answered with their reply examples, or
`not_found` for a conversation nobody created; server events are played after the
operations and events that make the real service emit them, to every socket (there is
one room), from their examples or, for a created message or conversation, from it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import socketio
import yaml
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from generated import models
from service.auth.tokens import bearer_token
from service.domain.errors import DomainError, InputError, InvalidInput
from service.dto import ack_error, field_errors
from service.http.inputs import read_body
from service.http.problems import (
    HttpProblem,
    on_domain_error,
    on_http_exception,
    on_http_problem,
    problem,
)
from service.realtime.packets import ContractPacket, Refusal
from tools.mock.contract import ClientEvent, Contract, Operation
from tools.mock.state import Call, MockState
from tools.specs import SHARED, SPECS

# What the real service emits after each operation and client event, as their
# descriptions in the specs say.
AFTER_OPERATION = {
    "send_message": ("message_created", "conversation_activity"),
    "mark_read": ("message_read", "unread_count_updated"),
    "create_conversation": ("conversation_created",),
    "update_conversation": ("conversation_updated",),
    "add_participants": ("conversation_updated",),
    "remove_participant": ("conversation_updated",),
    "delete_conversation": ("conversation_deleted",),
}
AFTER_EVENT = {"typing": ("typing",), "mark_delivered": ("message_delivered",)}
# Events that carry what the happy path created, rather than their example.
CREATED = frozenset({"message_created", "conversation_created"})
# A socket joining a room hears who is online there.
ON_JOIN = ("presence_changed",)
# The service's default CHAT_MAX_BODY_BYTES.
MAX_BODY_BYTES = 65_536
# Prism's way to ask a mock for one of the declared answers: `Prefer: code=404`.
PREFER_CODE = re.compile(r"\bcode=(?P<code>[1-5][0-9]{2})\b")


def _example(
    status: int, media_type: str | None, example: Any, headers: dict[str, str] | None = None
) -> Response:
    """A declared answer, its example in its media type."""
    if media_type is None:
        return Response(status_code=status, headers=headers)
    encoded = json.dumps(example) if media_type.endswith("json") else yaml.safe_dump(example)
    return Response(encoded, status, headers, media_type=media_type)


def _coerce(schema: dict[str, Any], raw: str) -> Any:
    kinds = schema.get("type")
    if kinds == "integer" or (isinstance(kinds, list) and "integer" in kinds):
        try:
            return int(raw)
        except ValueError:
            return raw
    return raw


class MockApp:
    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.state = MockState(contract)
        # The service's packet decoder: hostile frames are refused as the service does.
        self.sio = socketio.AsyncServer(
            async_mode="asgi", cors_allowed_origins="*", serializer=ContractPacket
        )
        self.sio.on("connect", self.on_connect)
        self.sio.on("*", self.on_event)

    def asgi(self) -> ASGIApp:
        routes = [self._route(operation) for operation in self.contract.operations]
        http = Starlette(
            routes=routes,
            middleware=[
                Middleware(
                    CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"]
                )
            ],
            # The service's own answers to unknown paths and methods.
            exception_handlers={
                HTTPException: on_http_exception,
                HttpProblem: on_http_problem,
                DomainError: on_domain_error,
            },
        )
        app: ASGIApp = socketio.ASGIApp(self.sio, other_asgi_app=http)
        return app

    def _route(self, operation: Operation) -> Route:
        async def answer(request: Request) -> Response:
            refusal, body = await self._check(request, operation)
            if refusal is not None:
                return refusal
            preferred = PREFER_CODE.search(request.headers.get("prefer", ""))
            if preferred is not None:
                return self._preferred(request, operation, int(preferred["code"]))
            status, answer = operation.status, operation.example
            handler = self.state.handlers.get(operation.operation_id)
            if handler is not None:  # DomainError: the service's own problem
                status, answer = await handler(_call(request, body))
            for event in AFTER_OPERATION.get(operation.operation_id, ()):
                played = answer if event in CREATED else self.contract.server_events[event]
                await self.sio.emit(event, played)
            return _example(status, operation.media_type, answer)

        answer.__name__ = operation.operation_id
        # Starlette's path syntax is OpenAPI's: `{conversation_id}` reads the same.
        return Route(operation.path, answer, methods=[operation.method])

    def _preferred(self, request: Request, operation: Operation, status: int) -> Response:
        """The declared answer `Prefer: code=<status>` asks for, with its example (as
        Prism does): how a frontend sees its 404, 409 or 429 handling run."""
        if status not in operation.answers:
            declared = ", ".join(str(code) for code in sorted(operation.answers))
            detail = (
                f"{operation.operation_id} declares no {status} answer; it declares {declared}."
            )
            return problem(request, "bad_request", detail)
        media_type, example = operation.answers[status]
        headers = {"Retry-After": "30"} if status in (429, 503) else None
        return _example(status, media_type, example, headers)

    async def _check(
        self, request: Request, operation: Operation
    ) -> tuple[Response | None, dict[str, Any]]:
        """The spec's refusal of the request, or None and the body as sent."""
        if operation.secured and not bearer_token(request.headers.get("authorization", "")):
            return problem(request, "unauthorized", "Missing or invalid bearer token."), {}
        errors: list[InputError] = []
        body: dict[str, Any] = {}
        for param in operation.params:
            name, where, schema = param["name"], param["in"], param["schema"]
            raw = (
                request.path_params.get(name) if where == "path" else request.query_params.get(name)
            )
            if raw is None:
                if param.get("required"):
                    errors.append(InputError(f"{where}.{name}", "Field required"))
                continue
            errors += self.contract.errors(schema, _coerce(schema, str(raw)), f"{where}.{name}")
        if errors and any(e.location.startswith("path.") for e in errors):
            return problem(request, "not_found", "No such resource."), {}
        if operation.body is not None:
            # Read as the service reads it, into the same generated model: the same
            # 400, 413, 415 and 422 problems, with the same texts, for the same bytes.
            model = getattr(models, operation.body["$ref"].removeprefix(SHARED))
            read = await read_body(request, model, MAX_BODY_BYTES)  # HttpProblem: its answer
            body = read.model_dump(mode="json", exclude_unset=True)
        if errors:
            detail = "The request does not match the spec."
            return problem(request, "validation_error", detail, field_errors(tuple(errors))), {}
        return None, body

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not (isinstance(token, str) and token) and not bearer_token(
            str(environ.get("HTTP_AUTHORIZATION", ""))
        ):
            refusal = self.contract.server_events["connect_error"]
            raise socketio.exceptions.ConnectionRefusedError(refusal["message"], refusal["data"])
        # As the service tells the others when someone comes online.
        await self.sio.emit(
            "presence_changed", self.contract.server_events["presence_changed"], skip_sid=sid
        )

    async def on_event(self, event: str | Refusal, sid: str, *args: Any) -> Any:
        if isinstance(event, Refusal):
            refused = InvalidInput(event.message, (InputError(event.location, event.message),))
            return _acknowledge(refused)
        client_event = self.contract.client_events.get(event)
        if client_event is None:
            return _acknowledge(DomainError(f"Unknown event {event[:64]!r}."))
        payload: Any = args[0] if args else None
        errors = self.contract.errors(client_event.payload, payload, "payload")
        if errors:
            refused = InvalidInput("The payload does not match the spec.", tuple(errors))
            return _acknowledge(refused)
        refused_here = self.state.refusal(payload)
        if refused_here is not None:
            return _acknowledge(refused_here)
        await self._play(client_event, sid)
        if isinstance(client_event.success, dict) and "conversation_id" in client_event.success:
            return {**client_event.success, "conversation_id": payload["conversation_id"]}
        return client_event.success

    async def _play(self, client_event: ClientEvent, sid: str) -> None:
        for event in AFTER_EVENT.get(client_event.name, ()):
            # As the service does: the sender's own socket does not hear it.
            await self.sio.emit(event, self.contract.server_events[event], skip_sid=sid)
        if client_event.name == "join_conversation":
            for event in ON_JOIN:
                await self.sio.emit(event, self.contract.server_events[event], to=sid)


def _call(request: Request, body: dict[str, Any]) -> Call:
    """A request that passed the spec, as the state reads it."""
    return Call(
        token=bearer_token(request.headers.get("authorization", "")) or "",
        path={
            name: int(value)
            for name, value in request.path_params.items()
            if value.isascii() and value.isdigit()
        },
        body=body,
        query=dict(request.query_params),
    )


def _acknowledge(refused: DomainError) -> dict[str, Any]:
    """The service's own `AckError` for a refusal."""
    return ack_error(refused).model_dump(mode="json", exclude_none=True)


def create_mock_app(specs: Path = SPECS) -> ASGIApp:
    return MockApp(Contract(specs)).asgi()
