"""Online presence: a user is online while one of their sockets is connected."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from service.domain.events import PresenceChanged
from service.notifiers.base import PresenceNotifier
from service.presence.store import PresenceStore
from service.storage.ports import UnitOfWork

log = logging.getLogger(__name__)

REFRESH_SECONDS = 10.0


class PresenceService:
    def __init__(
        self,
        store: PresenceStore,
        uow_factory: Callable[[], UnitOfWork],
        notifier: PresenceNotifier,
    ) -> None:
        self._store = store
        self._uow_factory = uow_factory
        self._notifier = notifier

    async def connected(self, user_id: int, sid: str) -> None:
        if await self._store.add(user_id, sid):
            await self._announce(user_id, online=True)

    async def disconnected(self, user_id: int, sid: str) -> None:
        if await self._store.remove(user_id, sid):
            await self._announce(user_id, online=False)

    async def has_room_for(self, user_id: int, cap: int) -> bool:
        """Whether the user holds fewer than `cap` sockets, on every process together."""
        return len(await self._store.sids(user_id)) < cap

    async def online_contacts(self, user_id: int) -> list[int]:
        async with self._uow_factory() as uow:
            contacts = await uow.conversations.contacts(user_id)
        return sorted(await self._store.online(contacts))

    async def maintain(self, every: float = REFRESH_SECONDS) -> None:
        """Forever: renew this process's sockets, announce users lost with other processes."""
        while True:
            try:
                await self._store.refresh()
                for user_id in await self._store.expired():
                    await self._announce(user_id, online=False)
            except Exception:
                log.exception("presence maintenance failed; retrying")
            await asyncio.sleep(every)

    async def _announce(self, user_id: int, *, online: bool) -> None:
        async with self._uow_factory() as uow:
            audience = await uow.conversations.contacts(user_id)
        await self._notifier.presence_changed(PresenceChanged(user_id, online, tuple(audience)))
