"""A mock of the service from the specs' examples, for frontends that start before the
backend runs (`make mock`). It is served by the service's own generated binders
(generated/http_server.py, generated/socket_server.py) and request layers, so every
request and client event is read, and refused, exactly as the service reads it.

HTTP: a small happy path keeps state (`tools/mock/state.py`): accounts log in with
their password only, created conversations and sent messages fill the lists, and an id
nobody created is `not_found`. Every other operation answers its success example;
`Prefer: code=<status>` asks for any declared answer. Any bearer token is accepted.
Socket.IO: a handshake needs a token (any); client events are answered with their reply
examples, or `not_found` for a conversation nobody created; server events are played
after the operations and events that make the real service emit them, to every socket
(there is one room), from their examples or, for a created message or conversation,
from it.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import socketio
import yaml
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from generated import models
from generated.http_server import HttpOperations, http_routes
from generated.socket_server import ClientEvents, client_event_handlers
from service.auth.tokens import TokenClaims, bearer_token
from service.domain.errors import DomainError, InputError, InvalidRequest
from service.dto import ack_error
from service.http import binding
from service.http.binding import Call, Document, Reply
from service.http.problems import (
    HttpProblem,
    on_domain_error,
    on_http_exception,
    on_http_problem,
    problem,
)
from service.realtime.binding import SocketCall
from service.realtime.packets import ContractPacket, Refusal
from tools.mock.contract import Contract, Operation
from tools.mock.state import Call as StateCall
from tools.mock.state import MockState
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
    "edit_message": ("message_updated",),
    "delete_message": ("message_updated",),
    "pin_message": ("pins_updated",),
    "unpin_message": ("pins_updated",),
    "add_reaction": ("reaction_updated",),
    "remove_reaction": ("reaction_updated",),
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
# The mock's tokens never expire.
NEVER = datetime(9999, 12, 31, tzinfo=UTC)


def _after(operation_id: str, body: dict[str, Any]) -> tuple[str, ...]:
    """The events the service sends after an operation with this body."""
    events = AFTER_OPERATION.get(operation_id, ())
    if operation_id == "send_message" and body.get("mentions"):
        events = (*events, "message_mentioned")
    return events


class Preferred(Exception):
    """The answer `Prefer: code=<status>` asked for, ready to send."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def _on_preferred(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Preferred)
    return exc.response


def _example(
    status: int, media_type: str | None, example: Any, headers: dict[str, str] | None = None
) -> Response:
    """A declared answer, its example in its media type."""
    if media_type is None:
        return Response(status_code=status, headers=headers)
    encoded = json.dumps(example) if media_type.endswith("json") else yaml.safe_dump(example)
    return Response(encoded, status, headers, media_type=media_type)


class MockAuthenticator:
    """Any bearer token is someone's: the account it was issued to, else the example
    user (a frontend may hard-code one)."""

    def __init__(self, state: MockState) -> None:
        self._state = state

    async def authenticate(self, token: object) -> TokenClaims:
        user = self._state.caller(str(token))
        return TokenClaims(user_id=user["id"], token_id=str(token)[:64], expires_at=NEVER)


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
        # The service's binder, on an implementation of every operation from the spec.
        answers = {o.operation_id: self._answer(o) for o in contract.operations}
        self.operations: HttpOperations = type("MockOperations", (HttpOperations,), answers)()
        plays = {name: self._acknowledgement(name) for name in contract.client_events}
        self.client_events = client_event_handlers(
            type("MockClientEvents", (ClientEvents,), plays)()
        )

    def asgi(self) -> ASGIApp:
        @contextlib.asynccontextmanager
        async def lifespan(_app: Starlette) -> AsyncIterator[dict[str, Any]]:
            # What the service's request layer reads of every request.
            yield {
                binding.AUTHENTICATOR: MockAuthenticator(self.state),
                binding.MAX_BODY_BYTES: MAX_BODY_BYTES,
            }

        http = Starlette(
            routes=http_routes(self.operations),
            middleware=[
                Middleware(
                    CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"]
                )
            ],
            lifespan=lifespan,
            # The service's own answers to refusals, unknown paths and methods.
            exception_handlers={
                HTTPException: on_http_exception,
                HttpProblem: on_http_problem,
                DomainError: on_domain_error,
                Preferred: _on_preferred,
            },
        )
        app: ASGIApp = socketio.ASGIApp(self.sio, other_asgi_app=http)
        return app

    def _answer(self, operation: Operation) -> Callable[..., Awaitable[Any]]:
        """The method that answers an operation, once the binder has read its inputs."""
        path_names = [p["name"] for p in operation.params if p["in"] == "path"]

        async def answer(_self: HttpOperations, call: Call, *args: Any, **query: Any) -> Any:
            preferred = PREFER_CODE.search(call.request.headers.get("prefer", ""))
            if preferred is not None:
                raise Preferred(self._preferred(call.request, operation, int(preferred["code"])))
            path = dict(zip(path_names, args, strict=False))
            body: dict[str, Any] = {}
            if operation.body is not None:
                sent: BaseModel = args[len(path_names)]
                body = sent.model_dump(mode="json", exclude_unset=True)
            status, answered = operation.status, operation.example
            handler = self.state.handlers.get(operation.operation_id)
            if handler is not None:  # DomainError: the service's own problem
                token = bearer_token(call.request.headers.get("authorization", "")) or ""
                given = {name: value for name, value in query.items() if value is not None}
                status, answered = await handler(StateCall(token, path, body, given))
            for event in _after(operation.operation_id, body):
                played = answered if event in CREATED else self.contract.server_events[event]
                if event == "message_updated" and self.state.changed is not None:
                    played = {"message": self.state.changed}
                if event == "message_mentioned":
                    played = {"message": answered}
                await self.sio.emit(event, played)
            if operation.media_type is None:
                return None
            if not operation.media_type.endswith("json"):
                return Document(yaml.safe_dump(answered).encode())
            model = getattr(models, operation.model.removeprefix(SHARED))
            return Reply(status, model.model_validate(answered))

        answer.__name__ = operation.operation_id
        return answer

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

    def _acknowledgement(self, name: str) -> Callable[..., Awaitable[Any]]:
        """The handler of a client event, once the binder has read its payload."""
        client_event = self.contract.client_events[name]

        async def acknowledge(_self: ClientEvents, socket: SocketCall, payload: Any) -> Any:
            fields = payload.model_dump(mode="json")
            refused = self.state.refusal(fields)
            if refused is not None:
                raise refused
            for event in AFTER_EVENT.get(name, ()):
                # As the service does: the sender's own socket does not hear it.
                await self.sio.emit(event, self.contract.server_events[event], skip_sid=socket.sid)
            if name == "join_conversation":
                for event in ON_JOIN:
                    await self.sio.emit(event, self.contract.server_events[event], to=socket.sid)
            success = dict(client_event.success)
            if "conversation_id" in success:
                success["conversation_id"] = fields["conversation_id"]
            return getattr(models, client_event.success_model).model_validate(success)

        acknowledge.__name__ = name
        return acknowledge

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
        """As the service's namespace: a refused frame, an unknown event and a refusal a
        handler raises all become the service's own `AckError`."""
        try:
            if isinstance(event, Refusal):
                raise InvalidRequest(event.message, (InputError(event.location, event.message),))
            handler = self.client_events.get(event)
            if handler is None:
                raise DomainError(f"Unknown event {event[:64]!r}.")
            return await handler(SocketCall(sid, 1), args)
        except DomainError as refused:
            return ack_error(refused).model_dump(mode="json", exclude_none=True)


def create_mock_app(specs: Path = SPECS) -> ASGIApp:
    return MockApp(Contract(specs)).asgi()
