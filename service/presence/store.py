"""The presence port, and its in-process adapter for a single-process service."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable


class PresenceStore(ABC):
    """The connected sockets of each user, across every process of the service.

    A user is online while at least one of their sockets is connected. Socket ids
    are those of the Socket.IO namespace, unique across processes.
    """

    @abstractmethod
    async def claim(self, user_id: int, sid: str, cap: int) -> bool:
        """Hold one of the user's `cap` places for a connecting socket, atomically across
        processes; False when their sockets and claims already fill them. `add` turns
        the claim into the socket, `remove` gives it back; an unused claim lapses."""

    @abstractmethod
    async def add(self, user_id: int, sid: str) -> bool:
        """Record a connected socket; True when it is the user's first (they came online)."""

    @abstractmethod
    async def remove(self, user_id: int, sid: str) -> bool:
        """Forget a socket; True when it was the user's last (they went offline)."""

    @abstractmethod
    async def sids(self, user_id: int) -> list[str]:
        """The user's connected sockets, in any process."""

    @abstractmethod
    async def online(self, user_ids: Iterable[int]) -> set[int]:
        """Those of `user_ids` with at least one connected socket."""

    @abstractmethod
    async def refresh(self) -> None:
        """Prove this process's sockets are still alive (for stores shared by processes)."""

    @abstractmethod
    async def expired(self) -> list[int]:
        """Users whose every socket belonged to processes that stopped answering.

        Each is returned once, by one process, which announces them offline.
        """

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""


class InProcessPresenceStore(PresenceStore):
    """Presence for a single process: all sockets are here, so nothing can expire."""

    def __init__(self) -> None:
        self._sockets: dict[int, set[str]] = {}
        self._claims: dict[int, set[str]] = {}

    async def claim(self, user_id: int, sid: str, cap: int) -> bool:
        # No await between the count and the claim: atomic in one event loop. Claims
        # and sockets never share a sid (`add` turns one into the other).
        held = len(self._claims.get(user_id, ())) + len(self._sockets.get(user_id, ()))
        if held >= cap:
            return False
        self._claims.setdefault(user_id, set()).add(sid)
        return True

    def _unclaim(self, user_id: int, sid: str) -> None:
        claims = self._claims.get(user_id)
        if claims is not None:
            claims.discard(sid)
            if not claims:
                del self._claims[user_id]

    async def add(self, user_id: int, sid: str) -> bool:
        self._unclaim(user_id, sid)
        sockets = self._sockets.setdefault(user_id, set())
        first = not sockets
        sockets.add(sid)
        return first

    async def remove(self, user_id: int, sid: str) -> bool:
        self._unclaim(user_id, sid)
        sockets = self._sockets.get(user_id)
        if sockets is None or sid not in sockets:
            return False
        sockets.discard(sid)
        if sockets:
            return False
        del self._sockets[user_id]
        return True

    async def sids(self, user_id: int) -> list[str]:
        return sorted(self._sockets.get(user_id, ()))

    async def online(self, user_ids: Iterable[int]) -> set[int]:
        return {user_id for user_id in user_ids if user_id in self._sockets}

    async def refresh(self) -> None:
        pass  # every socket is in this process, alive as long as it is

    async def expired(self) -> list[int]:
        return []

    async def close(self) -> None:
        pass
