"""The request layer the generated Socket.IO binder (generated/socket_server.py) calls
for every client event: its payload read strictly as the generated model, and its
acknowledgement as JSON. Refusals are raised as `DomainError` and become `AckError`
in service/realtime/namespace.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from service.domain.errors import InvalidRequest
from service.validation import input_errors, integral_floats_as_ints

Payload = TypeVar("Payload", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class SocketCall:
    """A client event's socket and the user it was opened by."""

    sid: str
    user_id: int


def payload(args: tuple[Any, ...], model: type[Payload]) -> Payload:
    if len(args) != 1 or not isinstance(args[0], dict):
        raise InvalidRequest("The event takes one JSON object as its only argument.")
    try:
        # Through JSON, so strict mode reads enums and the like as a JSON client sent them.
        raw = json.dumps(integral_floats_as_ints(args[0]), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRequest("The payload is not a JSON object (it holds bytes or NaN).") from exc
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise InvalidRequest(
            f"The payload does not match {model.__name__}.", input_errors("payload", exc)
        ) from exc


def acknowledge(answer: BaseModel) -> dict[str, Any]:
    acknowledged: dict[str, Any] = answer.model_dump(mode="json")
    return acknowledged
