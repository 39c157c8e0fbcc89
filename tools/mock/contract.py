"""The specs as the mock reads them: the operations and events, and the example of
everything the server answers or emits. What clients send is read by the service's
own generated binders."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

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
    # The success body's shared schema (`./schemas.yaml#/$defs/Message`), if JSON.
    model: str
    # Every declared answer by status, for `Prefer: code=<status>`: (media type, example).
    answers: dict[int, tuple[str | None, Any]]


@dataclass(frozen=True)
class ClientEvent:
    name: str
    payload: dict[str, Any]
    success: Any
    success_model: str


class Contract:
    def __init__(self, specs: Path) -> None:
        self.openapi = load(specs / "openapi.yaml")
        self.asyncapi = load(specs / "asyncapi.yaml")
        self.defs: dict[str, Any] = load(specs / "schemas.yaml")["$defs"]

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
                    model=self._model(operation),
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

    def _model(self, operation: dict[str, Any]) -> str:
        content = success_response(self.openapi, operation)[1].get("content", {})
        schema = content.get("application/json", {}).get("schema", {})
        return str(schema.get("$ref", ""))

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
            success_model = success["payload"]["$ref"].removeprefix(SHARED)
            events[message["name"]] = ClientEvent(
                name=message["name"],
                payload=message["payload"],
                success=success["examples"][0]["payload"],
                success_model=success_model,
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
