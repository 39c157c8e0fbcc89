"""Domain errors. Each maps to one stable error code of the contract."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InputError:
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
