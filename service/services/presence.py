"""Online presence: a user is online while one of their sockets is connected."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from service.domain.events import PresenceChanged
from service.outlet.port import EventOutlet
from service.presence.store import PresenceStore
from service.storage.ports import UnitOfWork

log = logging.getLogger(__name__)

REFRESH_SECONDS = 10.0


class PresenceService:
    """Records sockets at once, and tells presence changes in gathered batches.

    Telling each change at once made a reconnect storm of N members of one group
    N announcements to N sockets each (N² frames) and N contacts queries. Changes are
    instead kept until `flush`, every `interval` seconds: then one query finds the
    conversations of everyone who changed, and each distinct set of changes is one
    emit to those conversations' members, the same payload for all.
    """

    def __init__(
        self,
        store: PresenceStore,
        uow_factory: Callable[[], UnitOfWork],
        events: EventOutlet,
        interval: float = 1.0,
    ) -> None:
        self._store = store
        self._uow_factory = uow_factory
        self._events = events
        self.interval = interval
        self._pending: dict[int, bool] = {}  # user id -> online, the latest change

    async def connected(self, user_id: int, sid: str) -> None:
        if await self._store.add(user_id, sid):
            self._pending[user_id] = True

    async def disconnected(self, user_id: int, sid: str) -> None:
        if await self._store.remove(user_id, sid):
            self._pending[user_id] = False

    async def claim(self, user_id: int, sid: str, cap: int) -> bool:
        """Hold a place for a connecting socket if the user holds fewer than `cap`
        sockets and claims on every process together; `connected` or `disconnected`
        then settles it."""
        return await self._store.claim(user_id, sid, cap)

    async def online_contacts(self, user_id: int) -> list[int]:
        async with self._uow_factory() as uow:
            contacts = await uow.queries.contacts(user_id)
        return sorted(await self._store.online(contacts))

    async def flush(self) -> None:
        """Tell every change since the last flush to the members of the conversations of
        those who changed."""
        changes, self._pending = self._pending, {}
        if not changes:
            return
        async with self._uow_factory() as uow:
            memberships = await uow.queries.memberships(changes)
        audiences: dict[tuple[tuple[int, ...], tuple[int, ...]], list[int]] = {}
        for conversation_id, members in sorted(memberships.items()):
            online = tuple(sorted(u for u in members if changes[u]))
            offline = tuple(sorted(u for u in members if not changes[u]))
            audiences.setdefault((online, offline), []).append(conversation_id)
        for (online, offline), conversation_ids in audiences.items():
            await self._events.publish(PresenceChanged(online, offline, tuple(conversation_ids)))

    async def run(self) -> None:
        """Forever: flush every `interval`; renew this process's sockets every
        REFRESH_SECONDS and count users lost with other processes as gone offline."""
        loop = asyncio.get_running_loop()
        next_refresh = loop.time()
        while True:
            try:
                if loop.time() >= next_refresh:
                    next_refresh = loop.time() + REFRESH_SECONDS
                    await self._store.refresh()
                    for user_id in await self._store.expired():
                        self._pending[user_id] = False
                await self.flush()
            except Exception:
                log.exception("presence maintenance failed; retrying")
            await asyncio.sleep(self.interval)
