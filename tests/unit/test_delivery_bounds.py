"""The fan-out's bounds on their own: the backlog that holds senders back, and the watch
that tells a client that does not drain from a server that is behind."""

from __future__ import annotations

import asyncio
import gc

import pytest

from service.domain.errors import Overloaded
from service.realtime.outbound import Backlog, SocketQueue
from service.realtime.slow import SlowSocketWatch


async def test_a_sender_waits_while_the_backlog_is_over_its_bound_and_goes_once_it_halves() -> None:
    backlog = Backlog(high=1000, wait_seconds=3600)
    backlog.added(1001)
    waiting = asyncio.create_task(backlog.admit())
    await asyncio.sleep(0)
    backlog.removed(400)  # 601 left: still above half
    await asyncio.sleep(0)
    assert not waiting.done()
    backlog.removed(101)  # 500: half the bound
    await asyncio.wait_for(waiting, 3600)


async def test_a_sender_is_refused_when_the_backlog_stays_over_its_bound() -> None:
    backlog = Backlog(high=1000, wait_seconds=0.001)
    await backlog.admit()  # empty: admitted at once
    backlog.added(1001)
    with pytest.raises(Overloaded):
        await backlog.admit()


async def test_socket_queues_count_into_the_backlog() -> None:
    backlog = Backlog(high=1000, wait_seconds=1)
    queue = SocketQueue(backlog)
    for n in range(20):
        queue.put_nowait(n)
    queue.put_nowait(None)  # the writer's stop signal is no packet
    assert backlog.queued == 20
    assert await queue.get() == 0
    assert [queue.get_nowait() for _ in range(3)] == [1, 2, 3]
    assert (queue.qsize(), backlog.queued) == (17, 16)  # the stop signal is not counted
    assert queue.discard() == 16
    assert (backlog.queued, queue.qsize()) == (0, 0)
    # A socket closed with packets still queued gives them back when it is let go.
    left_behind = SocketQueue(backlog)
    for n in range(5):
        left_behind.put_nowait(n)
    assert backlog.queued == 5
    del left_behind
    gc.collect()
    assert backlog.queued == 0


def _watch(queued: dict[str, int]) -> SlowSocketWatch:
    async def close(_sids: list[str]) -> None:
        raise AssertionError("check() decides; the loop closes")

    return SlowSocketWatch(bound=16, seconds=10, queued=queued.get, close=close, run=False)


async def test_a_watched_socket_that_does_not_shrink_in_its_window_is_too_slow() -> None:
    queued = {"stalled": 20, "draining": 40, "caught_up": 30}
    watch = _watch(queued)
    for sid, size in queued.items():
        watch.note(sid, size)
    start = asyncio.get_running_loop().time()
    assert watch.check(start + 9) == []  # within the window: no verdict yet
    queued.update(stalled=25, draining=30, caught_up=3)
    assert watch.check(start + 10) == ["stalled"]
    # The one that drained gets another window from its new size; the one that caught
    # up is no longer watched.
    queued.update(draining=31)
    assert watch.check(start + 19) == []
    assert watch.check(start + 20) == ["draining"]
    assert watch.check(start + 40) == []


async def test_a_socket_gone_meanwhile_is_forgotten() -> None:
    queued = {"gone": 20}
    watch = _watch(queued)
    watch.note("gone", 20)
    del queued["gone"]
    assert watch.check(asyncio.get_running_loop().time() + 60) == []
