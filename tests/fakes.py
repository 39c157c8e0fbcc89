"""In-memory fakes of our own event outlet port and the clock. The outlet subclasses the
ABC, so a changed port breaks it. Storage has none: tests run on the real repositories and
read model over a SQLite file (or PostgreSQL), so nothing re-implements SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.domain.events import DomainEvent
from service.outlet.port import EventOutlet


class RecordingOutlet(EventOutlet):
    """Records every event a service publishes, in order."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    async def publish(self, event: DomainEvent) -> None:
        self.events.append(event)

    def of(self, *kinds: type) -> list[DomainEvent]:
        """The recorded events of these kinds, in order."""
        return [event for event in self.events if isinstance(event, kinds)]


class TickingClock:
    """A clock that moves one second per reading, so orderings are strict."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now
