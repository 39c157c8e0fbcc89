"""The events a process sent lately, each at a position, so that a socket that was away
can be given exactly what it missed (asyncapi.yaml, "Resuming").

Every event that is not ephemeral gets the next offset of this process's log, with the
rooms it went to; sockets that asked for positions receive `"{epoch}.{offset}"` with
it. A resuming socket names the last position it received, and the log answers with
the entries of its rooms after that offset, in order, each once: Centrifugo's
offset/epoch recovery, over our rooms instead of channels. The epoch is new with every
log, so a position from before a restart, or from another process, is never mistaken
for one of this log's.

A socket's rooms change while it is away: the user is added to a conversation, or
removed from one. Both changes travel through the user's own room
(`conversation_created`, `conversation_deleted`, sent after the emitter has moved the
user's live sockets), so the log reads them there and gives a resuming socket a
conversation's events from its `conversation_created` on, and up to its
`conversation_deleted`, exactly as a socket that stayed would have had them.

Entries are kept for `keep_seconds`, and at most `max_entries` of them (the oldest go
first); a position older than what is kept cannot resume, nor can one that missed more
than `max_replay` events (refetching is then cheaper), and the client refetches.
"""

from __future__ import annotations

import secrets
import string
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from generated.socket_server import conversation_room, members_room, user_room

_EPOCH_ALPHABET = string.ascii_lowercase + string.digits
EPOCH_LENGTH = 12
# What a conversation's membership changes are called in a user's room.
_ADDED = "conversation_created"
_REMOVED = "conversation_deleted"


class NoResume(Enum):
    """Why a position cannot resume (the spec's `SyncReason` values)."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    TOO_MANY = "too_many"


@dataclass(slots=True, eq=False)
class Entry:
    offset: int
    at: float
    event: str
    args: list[Any]
    rooms: tuple[str, ...]
    # The packet as sockets with positions receive it, encoded once on first need.
    encoded: Any = field(default=None)


class EventLog:
    def __init__(
        self,
        keep_seconds: float,
        max_entries: int,
        max_replay: int,
        clock: Callable[[], float] = time.monotonic,
        epoch: str | None = None,
    ) -> None:
        self.keep_seconds = keep_seconds
        self.max_entries = max_entries
        self.max_replay = max_replay
        self.clock = clock
        self.epoch = epoch or _new_epoch()
        self.head = 0  # the offset of the newest entry; 0 before the first
        self._entries: deque[Entry] = deque()
        self._by_room: dict[str, deque[Entry]] = {}

    def restart(self) -> None:
        """Forget everything under a new epoch: what was logged may have gaps, so no
        position given before may resume."""
        self.epoch = _new_epoch()
        self.head = 0
        self._entries.clear()
        self._by_room.clear()

    @property
    def rooms_kept(self) -> int:
        """Rooms with kept entries: a room goes with its last entry, so this stays
        bounded by the entries however many rooms come and go."""
        return len(self._by_room)

    def position(self, offset: int) -> str:
        return f"{self.epoch}.{offset}"

    def offset_of(self, position: str) -> int | None:
        """The offset of one of this log's positions; None for another log's."""
        epoch, _, offset = position.partition(".")
        if epoch != self.epoch or not offset.isdigit():
            return None
        return int(offset)

    def append(self, event: str, args: list[Any], rooms: Iterable[str]) -> Entry:
        now = self.clock()
        self._forget(now)
        self.head += 1
        entry = Entry(self.head, now, event, args, tuple(dict.fromkeys(rooms)))
        self._entries.append(entry)
        for room in entry.rooms:
            self._by_room.setdefault(room, deque()).append(entry)
        return entry

    def _forget(self, now: float) -> None:
        entries = self._entries
        oldest = now - self.keep_seconds
        while entries and (len(entries) >= self.max_entries or entries[0].at < oldest):
            gone = entries.popleft()
            # Rooms hold their entries in log order, so the oldest is first in each.
            for room in gone.rooms:
                kept = self._by_room[room]
                kept.popleft()
                if not kept:
                    del self._by_room[room]

    def replay(
        self,
        after: int,
        user_id: int,
        conversations: Collection[int],
        joined: Collection[int],
    ) -> list[Entry] | NoResume:
        """What a socket of `user_id` missed after offset `after`: the entries of its
        user room, of the members rooms of its conversations (`conversations`, read
        now) while it was a participant, and of the conversation rooms it had joined
        (`joined`) while it was; or why it cannot have them."""
        if after > self.head:
            return NoResume.UNKNOWN  # a position this log never gave
        first = self._entries[0].offset if self._entries else self.head + 1
        if after < first - 1:
            return NoResume.EXPIRED  # some of what it missed is forgotten
        mine = self._after(user_room(user_id), after)
        spans = _membership(mine, conversations)
        chosen = {entry.offset: entry for entry in mine}
        for conversation_id, membership in spans.items():
            rooms: list[str] = [members_room(conversation_id)]
            if conversation_id in joined:
                rooms.append(conversation_room(conversation_id))
            for room in rooms:
                for entry in self._after(room, after):
                    if membership.covers(entry.offset):
                        chosen[entry.offset] = entry
            if len(chosen) > self.max_replay:
                return NoResume.TOO_MANY
        if len(chosen) > self.max_replay:
            return NoResume.TOO_MANY
        return [chosen[offset] for offset in sorted(chosen)]

    def _after(self, room: str, after: int) -> list[Entry]:
        """A room's entries after an offset, oldest first: read from the newest end,
        since a resume is usually short."""
        kept = self._by_room.get(room)
        if not kept:
            return []
        found: list[Entry] = []
        for entry in reversed(kept):
            if entry.offset <= after:
                break
            found.append(entry)
        found.reverse()
        return found


def _new_epoch() -> str:
    return "".join(secrets.choice(_EPOCH_ALPHABET) for _ in range(EPOCH_LENGTH))


@dataclass
class _Membership:
    """When a user was in a conversation after the resumed position: from the start
    when `initially`, then toggled at each offset in `changes`."""

    initially: bool
    changes: list[int] = field(default_factory=list)

    def covers(self, offset: int) -> bool:
        inside = self.initially
        for change in self.changes:
            if change >= offset:
                break
            inside = not inside
        return inside


def _membership(mine: list[Entry], conversations: Collection[int]) -> dict[int, _Membership]:
    """Each conversation the user was in at some point since the resumed position,
    from the membership changes in their own room (`mine`, the entries since) and the
    conversations they are in now."""
    changes: dict[int, list[tuple[int, bool]]] = {}
    for entry in mine:
        if entry.event == _ADDED:
            changes.setdefault(int(entry.args[0]["id"]), []).append((entry.offset, True))
        elif entry.event == _REMOVED:
            changes.setdefault(int(entry.args[0]["conversation_id"]), []).append(
                (entry.offset, False)
            )
    spans: dict[int, _Membership] = {}
    for conversation_id, toggles in changes.items():
        # The first change says where the user stood before it: added means out.
        membership = _Membership(initially=not toggles[0][1])
        inside = membership.initially
        for offset, added in toggles:
            if added != inside:  # a repeated announcement changes nothing
                membership.changes.append(offset)
                inside = added
        spans[conversation_id] = membership
    for conversation_id in conversations:
        spans.setdefault(conversation_id, _Membership(initially=True))
    return spans
