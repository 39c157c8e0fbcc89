"""Which sockets cannot keep up, measured on each client rather than on the server.

A socket whose queue reaches the bound is watched. It is closed as too slow when, after
`seconds`, its queue is still at the bound and no shorter than when the watch began:
its client does not drain what it is sent (a stalled reader, a link too thin for the
traffic). A socket that drains keeps its place, even above the bound, for another
window; one that falls below the bound is no longer watched. When the whole process is
behind, every writer still gets its turn and drains, so no healthy socket is blamed:
the senders are held back instead (service/realtime/outbound.py).

The watch is a loop of its own that runs only while something is watched, so a close
never happens inside a broadcast, and an idle server does nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from service.background import BackgroundTasks

log = logging.getLogger(__name__)


@dataclass
class _Watched:
    since: float
    queued: int


class SlowSocketWatch:
    def __init__(
        self,
        bound: int,
        seconds: float,
        queued: Callable[[str], int | None],
        close: Callable[[list[str]], Awaitable[None]],
        run: bool = True,
    ) -> None:
        self.bound = bound
        self.seconds = seconds
        self._queued = queued  # a socket's queue length, None once it is gone
        self._close = close
        self._watched: dict[str, _Watched] = {}
        self._tasks = BackgroundTasks()
        self._running = not run  # False: the caller drives check() itself

    def note(self, eio_sid: str, queued: int) -> None:
        """`eio_sid` has `queued` packets waiting, at least the bound."""
        if eio_sid in self._watched:
            return
        self._watched[eio_sid] = _Watched(asyncio.get_running_loop().time(), queued)
        if not self._running:
            self._running = True
            self._tasks.start(self._run())

    async def _run(self) -> None:
        try:
            while self._watched:
                await asyncio.sleep(self.seconds / 4)
                too_slow = self.check(asyncio.get_running_loop().time())
                if too_slow:
                    log.warning("closing %d sockets whose clients do not drain", len(too_slow))
                    await self._close(too_slow)
        finally:
            self._running = False

    def check(self, now: float) -> list[str]:
        """Forget sockets no longer behind; the ones to close as too slow."""
        too_slow = []
        for eio_sid, watched in list(self._watched.items()):
            queued = self._queued(eio_sid)
            if queued is None or queued < self.bound:
                del self._watched[eio_sid]
            elif now - watched.since < self.seconds:
                continue
            elif queued >= watched.queued:
                del self._watched[eio_sid]
                too_slow.append(eio_sid)
            else:  # drained some, though still behind: another window
                self._watched[eio_sid] = _Watched(now, queued)
        return too_slow
