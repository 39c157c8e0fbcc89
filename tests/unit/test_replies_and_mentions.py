"""Replies quote a message as it stands; mentions name participants and count until read."""

from __future__ import annotations

import pytest

from service.domain.errors import InvalidInput
from service.domain.events import MessageMentioned, UnreadCountUpdated
from service.domain.model import ConversationKind, Quote, Unread
from tests.unit.conftest import World, group


async def _history(world: World, user_id: int, cid: int) -> list[tuple[int, Quote | None]]:
    page = await world.services.messages.history(user_id, cid, None, None, 50)
    return [(m.id, m.reply_to) for m in page.items]


async def test_a_reply_quotes_the_message_as_it_stands_through_edits_and_deletion(
    world: World,
) -> None:
    cid, (alice, bob) = await group(world, "alice", "bob")
    messages = world.services.messages
    long_body = "x" * 90 + "é" * 20  # the preview counts characters, not bytes
    quoted = (await messages.send(alice, cid, long_body, None)).message
    reply = (await messages.send(bob, cid, "agreed", None, reply_to=quoted.id)).message

    alice_ref = world.ref(alice)
    assert reply.reply_to == Quote(quoted.id, alice_ref, "x" * 90 + "é" * 10, deleted=False)
    assert await _history(world, bob, cid) == [(quoted.id, None), (reply.id, reply.reply_to)]

    await messages.edit(alice, cid, quoted.id, "ten it is")
    assert (await _history(world, alice, cid))[1] == (
        reply.id,
        Quote(quoted.id, alice_ref, "ten it is", deleted=False),
    )

    await messages.delete(alice, cid, quoted.id)
    assert (await _history(world, bob, cid))[1] == (
        reply.id,
        Quote(quoted.id, alice_ref, "", deleted=True),
    )


async def test_a_reply_to_a_deleted_or_foreign_message_is_refused_and_stores_nothing(
    world: World,
) -> None:
    cid, (alice, bob) = await group(world, "alice", "bob")
    other, (carol, _) = await group(world, "carol", "dave")
    messages = world.services.messages
    gone = (await messages.send(alice, cid, "oops", None)).message.id
    await messages.delete(alice, cid, gone)
    foreign = (await messages.send(carol, other, "elsewhere", None)).message.id
    stored = world.ids("messages")
    world.clear_events()

    for reply_to in (gone, foreign, stored[-1] + 1000):
        with pytest.raises(InvalidInput) as raised:
            await messages.send(bob, cid, "re", None, reply_to=reply_to)
        assert [e.location for e in raised.value.errors] == ["reply_to"]

    assert world.ids("messages") == stored
    assert world.events.events == []


async def test_mentions_must_be_participants_each_once_and_refusals_store_nothing(
    world: World,
) -> None:
    cid, (alice, bob) = await group(world, "alice", "bob")
    carol = world.user("carol")  # exists, but is not in the conversation
    stored = world.ids("messages")

    for mentions in ([bob, carol], [bob, bob], [carol + 1000]):
        with pytest.raises(InvalidInput) as raised:
            await world.services.messages.send(alice, cid, "hey", None, mentions=mentions)
        assert [e.location for e in raised.value.errors] == ["mentions"]

    assert world.ids("messages") == stored
    assert world.sql("SELECT count(*) FROM mentions") == [(0,)]
    assert world.events.events == []


async def test_a_mention_tells_the_mentioned_users_but_the_sender_once(world: World) -> None:
    cid, (alice, bob, carol, dave) = await group(world, "alice", "bob", "carol", "dave")

    sent = await world.services.messages.send(
        alice, cid, "both of you", None, mentions=[carol, bob]
    )
    alone = await world.services.messages.send(alice, cid, "note to self", None, mentions=[alice])
    plain = await world.services.messages.send(alice, cid, "nobody", None)

    assert sent.message.mentions == (bob, carol)  # ascending, as stored
    assert world.events.of(MessageMentioned) == [MessageMentioned(sent.message)]
    assert MessageMentioned(sent.message).user_ids == (bob, carol)  # not dave, not alice
    assert (alone.message.mentions, plain.message.mentions) == ((alice,), ())
    assert dave not in sent.message.mentions


async def test_unread_mentions_count_until_read_and_a_deletion_does_not_uncount(
    world: World,
) -> None:
    cid, (alice, bob) = await group(world, "alice", "bob")
    direct = (
        await world.services.conversations.create(alice, ConversationKind.DIRECT, None, [bob])
    ).view.conversation.id
    messages = world.services.messages
    first = (await messages.send(alice, cid, "bob?", None, mentions=[bob])).message
    await messages.send(alice, cid, "anyone", None)
    second = (await messages.send(alice, cid, "bob!", None, mentions=[bob])).message
    await messages.send(alice, direct, "psst bob", None, mentions=[bob])
    await messages.delete(alice, cid, second.id)  # still unread, still counted
    world.clear_events()

    summary = await messages.unread_summary(bob)
    view = await world.services.conversations.get(bob, cid)
    listed = await world.services.conversations.list_for(bob, 10, None, None)
    assert (summary.total_unread, summary.total_mentions) == (4, 3)
    assert summary.per_conversation == (Unread(cid, 3, 2), Unread(direct, 1, 1))
    assert view.unread_mentions == 2
    assert {v.conversation.id: v.unread_mentions for v in listed.items} == {cid: 2, direct: 1}
    assert (await messages.unread_summary(alice)).total_mentions == 0

    state = await messages.mark_read(bob, cid, first.id)

    assert (state.unread_count, state.unread_mentions) == (2, 1)
    assert world.events.of(UnreadCountUpdated) == [UnreadCountUpdated(bob, cid, 2, 3, 1, 2)]
    again = await messages.mark_read(bob, cid, first.id)  # nothing moves: same badges
    assert (again.unread_count, again.unread_mentions) == (2, 1)


async def test_a_member_added_later_does_not_count_earlier_mentions(world: World) -> None:
    cid, (alice, bob) = await group(world, "alice", "bob")
    await world.services.messages.send(alice, cid, "bob, look", None, mentions=[bob])
    await world.services.conversations.remove_participant(alice, cid, bob)
    await world.services.conversations.add_participants(alice, cid, [bob])

    assert (await world.services.conversations.get(bob, cid)).unread_mentions == 0
    assert (await world.services.messages.unread_summary(bob)).total_mentions == 0
