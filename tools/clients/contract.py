"""What the client generators need of the two specs, read once.

The generators emit code from these records only, so the TypeScript and the Python
client agree on every event, acknowledgement and operation by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.specs import SHARED, SPECS, follow, operations, pointer, success_response
from tools.specs import load as load_yaml


class SpecShapeError(ValueError):
    """The specs use a construct the generators do not know; fail loudly, never guess."""


@dataclass(frozen=True)
class Field:
    name: str
    schema: dict[str, Any]
    required: bool
    description: str


@dataclass(frozen=True)
class ServerEvent:
    """A Socket.IO event the server emits: an AsyncAPI `send` operation's message."""

    name: str
    payload: str
    summary: str
    # `x-ephemeral: true`: sent without a position (asyncapi.yaml, "Resuming").
    ephemeral: bool = False


@dataclass(frozen=True)
class ClientEvent:
    """A Socket.IO event the client emits, and the acknowledgements it may get back."""

    name: str
    payload: str
    fields: tuple[Field, ...]
    success: str
    summary: str


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    summary: str
    path_params: tuple[Field, ...]
    query_params: tuple[Field, ...]
    body: str | None
    body_fields: tuple[Field, ...]
    response: str | None
    # A success answered with a non-JSON document (YAML): the client returns its text.
    text_response: bool


@dataclass(frozen=True)
class Contract:
    version: str
    server_events: tuple[ServerEvent, ...]
    client_events: tuple[ClientEvent, ...]
    connect_error: str
    handshake_auth: str
    ack_error: str
    operations: tuple[Operation, ...]
    schemas: dict[str, dict[str, Any]]


def load(specs: Path = SPECS) -> Contract:
    schemas: dict[str, dict[str, Any]] = load_yaml(specs / "schemas.yaml")["$defs"]
    asyncapi = load_yaml(specs / "asyncapi.yaml")
    openapi = load_yaml(specs / "openapi.yaml")
    if asyncapi["info"]["version"] != openapi["info"]["version"]:
        raise SpecShapeError("openapi.yaml and asyncapi.yaml carry different versions")
    server_events, client_events, connect_error, ack_error = _events(asyncapi, schemas)
    server = next(iter(asyncapi["servers"].values()))
    return Contract(
        version=openapi["info"]["version"],
        server_events=server_events,
        client_events=client_events,
        connect_error=connect_error,
        handshake_auth=_resolve(asyncapi, server["x-handshake-auth"]["$ref"]),
        ack_error=ack_error,
        operations=_operations(openapi, schemas),
        schemas=schemas,
    )


def _resolve(document: dict[str, Any], ref: str) -> str:
    """The shared schema name a (chain of) reference(s) ends at."""
    while not ref.startswith(SHARED):
        target = pointer(document, ref)
        ref = target["$ref"] if "$ref" in target else target["payload"]["$ref"]
    return ref.removeprefix(SHARED)


def _fields(schema: dict[str, Any], schemas: dict[str, dict[str, Any]]) -> tuple[Field, ...]:
    required = set(schema.get("required", ()))
    return tuple(
        Field(name, _with_enum(prop, schemas), name in required, prop.get("description", ""))
        for name, prop in schema.get("properties", {}).items()
    )


def _with_enum(prop: dict[str, Any], schemas: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A reference to a shared enum, carrying its values: a caller may pass the plain
    string (`"group"`) as well as the generated enum's member."""
    ref = prop.get("$ref", "")
    target = schemas.get(ref.rpartition("#/$defs/")[2]) if "#/$defs/" in ref else None
    if target is not None and "enum" in target:
        return {**prop, "enum": target["enum"]}
    return prop


def _events(
    asyncapi: dict[str, Any], schemas: dict[str, dict[str, Any]]
) -> tuple[tuple[ServerEvent, ...], tuple[ClientEvent, ...], str, str]:
    server: dict[str, ServerEvent] = {}
    client: list[ClientEvent] = []
    connect_error = ack_error = ""
    for operation in asyncapi["operations"].values():
        for ref in operation["messages"]:
            message = follow(asyncapi, ref)
            payload = _resolve(asyncapi, message["payload"]["$ref"])
            name, summary = message["name"], message.get("summary", "")
            if operation["action"] == "send":
                if name == "connect_error":
                    # Socket.IO reserves it: it reaches clients as an Error, not an event.
                    connect_error = payload
                elif (
                    server.setdefault(
                        name, ServerEvent(name, payload, summary, bool(message.get("x-ephemeral")))
                    ).payload
                    != payload
                ):
                    raise SpecShapeError(f"server event {name} has two payloads")
                continue
            replies = [
                _resolve(asyncapi, reply["$ref"]) for reply in operation["reply"]["messages"]
            ]
            failures = [r for r in replies if schemas[r]["properties"]["ok"].get("const") is False]
            successes = [r for r in replies if r not in failures]
            if len(failures) != 1 or len(successes) != 1:
                raise SpecShapeError(f"{name}: expected one success and one error reply")
            ack_error = failures[0]
            fields = _fields(schemas[payload], schemas)
            client.append(ClientEvent(name, payload, fields, successes[0], summary))
    return tuple(server.values()), tuple(client), connect_error, ack_error


def _operations(
    openapi: dict[str, Any], schemas: dict[str, dict[str, Any]]
) -> tuple[Operation, ...]:
    found = []
    for walked in operations(openapi):
        operation = walked.operation
        body = None
        if "requestBody" in operation:
            body = _resolve(
                openapi,
                operation["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            )
        content: dict[str, Any] = success_response(openapi, operation)[1].get("content", {})
        json_content = content.get("application/json")
        found.append(
            Operation(
                operation_id=operation["operationId"],
                method=walked.method,
                path=walked.path,
                summary=operation.get("summary", ""),
                path_params=_params(walked.parameters, "path"),
                query_params=_params(walked.parameters, "query"),
                body=body,
                body_fields=_fields(schemas[body], schemas) if body else (),
                # The JSON success body's shared schema; a non-JSON one (YAML) is text.
                response=None
                if json_content is None
                else _resolve(openapi, json_content["schema"]["$ref"]),
                text_response=bool(content) and json_content is None,
            )
        )
    return tuple(found)


def _params(params: tuple[dict[str, Any], ...], where: str) -> tuple[Field, ...]:
    return tuple(
        Field(p["name"], p["schema"], p.get("required", False), p.get("description", ""))
        for p in params
        if p["in"] == where
    )
