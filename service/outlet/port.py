"""The event outlet: the one port through which services announce committed changes,
whatever the transport; and the backpressure a sender asks before changing anything."""

from __future__ import annotations

from abc import ABC, abstractmethod

from service.domain.events import DomainEvent


class EventOutlet(ABC):
    """Where services publish domain events, after their transaction commits."""

    @abstractmethod
    async def publish(self, event: DomainEvent) -> None:
        """Tell everyone the event concerns. Never raises: the change is committed, and
        clients catch up through the HTTP cursors when a delivery fails."""


class Backpressure(ABC):
    """Whether the event outlet can take more: senders ask before they change anything,
    so that a server behind on its deliveries slows or refuses them instead of
    dropping events for the sockets it keeps open."""

    @abstractmethod
    async def admit(self) -> None:
        """Return once the outlet can take another change's events; raise `Overloaded`
        (nothing changed, retry later) when it stays behind for too long."""


class Unhurried(Backpressure):
    """An outlet that is never behind: services wired without a socket layer."""

    async def admit(self) -> None:
        return None
