"""The contract documents, loaded once, and validators built from them."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from generated import models

SPECS = Path(__file__).resolve().parent.parent / "specs"


class _StrictLoader(yaml.SafeLoader):
    """YAML that refuses a key given twice: PyYAML keeps the last one silently, while
    the AsyncAPI parser rejects the document."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [key.value for key, _ in node.value]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise AssertionError(f"keys {repeated} repeated at {node.start_mark}")
        return super().construct_mapping(node, deep)


@cache
def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.load((SPECS / name).read_text(), Loader=_StrictLoader)
    return document


_ERROR_CODE = {"$ref": "#/$defs/ErrorCode"}


def closed(node: Any) -> Any:
    """The schemas as the tests read them: every object closed to fields it does not
    declare, every error code one of `ErrorCode`. The published schemas are open to
    additive change (a client generated today keeps working when a field or a code is
    added); the tests hold the server itself to exactly what this version declares."""
    if isinstance(node, list):
        return [closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: closed(value) for key, value in node.items()}
    if result.get("type") == "object" and "properties" in result:
        result.setdefault("additionalProperties", False)
    if _ERROR_CODE in result.get("anyOf", []):
        del result["anyOf"]
        result |= _ERROR_CODE
    return result


@cache
def _registry() -> Registry[Any]:
    resource = Resource.from_contents(
        closed(load("schemas.yaml")), default_specification=DRAFT202012
    )
    registry: Registry[Any] = Registry().with_resource("schemas.yaml", resource)
    return registry


def validator(ref: str) -> jsonschema.Draft202012Validator:
    """A validator for a `./schemas.yaml#/$defs/Name` reference of either spec."""
    target = ref.removeprefix("./")
    return jsonschema.Draft202012Validator(
        {"$ref": target},
        registry=_registry(),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def _resolve_local(document: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    assert isinstance(node, dict)
    return node


def _message(spec: dict[str, Any], ref: str) -> dict[str, Any]:
    """The message an operation's `$ref` names, through its channel's reference."""
    message = _resolve_local(spec, ref)
    if "$ref" in message:
        message = _resolve_local(spec, message["$ref"])
    return message


def _operation_messages(action: str) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(operation name, operation, message) for every message of `action` operations."""
    spec = load("asyncapi.yaml")
    return [
        (name, operation, _message(spec, ref["$ref"]))
        for name, operation in spec["operations"].items()
        if operation["action"] == action
        for ref in operation["messages"]
    ]


@cache
def server_event_payloads() -> dict[str, str]:
    """Server-to-client event name -> the `$ref` of its payload. Only send operations
    count: a client event's name (`typing`) may also name a server event."""
    return {
        message["name"]: message["payload"]["$ref"] for _, _, message in _operation_messages("send")
    }


@cache
def ephemeral_events() -> frozenset[str]:
    """The server events whose messages say `x-ephemeral: true`: sent without a
    position."""
    return frozenset(
        message["name"]
        for _, _, message in _operation_messages("send")
        if message.get("x-ephemeral")
    )


def validate_position(event: str, position: Any) -> None:
    """Raise unless `position` may come with `event`: a `Position`, and not ephemeral."""
    if event in ephemeral_events():
        raise AssertionError(f"{event} is ephemeral, yet came with a position {position!r}")
    validator("./schemas.yaml#/$defs/Position").validate(position)


@cache
def client_event_payloads() -> dict[str, str]:
    """Client-to-server event name -> the `$ref` of its payload."""
    return {
        message["name"]: message["payload"]["$ref"]
        for _, _, message in _operation_messages("receive")
    }


@cache
def send_operations(event: str) -> dict[str, str]:
    """For a server-to-client event: channel key -> the send operation of asyncapi.yaml."""
    return {
        operation["channel"]["$ref"].rsplit("/", 1)[-1]: name
        for name, operation, message in _operation_messages("send")
        if message["name"] == event
    }


@cache
def receive_operations() -> dict[str, str]:
    """Client-to-server event name -> the receive operation that handles it."""
    return {message["name"]: name for name, _, message in _operation_messages("receive")}


def validate_event(event: str, data: Any) -> None:
    """Raise unless `event` is declared in asyncapi.yaml and `data` matches its payload,
    both as the spec's JSON schema and as the generated model (which forbids extras)."""
    refs = server_event_payloads()
    if event not in refs:
        raise AssertionError(f"event {event!r} is not declared in asyncapi.yaml")
    validator(refs[event]).validate(data)
    model = getattr(models, refs[event].rsplit("/", 1)[-1])
    model.model_validate_json(json.dumps(data), strict=True)


def validate_ack(operation: str, data: Any) -> str:
    """Validate an acknowledgement against the reply messages of an operation; the key
    of the one matched (`roomAck`): acknowledgements have no event name."""
    spec = load("asyncapi.yaml")
    errors = []
    for ref in spec["operations"][operation]["reply"]["messages"]:
        message = _message(spec, ref["$ref"])
        try:
            validator(message["payload"]["$ref"]).validate(data)
        except jsonschema.ValidationError as exc:
            errors.append(exc.message)
        else:
            return str(ref["$ref"].rsplit("/", 1)[-1])
    raise AssertionError(f"ack {data!r} matches no reply of {operation}: {errors}")


@cache
def _operations() -> list[tuple[re.Pattern[str], str, dict[str, Any]]]:
    spec = load("openapi.yaml")
    found = []
    for template, item in spec["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$")
        for method, operation in item.items():
            if method != "parameters":
                found.append((pattern, method.upper(), operation))
    return found


def validate_response(method: str, path: str, status: int, media_type: str, body: bytes) -> None:
    """Raise unless openapi.yaml documents this status for the operation and the body matches."""
    spec = load("openapi.yaml")
    matches = [op for pattern, m, op in _operations() if m == method and pattern.match(path)]
    if not matches:
        # Unknown paths and methods must still answer with a problem.
        assert media_type == "application/problem+json", (method, path, status)
        validator("./schemas.yaml#/$defs/Problem").validate(json.loads(body))
        return
    operation = matches[0]
    response = operation["responses"].get(str(status))
    if response is None:
        raise AssertionError(f"{method} {path}: status {status} is not in openapi.yaml")
    if "$ref" in response:
        response = _resolve_local(spec, response["$ref"])
    content = response.get("content")
    if content is None:
        assert body == b"", f"{method} {path}: {status} must have no body"
        return
    assert media_type in content, f"{method} {path}: {media_type} is not documented for {status}"
    schema = content[media_type]["schema"]
    if "$ref" in schema:
        validator(schema["$ref"]).validate(json.loads(body))
