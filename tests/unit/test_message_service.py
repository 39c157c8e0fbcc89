from __future__ import annotations

import pytest

from service.domain.errors import Conflict, InvalidInput, NotFound, Overloaded
from service.domain.events import (
    ConversationActivity,
    MessageCreated,
    MessagesRead,
    UnreadCountUpdated,
)
from service.domain.model import ConversationKind, Unread
from tests.unit.conftest import World, group, unread


async def test_send_emits_the_message_and_one_activity_for_everyone(world: World) -> None:
    cid, (alice, bob, carol) = await group(world, "alice", "bob", "carol")

    sent = await world.services.messages.send(alice, cid, "hi", None)
    second = await world.services.messages.send(bob, cid, "ho", None)

    assert (sent.message.seq, second.message.seq) == (1, 2)
    assert world.message_events == [
        MessageCreated(sent.message),
        MessageCreated(second.message),
    ]
    assert world.conversation_events == [
        ConversationActivity(cid, 1, sent.message.created_at, sent.message),
        ConversationActivity(cid, 2, second.message.created_at, second.message),
    ]
    # Badges follow from seqs: sending marks the conversation read for the sender.
    views = [await world.services.conversations.get(u, cid) for u in (alice, bob, carol)]
    assert [(v.last_read_seq, unread(v)) for v in views] == [(1, 1), (2, 0), (0, 2)]


async def test_same_client_message_id_returns_first_message_without_events(world: World) -> None:
    cid, (alice, bob) = await group(world, "alice", "bob")
    first = await world.services.messages.send(alice, cid, "hi", "key-1")
    world.clear_events()

    again = await world.services.messages.send(alice, cid, "hi", "key-1")
    other_sender = await world.services.messages.send(bob, cid, "hi", "key-1")

    assert not again.created
    assert again.message == first.message
    assert other_sender.created
    assert len(world.ids("messages")) == 2


async def test_a_client_message_id_reused_for_another_body_is_a_conflict(world: World) -> None:
    cid, (alice, _) = await group(world, "alice", "bob")
    first = await world.services.messages.send(alice, cid, "hi", "key-1")
    world.clear_events()

    with pytest.raises(Conflict, match="another body"):
        await world.services.messages.send(alice, cid, "hi again", "key-1")

    assert world.ids("messages") == [first.message.id]
    assert world.message_events == []


async def test_non_participant_cannot_send_or_read(world: World) -> None:
    cid, _ = await group(world, "alice", "bob")
    eve = world.user("eve")

    with pytest.raises(NotFound):
        await world.services.messages.send(eve, cid, "hi", None)
    with pytest.raises(NotFound):
        await world.services.messages.history(eve, cid, None, None, 10)
    assert world.ids("messages") == []
    assert world.message_events == []


@pytest.mark.parametrize(
    "body",
    [
        "   ",
        "\n\t",
        "a\x00b",
        "\u3000\u3000",  # ideographic spaces
        "\u00a0",  # no-break space
        "\u200b\u200d\ufeff",  # zero-width space, joiner, byte order mark
        "\u2028\u205f\u1680",
    ],
)
async def test_blank_or_nul_bodies_are_refused(world: World, body: str) -> None:
    cid, (alice, _) = await group(world, "alice", "bob")

    with pytest.raises(InvalidInput):
        await world.services.messages.send(alice, cid, body, None)
    assert world.ids("messages") == []


async def test_history_pages_both_ways(world: World) -> None:
    cid, (alice, _) = await group(world, "alice", "bob")
    ids = [
        (await world.services.messages.send(alice, cid, str(i), None)).message.id for i in range(7)
    ]

    latest = await world.services.messages.history(alice, cid, None, None, 3)
    older = await world.services.messages.history(alice, cid, None, latest.items[0].id, 3)
    catch_up = await world.services.messages.history(alice, cid, ids[1], None, 3)
    tail = await world.services.messages.history(alice, cid, ids[4], None, 3)

    pages = [latest, older, catch_up, tail]
    assert [[m.id for m in p.items] for p in pages] == [ids[4:], ids[1:4], ids[2:5], ids[5:]]
    assert [p.has_more for p in pages] == [True, True, True, False]


async def test_mark_read_moves_forward_only_and_reports_read_ids(world: World) -> None:
    cid, (alice, bob) = await group(world, "alice", "bob")
    m1 = (await world.services.messages.send(alice, cid, "1", None)).message.id
    await world.services.messages.send(bob, cid, "mine", None)
    m3 = (await world.services.messages.send(alice, cid, "3", None)).message.id
    world.clear_events()

    state = await world.services.messages.mark_read(bob, cid, m3)

    # Bob's own message had already marked m1 read.
    assert (state.last_read_message_id, state.last_read_seq, state.unread_count) == (m3, 3, 0)
    reader = world.ref(bob)
    assert world.message_events == [
        MessagesRead(cid, reader, (m3,), m3),
        UnreadCountUpdated(bob, cid, 0, 0, 0, 0),
    ]
    world.clear_events()

    back = await world.services.messages.mark_read(bob, cid, m1)

    assert back.last_read_message_id == m3
    assert world.message_events == []


async def test_mark_read_of_a_foreign_message_is_not_found(world: World) -> None:
    cid, (_, bob) = await group(world, "alice", "bob")
    other, (carol, _) = await group(world, "carol", "dave")
    foreign = (await world.services.messages.send(carol, other, "x", None)).message.id

    with pytest.raises(InvalidInput) as raised:
        await world.services.messages.mark_read(bob, cid, foreign)
    assert [e.location for e in raised.value.errors] == ["message_id"]


async def test_unread_summary_counts_what_follows_the_watermark(world: World) -> None:
    c1, (alice, bob) = await group(world, "alice", "bob")
    c2 = (
        await world.services.conversations.create(alice, ConversationKind.DIRECT, None, [bob])
    ).view.conversation.id
    await world.services.messages.send(alice, c1, "a", None)
    await world.services.messages.send(alice, c1, "b", None)
    await world.services.messages.send(alice, c2, "c", None)

    before = await world.services.messages.unread_summary(bob)
    await world.services.messages.send(bob, c1, "read them", None)
    after = await world.services.messages.unread_summary(bob)

    assert (before.total_unread, before.per_conversation) == (
        3,
        (Unread(c1, 2, 0), Unread(c2, 1, 0)),
    )
    assert (after.total_unread, after.per_conversation) == (1, (Unread(c2, 1, 0),))
    summary = await world.services.messages.unread_summary(alice)
    assert summary.per_conversation == (Unread(c1, 1, 0),)


async def test_send_that_fails_to_commit_emits_nothing(world: World) -> None:
    cid, (alice, _) = await group(world, "alice", "bob")
    world.failing_commits[0] = True

    with pytest.raises(RuntimeError):
        await world.services.messages.send(alice, cid, "lost", None)

    assert world.ids("messages") == []
    assert world.message_events == []
    assert world.conversation_events == []


async def test_a_send_while_deliveries_are_behind_is_refused_and_stores_nothing(
    world: World,
) -> None:
    cid, (alice, _) = await group(world, "alice", "bob")
    world.backlog.added(world.backlog.high + 1)

    with pytest.raises(Overloaded) as refused:
        await world.services.messages.send(alice, cid, "hi", "key-1")

    assert refused.value.retry_after >= 1
    assert world.ids("messages") == []
    assert world.message_events == []
    assert world.conversation_events == []
    # Once the writers catch up, the same send goes through.
    world.backlog.removed(world.backlog.high + 1)
    sent = await world.services.messages.send(alice, cid, "hi", "key-1")
    assert sent.created
