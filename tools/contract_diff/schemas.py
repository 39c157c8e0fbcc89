"""One JSON Schema compatibility check for schemas.yaml, shared by both specs.

Whether a change breaks clients depends on which way the schema travels. What clients
send (request bodies, client events, the handshake's auth) breaks them when it is
narrowed: a value they send today is refused tomorrow. What the server sends
(responses, events, acknowledgements) breaks them when it is widened: a value their
generated code does not accept arrives. A schema used both ways may do neither. A
change the check cannot prove safe (a new pattern, a different $ref) is breaking.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from tools.specs import SHARED

Direction = Literal["input", "output"]
LOCAL = "#/$defs/"
# Words that document a schema without constraining a value.
DOCUMENTATION = frozenset({"description", "examples", "title", "$comment"})


@dataclass(frozen=True)
class Change:
    where: str
    message: str
    breaking: bool


def directions(
    openapi: dict[str, Any], asyncapi: dict[str, Any], defs: dict[str, Any]
) -> dict[str, set[Direction]]:
    """Which way each shared schema travels, following $refs between schemas."""
    found: dict[str, set[Direction]] = {}
    for name, direction in [*_openapi_uses(openapi), *_asyncapi_uses(asyncapi)]:
        _mark(name, direction, defs, found)
    return found


def _refs(node: Any, prefix: str) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(prefix):
            yield ref.removeprefix(prefix)
        for value in node.values():
            yield from _refs(value, prefix)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value, prefix)


def _mark(
    name: str, direction: Direction, defs: dict[str, Any], found: dict[str, set[Direction]]
) -> None:
    if name not in defs or direction in found.setdefault(name, set()):
        return
    found[name].add(direction)
    for inner in _refs(defs[name], LOCAL):
        _mark(inner, direction, defs, found)


def _openapi_uses(openapi: dict[str, Any]) -> Iterator[tuple[str, Direction]]:
    for item in openapi.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for name in _refs(operation.get("requestBody", {}), SHARED):
                yield name, "input"
            for name in _refs(operation.get("parameters", []), SHARED):
                yield name, "input"
            for name in _refs(operation.get("responses", {}), SHARED):
                yield name, "output"
    # Shared responses (problems) are what the server sends.
    for name in _refs(openapi.get("components", {}).get("responses", {}), SHARED):
        yield name, "output"


def _asyncapi_uses(asyncapi: dict[str, Any]) -> Iterator[tuple[str, Direction]]:
    messages = asyncapi.get("components", {}).get("messages", {})

    def payloads(refs: list[dict[str, str]]) -> Iterator[str]:
        for ref in refs:
            message = messages.get(ref["$ref"].rsplit("/", 1)[-1], {})
            yield from _refs(message.get("payload", {}), SHARED)

    for operation in asyncapi.get("operations", {}).values():
        inbound = operation.get("action") == "receive"
        for name in payloads(operation.get("messages", [])):
            yield name, "input" if inbound else "output"
        for name in payloads(operation.get("reply", {}).get("messages", [])):
            yield name, "output"
    for server in asyncapi.get("servers", {}).values():
        for name in _refs(server.get("x-handshake-auth", {}), SHARED):
            yield name, "input"
    for name in _refs(asyncapi.get("components", {}).get("schemas", {}), SHARED):
        yield name, "input"


def open_enums(defs: dict[str, Any]) -> set[str]:
    """Enums every use of which also admits any other string (`anyOf: [X, {type:
    string}]`): clients already accept values they do not know, so adding one is safe."""
    uses: dict[str, list[bool]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            choices = node.get("anyOf")
            if isinstance(choices, list):
                fallback = any(c == {"type": "string"} for c in choices)
                for choice in choices:
                    ref = choice.get("$ref", "") if isinstance(choice, dict) else ""
                    if ref.startswith(LOCAL):
                        uses.setdefault(ref.removeprefix(LOCAL), []).append(fallback)
                for choice in choices:
                    if not (isinstance(choice, dict) and "$ref" in choice):
                        walk(choice)
                rest = {k: v for k, v in node.items() if k != "anyOf"}
                walk(rest)
                return
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(LOCAL):
                uses.setdefault(ref.removeprefix(LOCAL), []).append(False)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(defs)
    return {name for name, fallbacks in uses.items() if fallbacks and all(fallbacks)}


def compare(
    old_defs: dict[str, Any], new_defs: dict[str, Any], ways: dict[str, set[Direction]]
) -> list[Change]:
    """Every difference between two versions of schemas.yaml, classified."""
    opened = open_enums(new_defs)
    changes: list[Change] = []
    for name in sorted(old_defs.keys() | new_defs.keys()):
        where = f"schemas.yaml#/$defs/{name}"
        if name not in new_defs:
            changes.append(Change(where, "schema removed", breaking=True))
        elif name not in old_defs:
            changes.append(Change(where, "schema added", breaking=False))
        else:
            used = ways.get(name, set())
            changes.extend(_schema(where, old_defs[name], new_defs[name], used, name in opened))
    return changes


def compare_input(where: str, old: Any, new: Any) -> list[Change]:
    """Differences of a schema only clients send (an HTTP parameter's), classified."""
    return list(_schema(where, old, new, {"input"}, False))


def _types(schema: dict[str, Any]) -> set[str] | None:
    kind = schema.get("type")
    if kind is None:
        return None
    return set(kind) if isinstance(kind, list) else {kind}


def _schema(
    where: str, old: Any, new: Any, ways: set[Direction], open_enum: bool
) -> Iterator[Change]:
    """Compare one schema node, keyword by keyword."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        if old != new:
            yield Change(where, "changed shape", breaking=True)
        return
    inbound, outbound = "input" in ways, "output" in ways

    def narrowed(what: str) -> Change:
        return Change(where, f"{what} (narrower for what clients send)", breaking=inbound)

    def widened(what: str) -> Change:
        return Change(where, f"{what} (wider for what the server sends)", breaking=outbound)

    for word in sorted(old.keys() | new.keys()):
        before, after = old.get(word), new.get(word)
        if before == after:
            continue
        at = f"{where}/{word}"
        if word in DOCUMENTATION:
            yield Change(at, f"{word} changed (documentation)", breaking=False)
        elif word == "type":
            old_types, new_types = _types(old) or set(), _types(new) or set()
            if old_types - new_types:
                yield narrowed(f"type lost {sorted(old_types - new_types)}")
            if new_types - old_types:
                yield widened(f"type gained {sorted(new_types - old_types)}")
        elif word == "enum":
            lost = [v for v in before or [] if v not in (after or [])]
            gained = [v for v in after or [] if v not in (before or [])]
            if lost:
                # Whichever way it travels: clients send it, or their code names it
                # (an exhaustive switch over the old values stops compiling).
                yield Change(at, f"enum lost {lost}", breaking=True)
            if gained:
                change = widened(f"enum gained {gained}")
                yield Change(at, change.message, breaking=change.breaking and not open_enum)
        elif word in ("minLength", "minimum", "minItems", "exclusiveMinimum"):
            yield from _bound(
                at, word, before, after, lower=True, narrowed=narrowed, widened=widened
            )
        elif word in ("maxLength", "maximum", "maxItems", "exclusiveMaximum"):
            yield from _bound(
                at, word, before, after, lower=False, narrowed=narrowed, widened=widened
            )
        elif word == "required":
            added = sorted(set(after or []) - set(before or []))
            removed = sorted(set(before or []) - set(after or []))
            if added:
                yield Change(at, f"newly required {added}", breaking=inbound)
            if removed:
                yield Change(at, f"no longer required {removed}", breaking=outbound)
        elif word == "properties":
            yield from _properties(at, old, new, ways)
        elif word == "additionalProperties":
            if after is False:
                yield narrowed("additional properties now refused")
            elif before is False:
                yield widened("additional properties now allowed")
            else:
                yield from _schema(at, before, after, ways, False)
        elif word == "items":
            yield from _schema(at, before, after, ways, False)
        elif word == "uniqueItems" and after:
            yield narrowed("items must now be unique")
        elif word == "uniqueItems":
            yield widened("items may now repeat")
        else:
            # pattern, format, const, $ref, anyOf, oneOf, allOf, if/then/else, not ...:
            # whether one admits a subset of the other is not decidable here.
            yield Change(at, f"{word} changed", breaking=True)


def _bound(
    at: str, word: str, before: Any, after: Any, *, lower: bool, narrowed: Any, widened: Any
) -> Iterator[Change]:
    if before is None:
        yield narrowed(f"{word} {after} added")
    elif after is None:
        yield widened(f"{word} {before} removed")
    elif (after > before) == lower:
        yield narrowed(f"{word} {before} -> {after}")
    else:
        yield widened(f"{word} {before} -> {after}")


def _properties(
    at: str, old: dict[str, Any], new: dict[str, Any], ways: set[Direction]
) -> Iterator[Change]:
    before, after = old.get("properties", {}), new.get("properties", {})
    for name in sorted(before.keys() | after.keys()):
        where = f"{at}/{name}"
        if name not in after:
            # Clients read it (output), or send it and are refused when the schema is closed.
            breaking = "output" in ways or (
                "input" in ways and new.get("additionalProperties") is False
            )
            yield Change(where, "property removed", breaking=breaking)
        elif name not in before:
            # Optional inputs are additive (required ones are reported by `required`);
            # outputs are additive unless the old schema promised nothing more would come.
            closed = old.get("additionalProperties") is False
            yield Change(where, "property added", breaking="output" in ways and closed)
        else:
            yield from _schema(where, before[name], after[name], ways, False)
