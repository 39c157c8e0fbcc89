"""Reading the contract documents, shared by the tools (client generators, mock,
breaking-change gate): loading, following local references, and walking operations."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SPECS = Path(__file__).resolve().parents[1] / "specs"
SHARED = "./schemas.yaml#/$defs/"
METHODS = ("get", "put", "post", "patch", "delete")


class DuplicateKey(ValueError):
    """A mapping of a contract document names one key twice."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping: YAML lets the last
    one win without a word, so an edit could be silently undone by an older copy."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise DuplicateKey(
                    f"{mark.name}:{mark.line + 1}: key {key!r} is given twice in one mapping"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(  # a SafeLoader: no arbitrary objects
        path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader
    )
    return document


def pointer(document: dict[str, Any], ref: str) -> Any:
    """The node a local reference (`#/a/b`) names."""
    if not ref.startswith("#/"):
        raise ValueError(f"not a local reference: {ref}")
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def follow(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The node itself, or what its chain of local `$ref`s ends at."""
    while isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        node = pointer(document, node["$ref"])
    return node


def shared(node: dict[str, Any]) -> dict[str, Any]:
    """The node itself, or the shared schema (schemas.yaml) its `$ref` names."""
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(SHARED):
        found: dict[str, Any] = load(SPECS / "schemas.yaml")["$defs"][ref.removeprefix(SHARED)]
        return found
    return node


@dataclass(frozen=True)
class OpenApiOperation:
    method: str  # upper case
    path: str
    operation: dict[str, Any]
    parameters: tuple[dict[str, Any], ...]  # path item's and operation's, resolved


def operations(openapi: dict[str, Any]) -> Iterator[OpenApiOperation]:
    for path, item in openapi["paths"].items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                declared = [*item.get("parameters", []), *operation.get("parameters", [])]
                parameters = tuple(follow(openapi, p) for p in declared)
                yield OpenApiOperation(method.upper(), path, operation, parameters)


def success_response(
    openapi: dict[str, Any], operation: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """The status and (resolved) response of an operation's success: a created
    resource's 201 before a replay's 200 (send_message declares both)."""
    statuses = sorted(operation["responses"], key=lambda status: status != "201")
    for status in statuses:
        if status.startswith("2"):
            return int(status), follow(openapi, operation["responses"][status])
    raise ValueError(f"{operation['operationId']} declares no success response")
