"""Client-to-server events fuzzed from their asyncapi.yaml payload schemas.

Malformed payloads (wrong types, missing or extra properties, out-of-range values, wrong
arity, arbitrary JSON and bytes) must each get `AckError` with `validation_error`;
schema-valid payloads must never get `validation_error`. After every example the same
socket still joins a real conversation: the connection stays healthy.

Hypothesis drives synchronous test functions, so the server and the socket live on an
event loop in a background thread and each example submits a coroutine to it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.live import SocketUser, connected, create_group, live_server, register
from tests.schemas import client_event_payloads, load, receive_operations, validator

T = TypeVar("T")
EVENTS = sorted(receive_operations())
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=10,
)


def _payload_schema(event: str) -> tuple[str, dict[str, Any]]:
    """The `$ref` and the schema of the payload of client event `event`."""
    ref = client_event_payloads()[event]
    return ref, _definition(ref)


def _definition(ref: str) -> dict[str, Any]:
    found: dict[str, Any] = load("schemas.yaml")["$defs"][ref.rsplit("/", 1)[-1]]
    return found


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    return _definition(schema["$ref"]) if "$ref" in schema else schema


def _wrong_type(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    schema = _resolved(schema)
    if "enum" in schema:
        allowed = set(schema["enum"])
        return st.text(max_size=8).filter(lambda text: text not in allowed) | st.integers()
    kind = schema.get("type")
    wrong = {
        "integer": st.text(max_size=5) | st.booleans() | st.none() | st.lists(st.integers()),
        "string": st.integers() | st.booleans() | st.none() | st.lists(st.text()),
    }
    return wrong.get(str(kind), st.none())


def _out_of_range(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    schema = _resolved(schema)
    if schema.get("type") == "string" and "maxLength" in schema:
        too_long = st.just("x" * (schema["maxLength"] + 1))
        return too_long | st.just("") if schema.get("minLength", 0) > 0 else too_long
    if schema.get("type") != "integer":
        return _wrong_type(schema)
    options: list[st.SearchStrategy[Any]] = [st.floats(allow_nan=True).filter(_not_integral)]
    if "minimum" in schema:
        options.append(st.integers(max_value=schema["minimum"] - 1))
    if "maximum" in schema:
        options.append(st.integers(min_value=schema["maximum"] + 1))
    return st.one_of(options)


def _not_integral(value: float) -> bool:
    return not value.is_integer()


def _valid_object(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, prop in schema["properties"].items():
        prop = _resolved(prop)
        if "enum" in prop:
            fields[name] = st.sampled_from(prop["enum"])
            continue
        if prop["type"] == "string":
            assert "pattern" not in prop, "extend _valid_object for patterns"
            size = min(prop.get("maxLength", 64), 64)
            fields[name] = st.text(min_size=prop.get("minLength", 0), max_size=size)
            continue
        assert prop["type"] == "integer", "extend _valid_object for new property types"
        whole = st.integers(prop.get("minimum", -(2**53)), prop.get("maximum", 2**53))
        # JSON Schema counts 7.0 as an integer, so a client may send it.
        fields[name] = whole | whole.filter(lambda n: abs(n) < 2**52).map(float)
    return st.fixed_dictionaries(fields)


def malformed(event: str) -> st.SearchStrategy[tuple[Any, ...]]:
    """Argument tuples for `event` that its payload schema refuses, built from the schema."""
    ref, schema = _payload_schema(event)
    valid = _valid_object(schema)
    properties: dict[str, Any] = schema["properties"]

    def mutations(payload: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        def setting(name: str) -> Callable[[Any], dict[str, Any]]:
            return lambda value: {**payload, name: value}

        options = [st.just({**payload, "unexpected": 1})]
        for name, prop in properties.items():
            if name in schema.get("required", ()):
                options.append(st.just({k: v for k, v in payload.items() if k != name}))
            options.append(_wrong_type(prop).map(setting(name)))
            options.append(_out_of_range(prop).map(setting(name)))
        return st.one_of(options)

    arguments = st.one_of(
        valid.flatmap(mutations).map(lambda p: (p,)),
        JSON.map(lambda value: (value,)),
        st.binary(max_size=16).map(lambda blob: (blob,)),
        st.tuples(valid, JSON),
        st.just(()),
    )
    check = validator(ref)
    # Arbitrary JSON can happen to be valid; only payloads the schema refuses remain.
    return arguments.filter(lambda args: len(args) != 1 or not check.is_valid(args[0]))


def well_formed(event: str) -> st.SearchStrategy[dict[str, Any]]:
    return _valid_object(_payload_schema(event)[1])


class LoopThread:
    """An event loop in a daemon thread, for coroutines started from synchronous code."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        async def cancel_the_rest() -> None:
            current = asyncio.current_task()
            rest = [task for task in asyncio.all_tasks() if task is not current]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        self.run(cancel_the_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@dataclass
class Target:
    loop: LoopThread
    socket: SocketUser
    conversation_id: int

    def call(self, event: str, *args: Any) -> Any:
        return self.loop.run(self.socket.call(event, *args))

    def assert_healthy(self) -> None:
        joined = self.call("join_conversation", {"conversation_id": self.conversation_id})
        assert joined == {"ok": True, "conversation_id": self.conversation_id}
        self.call("leave_conversation", {"conversation_id": self.conversation_id})


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    loop = LoopThread()
    stack = AsyncExitStack()

    async def start() -> Target:
        url = await stack.enter_async_context(
            live_server(tmp_path_factory.mktemp("fuzz") / "chat.db")
        )
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=url))
        alice, bob = await register(http, "alice"), await register(http, "bob")
        cid = await create_group(http, alice, bob, title="Fuzz")
        socket = await stack.enter_async_context(connected(url, alice))
        return Target(loop, socket, cid)

    try:
        yield loop.run(start())
    finally:
        loop.run(stack.aclose())
        loop.close()


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)


@pytest.mark.parametrize("event", EVENTS)
def test_malformed_payloads_get_validation_error_and_the_socket_stays_healthy(
    target: Target, event: str
) -> None:
    @FUZZ
    @given(args=malformed(event))
    def check(args: tuple[Any, ...]) -> None:
        ack = target.call(event, *args)
        assert ack["ok"] is False, (args, ack)
        assert ack["error"]["code"] == "validation_error", (args, ack)
        target.assert_healthy()

    check()


@pytest.mark.parametrize("event", EVENTS)
def test_schema_valid_payloads_are_never_refused_as_malformed(target: Target, event: str) -> None:
    @FUZZ
    @given(payload=well_formed(event))
    def check(payload: dict[str, Any]) -> None:
        ack = target.call(event, payload)
        if ack["ok"]:
            return
        error = ack["error"]
        if error["code"] == "validation_error":
            # Well-formed, but a message id that names no message of the conversation.
            assert [e["location"] for e in error["errors"]] == ["payload.message_id"], ack
        elif event == "refresh_token":
            # A token string that is not a valid token of this user.
            assert error["code"] == "unauthorized", (payload, ack)
        else:
            # A conversation the user is not in, or whose room this socket did not join.
            assert error["code"] == "not_found", (payload, ack)

    check()
