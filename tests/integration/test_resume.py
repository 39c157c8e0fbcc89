"""Resuming (asyncapi.yaml, "Resuming"): a socket that reconnects with its session and
last position gets exactly what it missed, in order, each once, or `sync` says it
must refetch. The cases follow Centrifugo's recovery tests.

The oracle is a second socket of the same user that never left, in the same rooms:
what the resumed socket gets after `sync` must be what the one that stayed got after
the resumed position (ephemeral events aside). Real uvicorn, real python-socketio
clients, a real SQLite file.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live import (
    Received,
    SocketUser,
    connected,
    create_group,
    live_server,
    refusal,
    register,
    send_message,
    slow_sockets_closed,
)
from tests.raw_socket import PausedReader
from tests.schemas import ephemeral_events


def kept(socket: SocketUser) -> list[Received]:
    """What a socket got that resuming is about: all but `sync` and ephemeral events."""
    return [r for r in socket.received if r.event != "sync" and r.event not in ephemeral_events()]


def after(events: list[Received], position: str) -> list[Received]:
    positions = [r.position for r in events]
    return events[positions.index(position) + 1 :]


def sync_of(socket: SocketUser) -> dict[str, Any]:
    first = socket.received[0]
    assert first.event == "sync", socket.received[:3]
    assert len(socket.events("sync")) == 1
    data: dict[str, Any] = first.data
    return data


def resume_from(socket: SocketUser) -> dict[str, str]:
    """The `auth.resume` a client sends after this socket: its session, and the
    newest position it received."""
    positions = [r.position for r in socket.received if r.position is not None]
    newest = positions[-1] if positions else sync_of(socket)["position"]
    return {"session": sync_of(socket)["session"], "position": newest}


@asynccontextmanager
async def service(database: Path, **overrides: Any) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    async with (
        live_server(database, **overrides) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        yield url, http


async def test_a_socket_that_asks_gets_sync_first_then_a_position_with_each_kept_event(
    base_url: str, http: httpx.AsyncClient
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    group = await create_group(http, alice, bob)
    async with connected(base_url, alice, resume={}) as socket, connected(base_url, bob) as plain:
        sync = sync_of(socket)
        assert sync["resumed"] is False
        assert sync["reason"] == "not_requested"
        assert sync["replayed"] == 0
        await socket.join(group)
        await plain.join(group)
        await plain.call("typing", {"conversation_id": group, "state": "start"})
        await send_message(http, bob, group, "hello")
        await socket.wait_for("message_created")
        await plain.wait_for("message_created")
        await socket.wait_for("typing")
        created = socket.events("message_created")[0]
        assert created.position is not None
        assert created.position != sync["position"]
        assert socket.events("typing")[0].position is None  # ephemeral
        # A socket that did not ask gets one argument, as before (SocketUser checks).
        assert all(r.position is None for r in plain.received)


async def test_a_gap_while_away_is_replayed_in_order_once_as_a_socket_that_stayed_got_it(
    base_url: str, http: httpx.AsyncClient
) -> None:
    alice, bob, carol = [await register(http, name) for name in ("alice", "bob", "carol")]
    group = await create_group(http, bob, alice, carol)
    async with connected(base_url, alice, resume={}) as stayed:
        await stayed.join(group)
        async with connected(base_url, alice, resume={}) as away:
            await away.join(group)
            await send_message(http, bob, group, "before")
            await away.wait_for("message_created")
            resume = resume_from(away)
        # While away: messages, a rename, a reaction, an edit, a new conversation and
        # its first message, a read, a removal from it and a message she must not get,
        # being added again and a message she must.
        first = await send_message(http, bob, group, "one")
        await send_message(http, carol, group, "two")
        renamed = await http.patch(
            f"/conversations/{group}", headers=bob.headers, json={"title": "Renamed"}
        )
        assert renamed.status_code == 200, renamed.text
        url = f"/conversations/{group}/messages/{first['id']}/reactions/%F0%9F%91%8D"
        assert (await http.put(url, headers=carol.headers)).status_code in (200, 201, 204)
        edited = await http.patch(
            f"/conversations/{group}/messages/{first['id']}",
            headers=bob.headers,
            json={"body": "one, edited"},
        )
        assert edited.status_code == 200, edited.text
        other = await create_group(http, carol, alice, title="Side")
        await send_message(http, carol, other, "side")
        read = await http.post(
            f"/conversations/{group}/read", headers=alice.headers, json={"message_id": first["id"]}
        )
        assert read.status_code in (200, 204), read.text
        removed = await http.delete(
            f"/conversations/{other}/participants/{alice.id}", headers=carol.headers
        )
        assert removed.status_code == 204, removed.text
        await send_message(http, carol, other, "not for alice")
        added = await http.post(
            f"/conversations/{other}/participants",
            headers=carol.headers,
            json={"user_ids": [alice.id]},
        )
        assert added.status_code in (200, 201), added.text
        await send_message(http, carol, other, "for alice again")
        await stayed.wait_for("conversation_activity", lambda a: a["conversation_id"] == other)
        await stayed.barrier()
        async with connected(base_url, alice, resume=resume, joined={group}) as back:
            sync = sync_of(back)
            assert sync["resumed"] is True, sync
            assert sync["session"] == resume["session"]
            missed = after(kept(stayed), resume["position"])
            assert sync["replayed"] == len(missed) > 8
            await back.barrier()
            got = kept(back)
            assert [(r.event, r.data, r.position) for r in got] == [
                (r.event, r.data, r.position) for r in missed
            ]
            # Back in the conversation room it had joined, without joining again.
            await send_message(http, bob, group, "after")
            live = await back.wait_for("message_created", lambda m: m["body"] == "after")
            assert live["body"] == "after"


async def test_repeated_reconnects_never_bring_an_event_twice(
    base_url: str, http: httpx.AsyncClient
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    group = await create_group(http, bob, alice)
    sent: list[int] = []
    got: list[int] = []
    resume: dict[str, Any] = {}
    for round_ in range(5):
        async with connected(base_url, alice, resume=resume, joined={group}) as socket:
            assert sync_of(socket)["resumed"] is (round_ > 0)
            if round_ == 0:
                await socket.join(group)
            for n in range(2):
                sent.append((await send_message(http, bob, group, f"{round_}.{n}"))["id"])
            await socket.wait_for("message_created", lambda m: m["id"] == sent[-1])
            got += [m.data["id"] for m in socket.events("message_created")]
            resume = resume_from(socket)
        # Sent while away: the next socket brings them, and nothing it had already.
        sent.append((await send_message(http, bob, group, f"{round_} away"))["id"])
    async with connected(base_url, alice, resume=resume, joined={group}) as socket:
        await socket.barrier()
        got += [m.data["id"] for m in socket.events("message_created")]
    assert got == sent


async def test_messages_committed_while_a_socket_resumes_arrive_once_each_in_order(
    base_url: str, http: httpx.AsyncClient
) -> None:
    # Centrifugo's race: a publication between reading history and going live. Sends
    # run without pause while the socket drops and resumes, again and again; whichever
    # side of the switch a message falls, it must come exactly once.
    alice, bob = await register(http, "alice"), await register(http, "bob")
    group = await create_group(http, bob, alice)
    sent: list[int] = []
    sending = True

    async def keep_sending() -> None:
        while sending:
            sent.append((await send_message(http, bob, group, f"m{len(sent)}"))["id"])

    got: list[int] = []
    async with connected(base_url, alice, resume={}) as socket:
        await socket.join(group)
        sender = asyncio.create_task(keep_sending())
        resume = resume_from(socket)
        got += [m.data["id"] for m in socket.events("message_created")]
    try:
        for _ in range(8):
            async with connected(base_url, alice, resume=resume, joined={group}) as socket:
                assert sync_of(socket)["resumed"] is True
                await socket.barrier()
                got += [m.data["id"] for m in socket.events("message_created")]
                resume = resume_from(socket)
    finally:
        sending = False
        await sender
    async with connected(base_url, alice, resume=resume, joined={group}) as socket:
        await socket.barrier()
        got += [m.data["id"] for m in socket.events("message_created")]
    assert len(sent) > 8
    assert got == sent


async def test_after_a_restart_a_position_is_unknown_and_the_client_refetches(
    database: Path,
) -> None:
    async with service(database) as (url, http):
        alice, bob = await register(http, "alice"), await register(http, "bob")
        group = await create_group(http, bob, alice)
        async with connected(url, alice, resume={}) as socket:
            await socket.join(group)
            await send_message(http, bob, group, "before the restart")
            await socket.wait_for("message_created")
            resume = resume_from(socket)
    async with service(database) as (url, http):
        await send_message(http, bob, group, "after the restart")
        async with connected(url, alice, resume=resume) as socket:
            sync = sync_of(socket)
            assert (sync["resumed"], sync["reason"], sync["replayed"]) == (False, "unknown", 0)
            assert sync["session"] != resume["session"]
            assert sync["position"] != resume["position"]
            await socket.barrier()
            assert kept(socket) == []  # nothing replayed: the client refetches


async def test_a_conversation_deleted_while_away_brings_its_events_up_to_the_deletion(
    base_url: str, http: httpx.AsyncClient
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    group = await create_group(http, bob, alice)
    async with connected(base_url, alice, resume={}) as socket:
        await socket.join(group)
        resume = resume_from(socket)
    last = await send_message(http, bob, group, "last words")
    deleted = await http.delete(f"/conversations/{group}", headers=bob.headers)
    assert deleted.status_code == 204, deleted.text
    later = await create_group(http, bob, alice, title="Later")
    async with connected(base_url, alice, resume=resume, joined={group}) as socket:
        assert sync_of(socket)["resumed"] is True
        await socket.barrier()
        assert [
            (r.event, r.data.get("id") or r.data.get("conversation_id")) for r in kept(socket)
        ] == [
            ("message_created", last["id"]),
            ("conversation_activity", group),
            ("conversation_deleted", group),
            ("conversation_created", later),
        ]
        # Not back in the deleted conversation's room, nor allowed to be.
        assert (await socket.join(group))["ok"] is False


@pytest.mark.parametrize(
    ("bounds", "missed", "reason"),
    [
        ({"resume_max_events": 3}, 4, "too_many"),
        ({"resume_log_size": 100}, 101, "expired"),
    ],
)
async def test_a_socket_too_far_behind_is_told_to_refetch(
    database: Path, bounds: dict[str, int], missed: int, reason: str
) -> None:
    async with service(database, **bounds) as (url, http):
        alice, bob = await register(http, "alice"), await register(http, "bob")
        group = await create_group(http, bob, alice)
        async with connected(url, alice, resume={}) as socket:
            await socket.join(group)
            resume = resume_from(socket)
        # Each message is two events for her: message_created, conversation_activity.
        for n in range((missed + 1) // 2):
            await send_message(http, bob, group, f"m{n}")
        async with connected(url, alice, resume=resume, joined={group}) as socket:
            sync = sync_of(socket)
            assert (sync["resumed"], sync["reason"], sync["replayed"]) == (False, reason, 0)
            await socket.barrier()
            assert kept(socket) == []
        # One event fewer resumes (bounds are inclusive); expiry does not come back.
        if reason == "too_many":
            async with connected(url, alice, resume={}) as socket:
                await socket.join(group)
                resume = resume_from(socket)
            await send_message(http, bob, group, "one")
            async with connected(url, alice, resume=resume, joined={group}) as socket:
                assert sync_of(socket)["replayed"] == 2


async def test_a_session_resumes_only_for_its_own_user(
    base_url: str, http: httpx.AsyncClient
) -> None:
    alice, bob, eve = [await register(http, name) for name in ("alice", "bob", "eve")]
    group = await create_group(http, bob, alice)
    async with connected(base_url, alice, resume={}) as socket:
        await socket.join(group)
        resume = resume_from(socket)
    await send_message(http, bob, group, "for alice only")
    async with connected(base_url, eve, resume=resume) as socket:
        sync = sync_of(socket)
        assert (sync["resumed"], sync["reason"]) == (False, "unknown")
        await socket.barrier()
        assert kept(socket) == []
    # Alice's session is still hers to resume.
    async with connected(base_url, alice, resume=resume, joined={group}) as socket:
        assert sync_of(socket)["resumed"] is True
        assert [m.data["body"] for m in socket.events("message_created")] == ["for alice only"]


HOSTILE_RESUMES: list[Any] = [
    "resume",
    [],
    17,
    {"session": "v1Zq8mT3kR0pL2nW5xYb7A"},
    {"position": "k7m2q9x4ab3c.1"},
    {"session": "v1Zq8mT3kR0pL2nW5xYb7A", "position": "k7m2q9x4ab3c.1", "joined": [1]},
    {"session": "short", "position": "k7m2q9x4ab3c.1"},
    {"session": "v1Zq8mT3kR0pL2nW5xYb7A", "position": "k7m2q9x4ab3c.-1"},
    {"session": "v1Zq8mT3kR0pL2nW5xYb7A", "position": "K7M2Q9X4AB3C.1"},
    {"session": "v1Zq8mT3kR0pL2nW5xYb7A", "position": "k7m2q9x4ab3c." + "9" * 16},
    {"session": "v1Zq8mT3kR0pL2nW5xYb7A", "position": 1},
    {"session": None, "position": None},
    {"session": "v1Zq8mT3kR0pL2nW5xYb7A\n", "position": "k7m2q9x4ab3c.1"},
    {"session": "x" * 10_000, "position": "k7m2q9x4ab3c.1"},
]


@pytest.mark.parametrize("resume", HOSTILE_RESUMES)
async def test_a_malformed_resume_is_refused_with_validation_error(
    base_url: str, http: httpx.AsyncClient, resume: Any
) -> None:
    alice = await register(http, "alice")
    refused = await refusal(base_url, {"token": alice.token, "resume": resume})
    assert refused["data"]["code"] == "validation_error", refused


async def test_a_well_formed_position_this_server_never_gave_does_not_resume(
    base_url: str, http: httpx.AsyncClient
) -> None:
    alice = await register(http, "alice")
    async with connected(base_url, alice, resume={}) as socket:
        resume = resume_from(socket)
    epoch, offset = resume["position"].split(".")
    for position in (f"{epoch}.{int(offset) + 1000}", f"{'a' * len(epoch)}.{offset}"):
        async with connected(base_url, alice, resume={**resume, "position": position}) as socket:
            sync = sync_of(socket)
            assert (sync["resumed"], sync["reason"]) == (False, "unknown")


async def test_a_socket_closed_for_slowness_resumes_with_what_it_never_read(
    database: Path,
) -> None:
    # The server drops what it had queued for a stalled reader when it closes it; the
    # client, reading again, finds a prefix and the close, and resumes from the last
    # position it read: together, every message once, in order.
    bounds = {"max_queued_packets": 16, "slow_socket_seconds": 1}
    async with service(database, **bounds) as (url, http):
        alice, bob = await register(http, "alice"), await register(http, "bob")
        group = await create_group(http, alice, bob)
        stalled = await PausedReader.open(url, bob.token, receive_buffer=4096, resume={})
        try:
            await stalled.join(group)
            [sync_frame] = stalled.before_connect
            session = json.loads(sync_frame[2:])[1]["session"]

            sent: list[int] = []
            while await slow_sockets_closed(http) == "0.0":
                message = await send_message(http, alice, group, f"{len(sent)} " + "x" * 3900)
                sent.append(message["id"])
            got: list[int] = []
            position = None
            while (frame := await stalled.receive()) is not None:
                if frame.startswith('42["message_created"'):
                    _, message, position = json.loads(frame[2:])
                    got.append(message["id"])
        finally:
            stalled.close()
        assert got == sent[: len(got)]
        assert len(got) < len(sent)
        assert position is not None
        resume = {"session": session, "position": position}
        async with connected(url, bob, resume=resume, joined={group}) as socket:
            assert sync_of(socket)["resumed"] is True
            await socket.barrier()
            assert got + [m.data["id"] for m in socket.events("message_created")] == sent
