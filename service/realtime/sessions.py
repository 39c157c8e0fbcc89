"""What a process keeps of a socket's session for resuming: its user and the
conversations it had joined, for as long as its log keeps positions after the socket
closed. A resumed socket takes the session over, so the conversation rooms come back
without the client naming them (which no client could be trusted to do anyway)."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Session:
    user_id: int
    joined: set[int] = field(default_factory=set)


class ResumeSessions:
    def __init__(self, keep_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.keep_seconds = keep_seconds
        self.clock = clock
        self._sessions: dict[str, _Session] = {}
        self._held: dict[str, str] = {}  # sid -> its session id
        self._holder: dict[str, str] = {}  # session id -> the sid holding it
        # Sessions whose socket closed, oldest first, with when it closed.
        self._released: OrderedDict[str, float] = OrderedDict()

    def open(self, sid: str, user_id: int) -> str:
        """A new session for a socket; its id."""
        self._forget()
        session_id = secrets.token_urlsafe(16)  # 22 characters, as the spec's pattern
        self._sessions[session_id] = _Session(user_id)
        self._hold(sid, session_id)
        return session_id

    def joined_in(self, user_id: int, session_id: str) -> set[int] | None:
        """The conversations a kept session of `user_id` had joined; None when there
        is no such session (expired, another process's, or another user's)."""
        self._forget()
        session = self._sessions.get(session_id)
        if session is None or session.user_id != user_id:
            return None
        return set(session.joined)

    def take(self, sid: str, session_id: str) -> None:
        """Hand a kept session (`joined_in` found it) to a new socket."""
        # Its old socket may not have closed yet (the client saw the drop first): it
        # no longer speaks for the session.
        old_sid = self._holder.get(session_id)
        if old_sid is not None:
            del self._held[old_sid]
        self._released.pop(session_id, None)
        self._hold(sid, session_id)

    def _hold(self, sid: str, session_id: str) -> None:
        self._held[sid] = session_id
        self._holder[session_id] = sid

    def joined(self, sid: str, conversation_id: int) -> None:
        session = self._session_of(sid)
        if session is not None:
            session.joined.add(conversation_id)

    def left(self, sid: str, conversation_id: int) -> None:
        session = self._session_of(sid)
        if session is not None:
            session.joined.discard(conversation_id)

    def closed(self, sid: str) -> None:
        session_id = self._held.pop(sid, None)
        if session_id is not None:
            del self._holder[session_id]
            self._released[session_id] = self.clock()

    def _session_of(self, sid: str) -> _Session | None:
        session_id = self._held.get(sid)
        return None if session_id is None else self._sessions.get(session_id)

    def _forget(self) -> None:
        oldest = self.clock() - self.keep_seconds
        while self._released:
            session_id, closed_at = next(iter(self._released.items()))
            if closed_at >= oldest:
                break
            del self._released[session_id]
            self._sessions.pop(session_id, None)
