"""What Optic does not judge in openapi.yaml: meaning. A changed operation or response
description may change what a status means (0.2.0's `404` became "the URL's resource
only"), which no schema shows; the gate reads it as breaking and leaves the judgement
to the CHANGELOG entry. Also removed operations and responses, renamed operationIds
(generated clients' method names), and changed security."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tools.contract_diff.schemas import Change
from tools.specs import follow, operations


def _operations(openapi: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{o.method} {o.path}": o.operation for o in operations(openapi)}


def compare_operations(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    before, after = _operations(old), _operations(new)
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
            yield Change(name, "description changed: what it does may have changed", breaking=True)
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
                yield Change(
                    where,
                    "response description changed: its meaning may have changed",
                    breaking=True,
                )
