"""What Optic does not judge in openapi.yaml: meaning. A changed operation or response
description may change what a status means (0.2.0's `404` became "the URL's resource
only"), which no schema shows; the gate reads it as breaking unless the CHANGELOG entry
says, line by line, that it is wording only (`WORDING_ONLY`): a reviewer reads that
claim beside the diff, and a meaning change can no longer hide among typo fixes that
taught reviewers to ignore the **Breaking** mark. Also removed operations and
responses, renamed operationIds (generated clients' method names), changed security
requirements and schemes, and parameters narrowed for the clients that send them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tools.contract_diff.schemas import Change, compare_input
from tools.specs import follow, operations

# A CHANGELOG line `- Wording only: `POST /auth/login`, `GET /me 404` ...` names the
# operations (and `operation status` responses) whose descriptions changed in wording
# and not in meaning.
WORDING_ONLY = re.compile(r"^\s*-\s*Wording only\b(?P<names>.*)$", re.M)
_NAMED = re.compile(r"`((?:GET|PUT|POST|PATCH|DELETE|HEAD|OPTIONS) [^`]+)`")


def reworded(entry: str | None) -> set[str]:
    """The operations and responses a CHANGELOG entry says changed in wording only."""
    if entry is None:
        return set()
    return {name for line in WORDING_ONLY.finditer(entry) for name in _NAMED.findall(line["names"])}


def _operations(openapi: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{o.method} {o.path}": o.operation for o in operations(openapi)}


def compare_operations(
    old: dict[str, Any], new: dict[str, Any], wording_only: set[str] | None = None
) -> Iterator[Change]:
    wording_only = wording_only or set()
    yield from _security_schemes("openapi.yaml", old, new)
    before, after = _operations(old), _operations(new)
    parameters_before = {f"{o.method} {o.path}": o.parameters for o in operations(old)}
    parameters_after = {f"{o.method} {o.path}": o.parameters for o in operations(new)}
    default_old, default_new = old.get("security"), new.get("security")
    for name in sorted(before.keys() | after.keys()):
        if name not in after:
            yield Change(name, "operation removed", breaking=True)
            continue
        if name not in before:
            yield Change(name, "operation added", breaking=False)
            continue
        was, now = before[name], after[name]
        if was.get("operationId") != now.get("operationId"):
            # Generated clients name their methods after it.
            yield Change(name, "operationId renamed", breaking=True)
        if was.get("description") != now.get("description"):
            yield _description(name, "description", wording_only)
        yield from _parameters(name, parameters_before[name], parameters_after[name])
        if was.get("security", default_old) != now.get("security", default_new):
            yield Change(name, "security requirement changed", breaking=True)
        old_responses, new_responses = was.get("responses", {}), now.get("responses", {})
        for status in sorted(old_responses.keys() | new_responses.keys()):
            where = f"{name} {status}"
            if status not in new_responses:
                yield Change(where, "declared response removed", breaking=True)
            elif status not in old_responses:
                yield Change(where, "response declared", breaking=False)
            elif follow(old, old_responses[status]).get("description") != follow(
                new, new_responses[status]
            ).get("description"):
                yield _description(where, "response description", wording_only)


def _description(where: str, what: str, wording_only: set[str]) -> Change:
    if where in wording_only:
        return Change(where, f"{what} reworded (wording only, says the CHANGELOG)", False)
    return Change(where, f"{what} changed: its meaning may have changed", breaking=True)


def _parameters(
    name: str, before: tuple[dict[str, Any], ...], after: tuple[dict[str, Any], ...]
) -> Iterator[Change]:
    """Parameters are what clients send: narrowing one refuses calls made today."""
    old = {(p["in"], p["name"]): p for p in before}
    new = {(p["in"], p["name"]): p for p in after}
    for key in sorted(old.keys() | new.keys()):
        where = f"{name} {key[0]} parameter {key[1]}"
        if key not in new:
            # A path parameter cannot go alone; a query one clients send would be
            # ignored, or refused: either way their call means something else now.
            yield Change(where, "parameter removed", breaking=True)
        elif key not in old:
            required = bool(new[key].get("required"))
            yield Change(where, "parameter added", breaking=required)
        else:
            was, now = old[key], new[key]
            if now.get("required") and not was.get("required"):
                yield Change(where, "parameter now required", breaking=True)
            yield from compare_input(where, was.get("schema", {}), now.get("schema", {}))
            if was.get("description") != now.get("description"):
                yield Change(where, "parameter description changed (documentation)", False)


def _security_schemes(document: str, old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    """A client built for one scheme (a Bearer header) is refused under another."""
    before = old.get("components", {}).get("securitySchemes", {})
    after = new.get("components", {}).get("securitySchemes", {})
    for scheme in sorted(before.keys() | after.keys()):
        where = f"{document} securitySchemes {scheme}"
        if scheme not in after:
            yield Change(where, "security scheme removed", breaking=True)
        elif scheme not in before:
            yield Change(where, "security scheme added", breaking=False)
        else:
            meaning = {k: v for k, v in before[scheme].items() if k != "description"}
            now = {k: v for k, v in after[scheme].items() if k != "description"}
            if meaning != now:
                yield Change(where, "security scheme changed", breaking=True)
            elif before[scheme] != after[scheme]:
                yield Change(where, "security scheme description changed", breaking=False)


def compare_security_schemes(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    """asyncapi.yaml's schemes (the handshake's), as openapi.yaml's are compared."""
    yield from _security_schemes("asyncapi.yaml", old, new)
