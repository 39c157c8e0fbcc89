"""Reading request input strictly against the generated models and the spec's bounds."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect, Request

from generated import models as dto
from service.domain.model import MAX_ID
from service.dto import field_errors
from service.http.problems import HttpProblem
from service.validation import MAX_DEPTH, input_errors, integral_as_int, nests_deeper_than

Model = TypeVar("Model", bound=BaseModel)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# ASCII digits only: str.isdigit() and int() also take "³" or "٣", which no client means.
_DECIMAL = re.compile(r"[0-9]{1,20}")


async def read_body(request: Request, model: type[Model], max_bytes: int) -> Model:
    """The JSON body as `model`: 415, 413, 400 or 422 problems otherwise."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise HttpProblem("unsupported_media_type", "Send the body as application/json.")
    declared = request.headers.get("content-length")
    if declared is not None and _DECIMAL.fullmatch(declared) and int(declared) > max_bytes:
        raise HttpProblem("payload_too_large", f"The request body exceeds {max_bytes} bytes.")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise HttpProblem(
                    "payload_too_large", f"The request body exceeds {max_bytes} bytes."
                )
            chunks.append(chunk)
    except ClientDisconnect as exc:
        raise HttpProblem("bad_request", "The client disconnected.") from exc
    raw = _strict_json(b"".join(chunks))
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise HttpProblem("bad_request", "The request body is not valid JSON.") from exc
        raise HttpProblem(
            "validation_error",
            f"The request body does not match {model.__name__}.",
            field_errors(input_errors("body", exc)),
        ) from exc


_TOO_DEEP = f"must not nest deeper than {MAX_DEPTH} levels"


def _strict_json(raw: bytes) -> bytes:
    """The body with `5.0` rewritten as `5` (`integral_as_int`); a 400 problem when it is
    not strict JSON (Python's parser also refuses NaN and Infinity here, which pydantic's
    would accept), a 422 when it nests deeper than MAX_DEPTH.
    """
    document, rewritten = _parse(raw)
    return json.dumps(document).encode() if rewritten else raw


def _parse(raw: bytes) -> tuple[Any, bool]:
    rewritten = False

    def parse_float(text: str) -> float | int:
        nonlocal rewritten
        value = integral_as_int(float(text))
        rewritten = rewritten or isinstance(value, int)
        return value

    def refuse_constant(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    try:
        document = json.loads(raw, parse_float=parse_float, parse_constant=refuse_constant)
    except RecursionError as exc:
        raise _invalid("body", _TOO_DEEP) from exc
    except ValueError as exc:
        raise HttpProblem("bad_request", "The request body is not valid JSON.") from exc
    if nests_deeper_than(raw, document):
        raise _invalid("body", _TOO_DEEP)
    return document, rewritten


def _invalid(location: str, message: str) -> HttpProblem:
    return HttpProblem(
        "validation_error",
        f"{location} {message}.",
        [dto.FieldError(location=location, message=message)],
    )


def _integer(location: str, raw: str, minimum: int, maximum: int) -> int:
    if not _DECIMAL.fullmatch(raw.lstrip("-")):
        raise _invalid(location, "must be an integer")
    value = int(raw)
    if not minimum <= value <= maximum:
        raise _invalid(location, f"must be between {minimum} and {maximum}")
    return value


def path_id(request: Request, name: str, minimum: int = 1, maximum: int = MAX_ID) -> int:
    return _integer(f"path.{name}", request.path_params[name], minimum, maximum)


def query_int(request: Request, name: str, minimum: int, maximum: int) -> int | None:
    raw = request.query_params.get(name)
    return None if raw is None else _integer(f"query.{name}", raw, minimum, maximum)


def query_limit(request: Request) -> int:
    limit = query_int(request, "limit", 1, MAX_LIMIT)
    return DEFAULT_LIMIT if limit is None else limit


def query_text(
    request: Request, name: str, min_length: int, max_length: int, pattern: str | None = None
) -> str | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    return _text(f"query.{name}", raw, min_length, max_length, pattern)


def path_text(
    request: Request, name: str, min_length: int, max_length: int, pattern: str | None = None
) -> str:
    return _text(f"path.{name}", request.path_params[name], min_length, max_length, pattern)


def _text(location: str, raw: str, min_length: int, max_length: int, pattern: str | None) -> str:
    if not min_length <= len(raw) <= max_length:
        raise _invalid(location, f"must have {min_length} to {max_length} characters")
    if "\x00" in raw:
        raise _invalid(location, "must not contain NUL")
    # JSON Schema's patterns search, as re.search does; the spec's are anchored.
    if pattern is not None and re.search(pattern, raw) is None:
        raise _invalid(location, f"must match {pattern}")
    return raw


def query_datetime(request: Request, name: str) -> datetime | None:
    raw = query_text(request, name, 1, 64)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError as exc:
        raise _invalid(f"query.{name}", "must be an RFC 3339 date-time") from exc
    if value.tzinfo is None:
        raise _invalid(f"query.{name}", "must carry a UTC offset")
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00+01:00 is before the first UTC instant
        raise _invalid(f"query.{name}", "must be within years 1 to 9999 in UTC") from exc
