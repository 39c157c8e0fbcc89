"""Typing, presence and delivery receipts, on in-memory fakes of the ports."""

from __future__ import annotations

import asyncio

import pytest

from service.domain.errors import InvalidInput, NotFound
from service.domain.events import (
    MessagesDelivered,
    PresenceChanged,
    TypingChanged,
    TypingState,
)
from service.domain.model import ConversationKind
from service.presence.store import InProcessPresenceStore
from service.services.typing import TypingService
from tests.fakes import RecordingOutlet
from tests.unit.conftest import World

START, STOP = TypingState.START, TypingState.STOP
GROUP, DIRECT = ConversationKind.GROUP, ConversationKind.DIRECT


async def test_typing_start_is_announced_once_renewed_silently_and_stopped() -> None:
    notifier = RecordingOutlet()
    typing = TypingService(notifier, ttl_seconds=30)

    assert await typing.update(2, 42, START) == 30
    await typing.update(2, 42, START)
    await typing.update(2, 42, STOP)
    await typing.update(2, 42, STOP)

    assert notifier.events == [TypingChanged(42, 2, START), TypingChanged(42, 2, STOP)]


async def test_an_unrenewed_start_expires_into_a_stop() -> None:
    notifier = RecordingOutlet()
    typing = TypingService(notifier, ttl_seconds=0.05)

    await typing.update(2, 42, START)
    await asyncio.sleep(0.03)
    await typing.update(2, 42, START)  # renewed: the first expiry is cancelled
    await asyncio.sleep(0.03)
    assert notifier.events == [TypingChanged(42, 2, START)]
    await asyncio.sleep(0.05)

    assert notifier.events == [TypingChanged(42, 2, START), TypingChanged(42, 2, STOP)]


async def test_presence_counts_tabs_and_tells_each_conversation_once_per_flush(
    world: World,
) -> None:
    alice, bob, carol, loner = (world.user(n) for n in ("alice", "bob", "carol", "loner"))
    conversations = world.services.conversations
    group = (await conversations.create(alice, GROUP, "g", [bob, carol])).view.conversation.id
    direct = (await conversations.create(bob, DIRECT, None, [carol])).view.conversation.id
    presence = world.services.presence

    await presence.connected(alice, "tab-1")
    await presence.connected(alice, "tab-2")
    await presence.connected(loner, "tab-3")
    await presence.connected(carol, "tab-4")
    assert await presence.online_contacts(bob) == [alice, carol]
    await presence.flush()

    # The loner shares no conversation: nobody is told about them.
    assert world.presence_events == [
        PresenceChanged((alice, carol), (), (group,)),
        PresenceChanged((carol,), (), (direct,)),
    ]
    world.clear_events()
    await presence.disconnected(alice, "tab-1")
    await presence.flush()
    assert world.presence_events == []  # another tab is still open
    await presence.disconnected(alice, "tab-2")
    await presence.disconnected(alice, "tab-2")
    await presence.flush()
    assert world.presence_events == [PresenceChanged((), (alice,), (group,))]
    assert await presence.online_contacts(bob) == [carol]


async def test_a_reconnect_storm_of_a_whole_group_is_one_presence_event(world: World) -> None:
    members = [world.user(f"member{n}") for n in range(200)]
    group = (
        await world.services.conversations.create(members[0], GROUP, "all", members[1:])
    ).view.conversation.id
    presence = world.services.presence

    for n, member in enumerate(members):
        await presence.connected(member, f"sid-{n}")
    await presence.flush()

    assert world.presence_events == [PresenceChanged(tuple(members), (), (group,))]


async def test_the_in_process_store_forgets_unknown_sockets() -> None:
    store = InProcessPresenceStore()
    assert await store.remove(1, "never-seen") is False
    assert await store.add(1, "a") is True
    assert await store.sids(1) == ["a"]
    assert await store.online([1, 2]) == {1}


async def test_delivery_watermark_only_moves_forward_and_is_announced(world: World) -> None:
    alice, bob = world.user("alice"), world.user("bob")
    created = await world.services.conversations.create(alice, ConversationKind.GROUP, "g", [bob])
    cid = created.view.conversation.id
    first = (await world.services.messages.send(alice, cid, "one", None)).message.id
    second = (await world.services.messages.send(alice, cid, "two", None)).message.id
    world.clear_events()

    assert await world.services.messages.mark_delivered(bob, cid, second) == second
    assert await world.services.messages.mark_delivered(bob, cid, first) == second

    assert world.message_events == [MessagesDelivered(cid, bob, second)]


async def test_delivery_needs_a_participant_and_a_message_of_the_conversation(
    world: World,
) -> None:
    alice, bob, eve = world.user("alice"), world.user("bob"), world.user("eve")
    cid = (
        await world.services.conversations.create(alice, ConversationKind.GROUP, "g", [bob])
    ).view.conversation.id
    other = (
        await world.services.conversations.create(eve, ConversationKind.GROUP, "h", [alice])
    ).view.conversation.id
    foreign = (await world.services.messages.send(eve, other, "x", None)).message.id
    mine = (await world.services.messages.send(alice, cid, "y", None)).message.id

    with pytest.raises(NotFound):
        await world.services.messages.mark_delivered(eve, cid, mine)
    with pytest.raises(InvalidInput) as raised:
        await world.services.messages.mark_delivered(bob, cid, foreign)
    assert [e.location for e in raised.value.errors] == ["message_id"]
