"""Starting a socket's event stream, fresh or resumed (asyncapi.yaml, "Resuming"): the
session it continues, the conversation rooms that come back with it, what it missed,
and the `sync` that tells the client which of these happened."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from generated import models as dto
from service.realtime.eventlog import Entry, EventLog, NoResume
from service.realtime.fanout import InlineFanoutManager
from service.realtime.sessions import ResumeSessions

SYNC = "sync"


class StreamStarts:
    def __init__(
        self, log: EventLog, sessions: ResumeSessions, manager: InlineFanoutManager
    ) -> None:
        self.log = log
        self.sessions = sessions
        self.manager = manager

    def hold(self, sid: str) -> None:
        """Before the socket enters its rooms: nothing they get may pass `start`."""
        self.manager.hold(sid)

    async def start(
        self,
        sid: str,
        namespace: str,
        user_id: int,
        request: dto.ResumeRequest,
        conversations: set[int],
        enter: Callable[[int], Awaitable[None]],
    ) -> dto.SyncState:
        """Resume the requested session, entering (`enter`) the conversation rooms it
        had joined, or open a new one; then send `sync` and what the socket missed."""
        replay: list[Entry] | NoResume = NoResume.UNKNOWN
        entered: set[int] = set()
        if request.session is not None and request.position is not None:
            joined = self.sessions.joined_in(user_id, request.session)
            offset = self.log.offset_of(request.position)
            if joined is not None and offset is not None:
                entered = joined & conversations  # those it is still in
                for conversation_id in entered:
                    await enter(conversation_id)
                replay = self.log.replay(offset, user_id, conversations, joined)
        resumed = not isinstance(replay, NoResume)
        if resumed:
            assert request.session is not None
            session = request.session
            self.sessions.take(sid, session)
        else:
            session = self.sessions.open(sid, user_id)
            for conversation_id in entered:  # the socket is in them: its session too
                self.sessions.joined(sid, conversation_id)
        through = self.log.head
        entries = replay if isinstance(replay, list) else []
        reason: str | None = None
        if isinstance(replay, NoResume):
            reason = replay.value if request.position is not None else "not_requested"
        sync = dto.SyncState(
            session=session,
            position=self.log.position(through),
            resumed=resumed,
            replayed=len(entries),
            reason=reason,
        )
        first = (SYNC, sync.model_dump(mode="json", exclude_none=True))
        await self.manager.release(sid, namespace, first, entries, through if resumed else None)
        return sync

    def joined(self, sid: str, conversation_id: int) -> None:
        self.sessions.joined(sid, conversation_id)

    def left(self, sid: str, conversation_id: int) -> None:
        self.sessions.left(sid, conversation_id)

    def closed(self, sid: str) -> None:
        self.sessions.closed(sid)
        self.manager.forget(sid)
