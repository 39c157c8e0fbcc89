"""What the client raises when the service says no, each carrying the service's answer."""

from __future__ import annotations

from conversations_client import models


class ProblemError(Exception):
    """An HTTP operation answered with an `application/problem+json` error."""

    def __init__(self, problem: models.Problem) -> None:
        super().__init__(f"{problem.status} {problem.code}: {problem.detail or problem.title}")
        self.problem = problem

    @property
    def status(self) -> int:
        return self.problem.status


class AckRefused(Exception):
    """A client event was acknowledged with `AckError`; the server changed nothing."""

    def __init__(self, event: str, error: models.AckErrorDetail) -> None:
        super().__init__(f"{event} refused: {error.code}: {error.message}")
        self.event = event
        self.error = error


class ConnectionRefused(Exception):
    """The server refused the Socket.IO connection (`connect_error`), or could not be
    reached (`refusal` is None then)."""

    def __init__(self, url: str, refusal: models.ConnectError | None, reason: str) -> None:
        super().__init__(f"{url} refused the connection: {reason}")
        self.refusal = refusal
