"""The generated server interfaces bind the code to the contract: every operation of
the spec is served by a method of the implementation, and an implementation that lacks
one or types one differently from the spec does not build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generated.http_server import OPERATIONS, HttpOperations, http_routes
from generated.socket_server import (
    CLIENT_EVENTS,
    SERVER_EVENTS,
    ClientEvents,
    ServerEvents,
    client_event_handlers,
)
from service.http.operations import Operations
from service.realtime.namespace import ChatNamespace
from tests.schemas import load
from tools.specs import follow, operations

ROOT = Path(__file__).resolve().parents[2]
MYPY = Path(sys.executable).with_name("mypy")


def test_every_http_operation_of_the_spec_is_bound_to_its_method() -> None:
    spec = [
        (walked.operation["operationId"], walked.method, walked.path)
        for walked in operations(load("openapi.yaml"))
    ]
    served = [
        (route.endpoint.__name__, method, route.path)
        for route in http_routes(Operations())
        for method in sorted((route.methods or set()) - {"HEAD"})
    ]

    assert list(OPERATIONS) == spec
    assert served == spec
    assert sorted(HttpOperations.__abstractmethods__) == sorted(o[0] for o in spec)


def _socket_events(action: str) -> list[str]:
    """The spec's event names of an action: every client event, and every server event
    sent to a room (not connect_error, which refuses the namespace itself)."""
    spec = load("asyncapi.yaml")
    names: list[str] = []
    for operation in spec["operations"].values():
        in_a_room = "parameters" in follow(spec, operation["channel"])
        if operation["action"] == action and (action == "receive" or in_a_room):
            names += [follow(spec, ref)["name"] for ref in operation["messages"]]
    return list(dict.fromkeys(names))


def test_every_socket_event_of_the_spec_is_bound_or_has_its_emitter() -> None:
    namespace = ChatNamespace("/", services=None)  # type: ignore[arg-type]
    received = _socket_events("receive")
    sent = _socket_events("send")

    assert list(CLIENT_EVENTS) == received
    assert list(client_event_handlers(namespace)) == received
    assert sorted(ClientEvents.__abstractmethods__) == sorted(received)
    assert list(SERVER_EVENTS) == sent
    assert all(callable(getattr(ServerEvents, name, None)) for name in sent)
    assert len(received) >= 5
    assert len(sent) >= 11


def test_an_implementation_missing_an_operation_cannot_be_built() -> None:
    partial = type("Partial", (HttpOperations,), {"get_health": Operations.get_health})

    with pytest.raises(TypeError, match="abstract"):
        partial()
    assert "send_message" in getattr(partial, "__abstractmethods__", ())
    handlers = type("Handlers", (ClientEvents,), {"typing": ChatNamespace.typing})
    with pytest.raises(TypeError, match="abstract"):
        handlers()


MISTYPED = """
from typing import Literal

from generated import models
from generated.socket_server import ServerEvents, user_room
from service.http.binding import Caller, Reply
from service.http.operations import Operations
from service.realtime.binding import SocketCall
from service.realtime.namespace import ChatNamespace


class Mistyped(Operations):
    # The spec's conversation_id is an integer and the answer a Message with 200 or 201.
    async def send_message(
        self, call: Caller, conversation_id: str, body: models.SendMessageRequest
    ) -> Reply[Literal[200, 201], models.Message]:
        raise NotImplementedError

    async def get_me(self, call: Caller) -> Reply[Literal[202], models.User]:
        raise NotImplementedError

    async def logout(self, call: Caller, everywhere: bool) -> None:
        raise NotImplementedError


Mistyped()


class MistypedHandlers(ChatNamespace):
    # The spec's join_conversation takes a ConversationRef and answers RoomAck | AckError.
    async def join_conversation(
        self, socket: SocketCall, payload: models.TypingRequest
    ) -> models.RoomAck:
        raise NotImplementedError

    async def typing(self, socket: SocketCall, payload: models.TypingRequest) -> models.RoomAck:
        raise NotImplementedError


async def misaddressed(events: ServerEvents, message: models.MessageCreatedEvent) -> None:
    # message_created goes to a conversation's room, never to a user's.
    await events.message_created(message, user_room(1))
    await events.message_created(message, "conversation:1")
"""


def test_an_implementation_or_emit_typed_unlike_the_spec_fails_mypy(tmp_path: Path) -> None:
    (tmp_path / "mistyped.py").write_text(MISTYPED)
    done = subprocess.run(
        [str(MYPY), "--strict", "--no-incremental", "--follow-imports=silent", "mistyped.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"MYPYPATH": str(ROOT), "PATH": ""},
        check=False,
    )

    assert done.returncode == 1, done.stdout
    assert 'Argument 2 of "send_message" is incompatible with supertype' in done.stdout
    assert 'Return type "Coroutine[Any, Any, Reply[Literal[202], User]]" of "get_me"' in done.stdout
    assert 'Signature of "logout" incompatible with supertype' in done.stdout
    assert 'Argument 2 of "join_conversation" is incompatible with supertype' in done.stdout
    assert 'Return type "Coroutine[Any, Any, RoomAck]" of "typing"' in done.stdout
    assert '"message_created" of "ServerEvents" has incompatible type "UserRoom"' in done.stdout
    assert '"message_created" of "ServerEvents" has incompatible type "str"' in done.stdout
