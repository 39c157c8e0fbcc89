"""Pydantic validation errors as domain input errors, for every entry point."""

from __future__ import annotations

from pydantic import ValidationError

from service.domain.errors import InputError

MAX_ERRORS = 100


def input_errors(prefix: str, exc: ValidationError) -> tuple[InputError, ...]:
    """`body.title`-style locations with pydantic's messages, at most MAX_ERRORS."""
    return tuple(
        InputError(".".join([prefix, *(str(p) for p in e["loc"])])[:256], e["msg"][:1024])
        for e in exc.errors(include_url=False)[:MAX_ERRORS]
    )
