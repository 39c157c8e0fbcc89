"""The five scenarios, each run against one server by the load client (bench/load.py).

Every scenario connects its own sockets and closes them at the end; figures come from
the load client's clocks and the server's /proc counters (bench/probe.py).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.probe import Probe, Sample
from bench.targets import Target, User
from bench.wire import Tally, Wire

STEADY_P99_MS = 250.0


@dataclass
class Context:
    sockets: aiohttp.ClientSession  # WebSockets only: posts go through the target
    base_url: str
    target: Target
    probe: Probe
    users: list[User]
    tally: Tally
    # Every socket a scenario opened, so that one that fails midway leaves none behind.
    opened: list[Wire] = field(default_factory=list)


@dataclass(frozen=True)
class Seat:
    """One socket to open: whose, and the conversations it joins."""

    user: User
    conversation_ids: tuple[int, ...]


def pct(values: Sequence[float], q: float) -> float | None:
    """The q-quantile in milliseconds (nearest rank), None when nothing arrived."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


def per(total: float, count: int) -> float | None:
    return round(total / count, 6) if count else None


async def bounded(jobs: Sequence[Callable[[], Awaitable[None]]], at_once: int) -> None:
    gate = asyncio.Semaphore(at_once)

    async def run(job: Callable[[], Awaitable[None]]) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(run(job) for job in jobs))


async def open_all(ctx: Context, seats: Sequence[Seat], at_once: int) -> list[Wire]:
    wires = [Wire(ctx.sockets, ctx.base_url, ctx.tally) for _ in seats]
    ctx.opened.extend(wires)

    def opening(wire: Wire, seat: Seat) -> Callable[[], Awaitable[None]]:
        return lambda: asyncio.wait_for(
            wire.open(seat.user.token, list(seat.conversation_ids)), 120
        )

    await bounded([opening(w, s) for w, s in zip(wires, seats, strict=True)], at_once)
    return wires


async def close_all(wires: Sequence[Wire]) -> int:
    """Close the sockets; how many of them the server had closed first."""
    dropped = sum(w.dropped for w in wires)
    await asyncio.gather(*(w.close() for w in wires))
    return dropped


async def steady(
    ctx: Context, rate: float, seconds: float, sends: Callable[[int], tuple[User, int]]
) -> tuple[int, float, list[float]]:
    """Post at `rate`/s for `seconds`, the n-th post by and to `sends(n)`, without
    waiting for answers. Returns the posts made, the rate the load client offered
    (posts over the time it took to send them all, not to have them answered: a slow
    server must not look like a slow load client), and each post's round trip."""
    count = int(rate * seconds)
    round_trips: list[float] = []

    async def post(sender: User, conversation_id: int) -> None:
        sent = time.perf_counter()
        await ctx.target.post(sender, conversation_id, f"{sent:.9f}")
        round_trips.append(time.perf_counter() - sent)

    started = time.perf_counter()
    posts = []
    for n in range(count):
        await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
        posts.append(asyncio.create_task(post(*sends(n))))
    # The first post goes at 0 s, the last at (count - 1) / rate.
    offered = (count - 1) / max(time.perf_counter() - started, 1e-9)
    await asyncio.gather(*posts)
    return count, offered, round_trips


def costs(before: Sample, after: Sample, posts: int) -> dict[str, float | None]:
    return {
        "server_cpu_ms_per_post": per((after.cpu_s - before.cpu_s) * 1000, posts),
        "statements_per_post": per(after.statements - before.statements, posts),
    }


async def large_group(
    ctx: Context, members: int, rate: float, seconds: float, burst: int
) -> dict[str, Any]:
    """(a) One group of `members` distinct users, one socket each: `rate` posts/s from
    rotating members for `seconds`, then `burst` posts from 8 posters as fast as answered."""
    people = ctx.users[:members]
    group = await ctx.target.group(people)
    wires = await open_all(ctx, [Seat(u, (group,)) for u in people], 64)
    ctx.tally.take()
    before = ctx.probe.sample()
    posts, offered, _round_trips = await steady(
        ctx, rate, seconds, lambda n: (people[n % members], group)
    )
    await ctx.tally.drain(posts * members)
    after = ctx.probe.sample()
    steady_latencies = ctx.tally.take()

    posters = 8
    refused_before = ctx.target.refused
    started = time.perf_counter()

    async def poster(first: int) -> None:
        for n in range(burst // posters):
            await ctx.target.post(
                people[(first + n * posters) % members], group, f"{time.perf_counter():.9f}"
            )

    await asyncio.gather(*(poster(p) for p in range(posters)))
    burst_posts = burst // posters * posters
    await ctx.tally.drain(burst_posts * members)
    burst_latencies = ctx.tally.take()
    elapsed = time.perf_counter() - started
    dropped = await close_all(wires)
    return {
        "members": members,
        "steady_rate": rate,
        "steady_offered_rate": round(offered, 1),
        "steady_p50_ms": pct(steady_latencies, 0.50),
        "steady_p99_ms": pct(steady_latencies, 0.99),
        "steady_lost": posts * members - len(steady_latencies),
        **costs(before, after, posts),
        "burst_posts": burst_posts,
        "burst_deliveries_per_s": round(len(burst_latencies) / elapsed),
        "burst_lost": burst_posts * members - len(burst_latencies),
        "burst_sends_refused": ctx.target.refused - refused_before,
        "disconnects": dropped,
    }


async def small_conversations(
    ctx: Context, conversations: int, first_rate: float, step_seconds: float, runs: int
) -> dict[str, Any]:
    """(b) `conversations` conversations of 3 distinct users, a socket each; posts/s
    raised by a quarter each step until p99 delivery exceeds 250 ms or anything is
    lost. One pause ends a ramp, so it runs `runs` times and the median run counts."""
    trios = [ctx.users[3 * c : 3 * c + 3] for c in range(conversations)]
    ids = [await ctx.target.group(trio) for trio in trios]
    seats = [Seat(u, (cid,)) for trio, cid in zip(trios, ids, strict=True) for u in trio]
    wires = await open_all(ctx, seats, 64)
    rotation = itertools.count()

    def sends(_n: int) -> tuple[User, int]:
        k = next(rotation)
        c = k % conversations
        return trios[c][(k // conversations) % 3], ids[c]

    ramps = [await _ramp(ctx, first_rate, step_seconds, sends) for _ in range(runs)]
    ramps.sort(key=lambda r: r["highest_sustained_posts_per_s"])
    dropped = await close_all(wires)
    return {
        "conversations": conversations,
        "sockets": len(seats),
        "highest_of_each_run": [r["highest_sustained_posts_per_s"] for r in ramps],
        **ramps[len(ramps) // 2],
        "disconnects": dropped,
    }


async def _ramp(
    ctx: Context, first_rate: float, step_seconds: float, sends: Callable[[int], tuple[User, int]]
) -> dict[str, Any]:
    ctx.tally.take()
    steps: list[dict[str, Any]] = []
    rate = first_rate
    while True:
        before = ctx.probe.sample()
        posts, offered, _round_trips = await steady(ctx, rate, step_seconds, sends)
        await ctx.tally.drain(posts * 3)
        after = ctx.probe.sample()
        latencies = ctx.tally.take()
        step = {
            "rate": round(rate),
            "offered_rate": round(offered),
            "p50_ms": pct(latencies, 0.50),
            "p99_ms": pct(latencies, 0.99),
            "lost": posts * 3 - len(latencies),
            **costs(before, after, posts),
        }
        steps.append(step)
        p99 = step["p99_ms"]
        if p99 is None or p99 > STEADY_P99_MS or step["lost"] or offered < 0.9 * rate:
            break
        rate *= 1.25
    sustained = [
        s
        for s in steps
        if s["p99_ms"] is not None and s["p99_ms"] <= STEADY_P99_MS and not s["lost"]
    ]
    best = max(sustained, key=lambda s: s["offered_rate"], default=None)
    return {
        "highest_sustained_posts_per_s": best["offered_rate"] if best else 0,
        "at_highest": best,
        # When the load client could not offer the rate asked for, the server was not
        # the limit.
        "load_client_was_the_limit": steps[-1]["offered_rate"] < 0.9 * steps[-1]["rate"],
        "steps": steps,
    }


async def backlog(ctx: Context, depth: int, rate: float, seconds: float) -> dict[str, Any]:
    """(c) A conversation of 3 where two recipients never read: send latency before
    and after `depth` unread messages pile up, same members, same rate."""
    members = ctx.users[:3]
    fresh, deep = await ctx.target.group(members), await ctx.target.group(members)
    sender = members[0]

    async def prefill() -> None:
        async def poster(first: int) -> None:
            for _ in range(first, depth, 16):
                await ctx.target.post(sender, deep, f"{time.perf_counter():.9f}")

        await asyncio.gather(*(poster(p) for p in range(16)))

    async def measure(conversation_id: int) -> dict[str, Any]:
        wires = await open_all(ctx, [Seat(u, (conversation_id,)) for u in members], 3)
        ctx.tally.take()
        before = ctx.probe.sample()
        count, _offered, round_trips = await steady(
            ctx, rate, seconds, lambda _n: (sender, conversation_id)
        )
        await ctx.tally.drain(count * len(members))
        after = ctx.probe.sample()
        latencies = ctx.tally.take()
        await close_all(wires)
        return {
            "send_p50_ms": pct(round_trips, 0.50),
            "send_p99_ms": pct(round_trips, 0.99),
            "delivery_p99_ms": pct(latencies, 0.99),
            "lost": count * len(members) - len(latencies),
            **costs(before, after, count),
        }

    without = await measure(fresh)
    await prefill()
    behind = await measure(deep)
    ratio = None
    if without["send_p99_ms"] and behind["send_p99_ms"]:
        ratio = round(behind["send_p99_ms"] / without["send_p99_ms"], 2)
    return {"depth": depth, "without_backlog": without, "with_backlog": behind, "p99_ratio": ratio}


async def storm(ctx: Context, sockets: int, group_size: int) -> dict[str, Any]:
    """(e) then (d): `sockets` distinct users in groups of `group_size`, connected 64
    at a time on an idle server (memory and CPU per socket); then every socket drops
    at once and reconnects at once: time until all are back and joined, then one post
    to each group counts what was lost."""
    people = ctx.users[:sockets]
    groups = [people[g : g + group_size] for g in range(0, sockets, group_size)]
    ids = [await ctx.target.group(g) for g in groups]
    seats = [Seat(u, (cid,)) for g, cid in zip(groups, ids, strict=True) for u in g]
    await asyncio.sleep(2)
    idle = ctx.probe.sample()
    started = time.perf_counter()
    wires = await open_all(ctx, seats, 64)
    connect_seconds = time.perf_counter() - started
    connected = ctx.probe.sample()
    await asyncio.sleep(2)
    settled = ctx.probe.sample()

    await close_all(wires)
    dropped_at = time.perf_counter()
    refused = 0

    def reopening(wire: Wire, seat: Seat) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            nonlocal refused
            for _attempt in range(5):
                try:
                    await asyncio.wait_for(
                        wire.open(seat.user.token, list(seat.conversation_ids)), 120
                    )
                    return
                except Exception:  # a refused reconnect is retried, then counted
                    refused += 1
                    await asyncio.sleep(0.5)

        return job

    # "At once": every client retries immediately; 500 in flight is what one load
    # core can keep open without its own queueing dominating.
    await bounded([reopening(w, s) for w, s in zip(wires, seats, strict=True)], 500)
    back_seconds = time.perf_counter() - dropped_at
    back = ctx.probe.sample()
    ctx.tally.take()
    for members, cid in zip(groups, ids, strict=True):
        await ctx.target.post(members[0], cid, f"{time.perf_counter():.9f}")
    await ctx.tally.drain(sockets)
    delivered = len(ctx.tally.take())
    dropped = await close_all(wires)
    return {
        "sockets": sockets,
        "group_size": group_size,
        "connect_seconds": round(connect_seconds, 2),
        "connect_cpu_ms_per_socket": per((connected.cpu_s - idle.cpu_s) * 1000, sockets),
        "connect_statements_per_socket": per(connected.statements - idle.statements, sockets),
        "memory_kib_per_socket": per((settled.rss_bytes - idle.rss_bytes) / 1024, sockets),
        "storm_seconds_until_all_joined": round(back_seconds, 2),
        "storm_cpu_ms_per_socket": per((back.cpu_s - settled.cpu_s) * 1000, sockets),
        "storm_refused_attempts": refused,
        "lost_after_storm": sockets - delivered,
        "disconnects": dropped,
    }
