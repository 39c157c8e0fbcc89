"""Pydantic validation errors as domain input errors, for every entry point."""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import ValidationError

from service.domain.errors import InputError
from service.domain.model import MAX_ID

MAX_ERRORS = 100
# An id exactly as the service writes one: no sign, spaces, underscores, leading zeros
# or non-ASCII digits (all of which int() would take).
_CANONICAL_ID = re.compile(r"[1-9][0-9]{0,15}")
# No request or event of the contract nests more than a few levels; a bound far above
# that keeps recursive code (parsers, validators, loggers) away from Python's limit.
MAX_DEPTH = 32


def input_errors(prefix: str, exc: ValidationError) -> tuple[InputError, ...]:
    """`body.title`-style locations with pydantic's messages, at most MAX_ERRORS."""
    return tuple(
        InputError(".".join([prefix, *(str(p) for p in e["loc"])])[:256], e["msg"][:1024])
        for e in exc.errors(include_url=False)[:MAX_ERRORS]
    )


def integral_as_int(value: float) -> float | int:
    """5.0 as 5: JSON Schema counts it an integer, strict pydantic does not.

    Strict mode stays on so that "5" or true are never taken for integers. Floats beyond
    64 bits stay floats (and fail as integers) rather than become huge ints.
    """
    if math.isfinite(value) and value.is_integer() and abs(value) <= 2**63:
        return int(value)
    return value


def integral_floats_as_ints(value: Any) -> Any:
    """`value` with `integral_as_int` applied to every float, at any depth."""
    if isinstance(value, float):
        return integral_as_int(value)
    if isinstance(value, dict):
        return {key: integral_floats_as_ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [integral_floats_as_ints(item) for item in value]
    return value


def nesting_depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply lists and objects nest in `value` (a scalar is 0), without recursion.

    Stops descending one level past `limit`: how much deeper does not matter.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            depth += 1
            deepest = max(deepest, depth)
            if depth <= limit:
                stack.extend((child, depth) for child in item)
    return deepest


def nests_deeper_than(encoded: str | bytes, value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether `value`, parsed from `encoded`, nests deeper than `limit`.

    Nesting needs brackets: text with few of them is not walked at all.
    """
    if isinstance(encoded, str):
        brackets = encoded.count("[") + encoded.count("{")
    else:
        brackets = encoded.count(b"[") + encoded.count(b"{")
    if brackets <= limit:
        return False
    return nesting_depth(value, limit) > limit


def canonical_id(text: str) -> int | None:
    """The id `text` spells as the service writes ids, within 1..MAX_ID; else None."""
    if not _CANONICAL_ID.fullmatch(text) or int(text) > MAX_ID:
        return None
    return int(text)
