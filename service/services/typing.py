"""Typing indicators: a `start` lasts a few seconds unless the client renews it."""

from __future__ import annotations

import asyncio
import math

from service.background import BackgroundTasks
from service.domain.events import TypingChanged, TypingState
from service.outlet.port import EventOutlet


class TypingService:
    """Who types where, in this process; an expired `start` becomes a `stop`.

    Authorization is the caller's: the socket layer only lets sockets that joined a
    conversation's room (participants, checked on join) type in it.
    """

    def __init__(self, events: EventOutlet, ttl_seconds: float) -> None:
        self._events = events
        self.ttl_seconds = ttl_seconds
        self._expiries: dict[tuple[int, int], asyncio.TimerHandle] = {}
        self._stopping = BackgroundTasks()

    async def update(self, user_id: int, conversation_id: int, state: TypingState) -> int:
        """Record a start (renewing it) or a stop; the seconds a start lasts."""
        key = (conversation_id, user_id)
        running = self._expiries.pop(key, None)
        if running is not None:
            running.cancel()
        if state is TypingState.START:
            loop = asyncio.get_running_loop()
            self._expiries[key] = loop.call_later(self.ttl_seconds, self._expire, key)
            if running is None:
                await self._notify(key, TypingState.START)
        elif running is not None:
            await self._notify(key, TypingState.STOP)
        return math.ceil(self.ttl_seconds)

    def _expire(self, key: tuple[int, int]) -> None:
        self._expiries.pop(key, None)
        # A failed emit is logged by the outlet.
        self._stopping.start(self._notify(key, TypingState.STOP))

    async def _notify(self, key: tuple[int, int], state: TypingState) -> None:
        conversation_id, user_id = key
        await self._events.publish(TypingChanged(conversation_id, user_id, state))
