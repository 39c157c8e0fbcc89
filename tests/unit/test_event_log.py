"""The event log and the sessions resuming reads (service/realtime/eventlog.py,
sessions.py), on a clock the tests move: what is kept, for how long, and which entries
a resuming user gets as their conversations change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.realtime.eventlog import EventLog, NoResume
from service.realtime.sessions import ResumeSessions


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def log_of(clock: Clock, **bounds: Any) -> EventLog:
    settings = {"keep_seconds": 60, "max_entries": 100, "max_replay": 50, **bounds}
    return EventLog(clock=clock, epoch="testepoch000", **settings)


def created(log: EventLog, user: int, conversation: int) -> int:
    return log.append("conversation_created", [{"id": conversation}], [f"user:{user}"]).offset


def deleted(log: EventLog, user: int, conversation: int) -> int:
    payload = [{"conversation_id": conversation, "reason": "removed"}]
    return log.append("conversation_deleted", payload, [f"user:{user}"]).offset


def message(log: EventLog, conversation: int, body: str) -> int:
    payload = [{"conversation_id": conversation, "body": body}]
    return log.append("message_created", payload, [f"conversation:{conversation}"]).offset


def activity(log: EventLog, conversation: int) -> int:
    payload = [{"conversation_id": conversation}]
    return log.append("conversation_activity", payload, [f"members:{conversation}"]).offset


def offsets(replay: Any) -> list[int]:
    assert not isinstance(replay, NoResume), replay
    return [entry.offset for entry in replay]


def test_positions_name_their_log_and_nothing_else() -> None:
    log = log_of(Clock())
    offset = message(log, 1, "hi")
    assert log.position(offset) == "testepoch000.1"
    assert log.offset_of("testepoch000.1") == 1
    assert log.offset_of("otherepoch00.1") is None
    assert EventLog(60, 100, 50).epoch != EventLog(60, 100, 50).epoch


def test_a_user_gets_their_rooms_while_they_were_in_them_in_order_once() -> None:
    log = log_of(Clock())
    start = log.head
    a = activity(log, 7)  # in 7 throughout
    added = created(log, 1, 8)  # added to 8 ...
    b = activity(log, 8)
    removed = deleted(log, 1, 8)  # ... removed from it ...
    activity(log, 8)  # not hers
    readded = created(log, 1, 8)  # ... and added again
    c = activity(log, 8)
    message(log, 7, "joined room")  # conversation room 7: only if she had joined it
    mine = log.append("message_read", [{"conversation_id": 7}], ["conversation:7", "user:1"])
    activity(log, 9)  # never hers

    replay = log.replay(start, 1, conversations={7, 8}, joined=set())
    assert offsets(replay) == [a, added, b, removed, readded, c, mine.offset]
    with_room = log.replay(start, 1, conversations={7, 8}, joined={7})
    assert len(offsets(with_room)) == len(offsets(replay)) + 1  # the message; the read once
    # From a later position, only what came after it.
    assert offsets(log.replay(readded, 1, {7, 8}, set())) == [c, mine.offset]


def test_a_conversation_left_while_away_is_replayed_up_to_the_removal() -> None:
    log = log_of(Clock())
    start = log.head
    before = message(log, 5, "before")
    gone = deleted(log, 1, 5)
    message(log, 5, "after")
    assert offsets(log.replay(start, 1, conversations=set(), joined={5})) == [before, gone]


def test_what_is_older_than_kept_or_pushed_out_cannot_resume() -> None:
    clock = Clock()
    log = log_of(clock, keep_seconds=60, max_entries=3)
    start = log.head
    for _ in range(3):
        activity(log, 1)
    assert len(offsets(log.replay(start, 1, {1}, set()))) == 3
    activity(log, 1)  # a fourth pushes the first out
    assert log.replay(start, 1, {1}, set()) is NoResume.EXPIRED
    assert len(offsets(log.replay(start + 1, 1, {1}, set()))) == 3

    position = log.head
    clock.now += 61
    activity(log, 1)  # appending forgets what is older than keep_seconds
    assert log.replay(position - 1, 1, {1}, set()) is NoResume.EXPIRED
    assert len(offsets(log.replay(position, 1, {1}, set()))) == 1
    assert log.replay(log.head + 1, 1, {1}, set()) is NoResume.UNKNOWN


def test_more_missed_than_the_bound_is_too_many_and_the_bound_itself_resumes() -> None:
    log = log_of(Clock(), max_replay=3)
    start = log.head
    for _ in range(3):
        activity(log, 1)
    activity(log, 2)  # not hers: does not count
    assert len(offsets(log.replay(start, 1, {1}, set()))) == 3
    activity(log, 1)
    assert log.replay(start, 1, {1}, set()) is NoResume.TOO_MANY


def test_rooms_without_entries_are_forgotten_with_their_last_entry() -> None:
    log = log_of(Clock(), max_entries=2)
    for conversation in range(1, 100):
        activity(log, conversation)
    assert log.rooms_kept == 2


def test_a_session_is_its_users_kept_while_closed_and_taken_over_once() -> None:
    clock = Clock()
    sessions = ResumeSessions(keep_seconds=60, clock=clock)
    session = sessions.open("sid-1", user_id=1)
    assert len(session) == 22
    sessions.joined("sid-1", 7)
    sessions.joined("sid-1", 8)
    sessions.left("sid-1", 8)
    assert sessions.joined_in(2, session) is None  # another user's
    sessions.closed("sid-1")
    clock.now += 59
    assert sessions.joined_in(1, session) == {7}
    sessions.take("sid-2", session)
    clock.now += 600  # held by a live socket: kept however long
    sessions.open("sid-3", user_id=5)  # anything that sweeps
    assert sessions.joined_in(1, session) == {7}
    sessions.joined("sid-1", 9)  # the old socket no longer speaks for it
    assert sessions.joined_in(1, session) == {7}
    sessions.closed("sid-2")
    clock.now += 61
    assert sessions.joined_in(1, session) is None
