"""The specs as the mock reads them: validators for what clients send, and the example
of everything the server answers or emits."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from service.domain.errors import InputError
from tools.specs import SHARED, follow, load, operations, success_response


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    secured: bool
    params: tuple[dict[str, Any], ...]
    body: dict[str, Any] | None
    status: int
    media_type: str | None
    example: Any
    # Every declared answer by status, for `Prefer: code=<status>`: (media type, example).
    answers: dict[int, tuple[str | None, Any]]


@dataclass(frozen=True)
class ClientEvent:
    name: str
    payload: dict[str, Any]
    success: Any
    failure_example: dict[str, Any]


class Contract:
    def __init__(self, specs: Path) -> None:
        self.openapi = load(specs / "openapi.yaml")
        self.asyncapi = load(specs / "asyncapi.yaml")
        schemas = load(specs / "schemas.yaml")
        self.defs: dict[str, Any] = schemas["$defs"]
        resource = Resource.from_contents(schemas, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource("schemas.yaml", resource)

    def errors(self, schema: dict[str, Any], value: Any, prefix: str) -> list[InputError]:
        """Why `value` does not match `schema` (whose refs point into schemas.yaml)."""
        validator = jsonschema.Draft202012Validator(
            _absolute(schema),
            registry=self._registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        return [
            InputError(".".join([prefix, *map(str, error.absolute_path)]), error.message)
            for error in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.path)))
        ][:100]

    def _example_of(self, schema: dict[str, Any]) -> Any:
        ref = schema.get("$ref", "")
        if ref.startswith(SHARED):
            return self.defs[ref.removeprefix(SHARED)]["examples"][0]
        return schema.get("examples", [schema.get("example")])[0]

    @cached_property
    def operations(self) -> list[Operation]:
        found = []
        default_security = self.openapi.get("security", [])
        for walked in operations(self.openapi):
            operation = walked.operation
            body = None
            if "requestBody" in operation:
                body = operation["requestBody"]["content"]["application/json"]["schema"]
            status, media_type, example = self._success(operation)
            found.append(
                Operation(
                    operation_id=operation["operationId"],
                    method=walked.method,
                    path=walked.path,
                    secured=bool(operation.get("security", default_security)),
                    params=walked.parameters,
                    body=body,
                    status=status,
                    media_type=media_type,
                    example=example,
                    answers=self._answers(operation),
                )
            )
        return found

    def _answers(self, operation: dict[str, Any]) -> dict[int, tuple[str | None, Any]]:
        found: dict[int, tuple[str | None, Any]] = {}
        for status, declared in operation.get("responses", {}).items():
            response = follow(self.openapi, declared)
            found[int(status)] = (None, None)
            for media_type, content in response.get("content", {}).items():
                if "example" in content:
                    example = content["example"]
                elif "examples" in content:
                    example = next(iter(content["examples"].values()))["value"]
                else:
                    example = self._example_of(content["schema"])
                found[int(status)] = (media_type, example)
                break
        return found

    def _success(self, operation: dict[str, Any]) -> tuple[int, str | None, Any]:
        status, response = success_response(self.openapi, operation)
        for media_type, content in response.get("content", {}).items():
            if "example" in content:
                return status, media_type, content["example"]
            if "examples" in content:
                return status, media_type, next(iter(content["examples"].values()))["value"]
            return status, media_type, self._example_of(content["schema"])
        return status, None, None

    @cached_property
    def client_events(self) -> dict[str, ClientEvent]:
        events = {}
        for operation in self.asyncapi["operations"].values():
            if operation["action"] != "receive":
                continue
            [message] = [follow(self.asyncapi, ref) for ref in operation["messages"]]
            replies = [follow(self.asyncapi, ref) for ref in operation["reply"]["messages"]]
            success = next(r for r in replies if r["examples"][0]["payload"].get("ok") is True)
            failure = next(r for r in replies if r["examples"][0]["payload"].get("ok") is False)
            events[message["name"]] = ClientEvent(
                name=message["name"],
                payload=message["payload"],
                success=success["examples"][0]["payload"],
                failure_example=failure["examples"][0]["payload"],
            )
        return events

    @cached_property
    def server_events(self) -> dict[str, Any]:
        """The example payload of every event the server emits, by event name."""
        examples: dict[str, Any] = {}
        for operation in self.asyncapi["operations"].values():
            if operation["action"] == "send":
                for ref in operation["messages"]:
                    message = follow(self.asyncapi, ref)
                    examples.setdefault(message["name"], message["examples"][0]["payload"])
        return examples


def _absolute(schema: Any) -> Any:
    """Refs to ./schemas.yaml resolve against the registry's `schemas.yaml`."""
    if isinstance(schema, dict):
        return {
            key: value.removeprefix("./")
            if key == "$ref" and isinstance(value, str)
            else _absolute(value)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_absolute(item) for item in schema]
    return schema
