"""The specs as the mock reads them: validators for what clients send, and the example
of everything the server answers or emits."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SHARED = "./schemas.yaml#/$defs/"
METHODS = ("get", "put", "post", "patch", "delete")


def _yaml(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


@dataclass(frozen=True)
class Problem:
    location: str
    message: str


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


@dataclass(frozen=True)
class ClientEvent:
    name: str
    payload: dict[str, Any]
    success: Any
    failure_example: dict[str, Any]


class Contract:
    def __init__(self, specs: Path) -> None:
        self.openapi = _yaml(specs / "openapi.yaml")
        self.asyncapi = _yaml(specs / "asyncapi.yaml")
        self.defs: dict[str, Any] = _yaml(specs / "schemas.yaml")["$defs"]
        resource = Resource.from_contents(
            _yaml(specs / "schemas.yaml"), default_specification=DRAFT202012
        )
        self._registry: Registry[Any] = Registry().with_resource("schemas.yaml", resource)

    def errors(self, schema: dict[str, Any], value: Any, prefix: str) -> list[Problem]:
        """Why `value` does not match `schema` (whose refs point into schemas.yaml)."""
        validator = jsonschema.Draft202012Validator(
            _absolute(schema),
            registry=self._registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        return [
            Problem(".".join([prefix, *map(str, error.absolute_path)]), error.message[:1024])
            for error in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.path)))
        ][:100]

    def _local(self, ref: str) -> Any:
        node: Any = self.openapi
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node

    def _example_of(self, schema: dict[str, Any]) -> Any:
        ref = schema.get("$ref", "")
        if ref.startswith(SHARED):
            return self.defs[ref.removeprefix(SHARED)]["examples"][0]
        return schema.get("examples", [schema.get("example")])[0]

    @cached_property
    def operations(self) -> list[Operation]:
        found = []
        default_security = self.openapi.get("security", [])
        for path, item in self.openapi["paths"].items():
            for method in METHODS:
                if method not in item:
                    continue
                operation = item[method]
                params = tuple(
                    self._local(p["$ref"]) if "$ref" in p else p
                    for p in [*item.get("parameters", []), *operation.get("parameters", [])]
                )
                body = None
                if "requestBody" in operation:
                    body = operation["requestBody"]["content"]["application/json"]["schema"]
                status, media_type, example = self._success(operation)
                found.append(
                    Operation(
                        operation_id=operation["operationId"],
                        method=method.upper(),
                        path=path,
                        secured=bool(operation.get("security", default_security)),
                        params=params,
                        body=body,
                        status=status,
                        media_type=media_type,
                        example=example,
                    )
                )
        return found

    def _success(self, operation: dict[str, Any]) -> tuple[int, str | None, Any]:
        # A created resource's 201 before a replay's 200 (send_message declares both).
        statuses = sorted(operation["responses"], key=lambda status: status != "201")
        for status in statuses:
            response = operation["responses"][status]
            if not status.startswith("2"):
                continue
            if "$ref" in response:
                response = self._local(response["$ref"])
            for media_type, content in response.get("content", {}).items():
                if "example" in content:
                    return int(status), media_type, content["example"]
                if "examples" in content:
                    return (
                        int(status),
                        media_type,
                        next(iter(content["examples"].values()))["value"],
                    )
                return int(status), media_type, self._example_of(content["schema"])
            return int(status), None, None
        raise ValueError(f"{operation['operationId']} declares no success response")

    def _message(self, ref: str) -> dict[str, Any]:
        node: Any = self.asyncapi
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        while "$ref" in node:
            node = self._message(node["$ref"])
        message: dict[str, Any] = node
        return message

    @cached_property
    def client_events(self) -> dict[str, ClientEvent]:
        events = {}
        for operation in self.asyncapi["operations"].values():
            if operation["action"] != "receive":
                continue
            [message] = [self._message(ref["$ref"]) for ref in operation["messages"]]
            replies = [self._message(ref["$ref"]) for ref in operation["reply"]["messages"]]
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
                    message = self._message(ref["$ref"])
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
