"""Domain errors. Each maps to one stable error code of the contract."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InputError:
    """One refused input. A service names the field in its own terms (`title`); a
    transport places it in the request (`body.title`, `payload.message_id`)."""

    location: str
    message: str


class DomainError(Exception):
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """The input is well-formed but breaks a rule (an unknown user id, say)."""

    code = "validation_error"

    def __init__(self, message: str, errors: tuple[InputError, ...] = ()) -> None:
        super().__init__(message)
        self.errors = errors


class InvalidRequest(InvalidInput):
    """Input a transport refused before any service saw it: its errors are placed in
    the request already (`query.cursor`, `payload.conversation_id`)."""


def placed(error: InvalidInput, where: Callable[[str], str]) -> tuple[InputError, ...]:
    """The errors in the transport's terms: a service's field names placed by `where`."""
    if isinstance(error, InvalidRequest):
        return error.errors
    return tuple(InputError(where(e.location), e.message) for e in error.errors)


class Unauthorized(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class Overloaded(DomainError):
    """The service is behind on delivering events; the request changed nothing and may
    be tried again after `retry_after` seconds."""

    code = "unavailable"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
