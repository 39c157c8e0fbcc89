from __future__ import annotations

import pytest

from service.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.domain.events import (
    ConversationCreated,
    ConversationDeleted,
    ConversationUpdated,
    RemovalReason,
)
from service.domain.model import ConversationKind
from tests.unit.conftest import World, unread

GROUP = ConversationKind.GROUP
DIRECT = ConversationKind.DIRECT


async def test_create_group_notifies_each_participant_once(world: World) -> None:
    alice, bob, carol = world.user("alice"), world.user("bob"), world.user("carol")

    result = await world.services.conversations.create(alice, GROUP, " Plans ", [bob, carol])

    conversation = result.view.conversation
    assert result.created
    assert conversation.title == "Plans"
    assert conversation.participant_ids == (alice, bob, carol)
    assert world.conversation_events == [ConversationCreated(conversation, (alice, bob, carol))]


async def test_create_direct_twice_returns_the_existing_one_silently(world: World) -> None:
    alice, bob = world.user("alice"), world.user("bob")
    first = await world.services.conversations.create(alice, DIRECT, None, [bob])
    world.clear_events()

    again = await world.services.conversations.create(bob, DIRECT, None, [alice])

    assert not again.created
    assert again.view.conversation.id == first.view.conversation.id
    assert world.conversation_events == []


@pytest.mark.parametrize(
    ("kind", "title", "others"),
    [
        (DIRECT, "no titles", ["bob"]),
        (DIRECT, None, ["bob", "carol"]),
        (GROUP, None, ["bob"]),
        (GROUP, "   ", ["bob"]),
        (GROUP, "nul\x00", ["bob"]),
        (GROUP, "dupes", ["bob", "bob"]),
    ],
)
async def test_create_refuses_broken_rules_and_changes_nothing(
    world: World, kind: ConversationKind, title: str | None, others: list[str | int]
) -> None:
    ids = {"alice": world.user("alice"), "bob": world.user("bob"), "carol": world.user("carol")}
    participant_ids = [ids[o] if isinstance(o, str) else o for o in others]

    with pytest.raises(InvalidInput):
        await world.services.conversations.create(ids["alice"], kind, title, participant_ids)

    assert world.ids("conversations") == []
    assert world.conversation_events == []


async def test_direct_with_oneself_is_a_note_to_self(world: World) -> None:
    alice = world.user("alice")

    first = await world.services.conversations.create(alice, DIRECT, None, [alice])
    again = await world.services.conversations.create(alice, DIRECT, None, [alice])

    assert first.view.conversation.participant_ids == (alice,)
    assert (first.created, again.created) == (True, False)
    assert again.view.conversation.id == first.view.conversation.id


async def test_unknown_participants_are_invalid_input_naming_the_field(world: World) -> None:
    alice, bob = world.user("alice"), world.user("bob")

    with pytest.raises(InvalidInput) as raised:
        await world.services.conversations.create(alice, GROUP, "ghosts", [bob, 999])
    assert [e.location for e in raised.value.errors] == ["participant_ids"]

    assert world.ids("conversations") == []


async def test_outsider_cannot_see_or_join_a_conversation(world: World) -> None:
    alice, bob, eve = world.user("alice"), world.user("bob"), world.user("eve")
    created = await world.services.conversations.create(alice, GROUP, "x", [bob])
    cid = created.view.conversation.id

    with pytest.raises(NotFound):
        await world.services.conversations.get(eve, cid)
    with pytest.raises(NotFound):
        await world.services.conversations.ensure_participant(eve, cid)
    await world.services.conversations.ensure_participant(bob, cid)


async def test_rename_notifies_participants_and_refuses_direct(world: World) -> None:
    alice, bob = world.user("alice"), world.user("bob")
    group = (await world.services.conversations.create(alice, GROUP, "old", [bob])).view
    direct = (await world.services.conversations.create(alice, DIRECT, None, [bob])).view
    world.clear_events()

    renamed = await world.services.conversations.rename(bob, group.conversation.id, "new")

    assert renamed.conversation.title == "new"
    assert world.conversation_events == [
        ConversationUpdated(
            group.conversation.id, "new", alice, renamed.conversation.updated_at, (), ()
        )
    ]
    with pytest.raises(Conflict):
        await world.services.conversations.rename(alice, direct.conversation.id, "x")


async def test_only_the_owner_deletes_a_group(world: World) -> None:
    alice, bob = world.user("alice"), world.user("bob")
    cid = (await world.services.conversations.create(alice, GROUP, "x", [bob])).view.conversation.id
    world.clear_events()

    with pytest.raises(Forbidden):
        await world.services.conversations.delete(bob, cid)
    assert cid in world.ids("conversations")

    await world.services.conversations.delete(alice, cid)

    assert cid not in world.ids("conversations")
    assert world.conversation_events == [
        ConversationDeleted(cid, (alice, bob), RemovalReason.DELETED)
    ]


async def test_added_participants_get_created_others_get_updated(world: World) -> None:
    alice, bob, carol = world.user("alice"), world.user("bob"), world.user("carol")
    cid = (await world.services.conversations.create(alice, GROUP, "x", [bob])).view.conversation.id
    await world.services.messages.send(alice, cid, "before carol", None)
    world.clear_events()

    view = await world.services.conversations.add_participants(bob, cid, [carol, alice])

    assert view.conversation.participant_ids == (alice, bob, carol)
    created, updated = world.conversation_events
    assert created == ConversationCreated(view.conversation, (carol,))
    assert isinstance(updated, ConversationUpdated)
    assert updated.added == (world.ref(carol),)
    # Carol joins with the history read: nothing unread for her.
    carols = await world.services.conversations.get(carol, cid)
    assert (unread(carols), carols.last_read_seq) == (0, 1)


async def test_remove_participant_rules_and_events(world: World) -> None:
    alice, bob, carol = world.user("alice"), world.user("bob"), world.user("carol")
    cid = (
        await world.services.conversations.create(alice, GROUP, "x", [bob, carol])
    ).view.conversation.id
    world.clear_events()

    with pytest.raises(Forbidden):
        await world.services.conversations.remove_participant(bob, cid, carol)
    await world.services.conversations.remove_participant(alice, cid, carol)

    deleted, updated = world.conversation_events
    assert deleted == ConversationDeleted(cid, (carol,), RemovalReason.REMOVED)
    assert isinstance(updated, ConversationUpdated)
    assert (updated.added, updated.removed) == ((), (carol,))
    with pytest.raises(NotFound):
        await world.services.conversations.get(carol, cid)


async def test_last_participant_leaving_deletes_the_conversation(world: World) -> None:
    alice = world.user("alice")
    cid = (await world.services.conversations.create(alice, GROUP, "solo", [alice])).view
    conversation_id = cid.conversation.id

    await world.services.conversations.remove_participant(alice, conversation_id, alice)

    assert conversation_id not in world.ids("conversations")


async def test_failed_commit_emits_nothing(world: World) -> None:
    alice, bob = world.user("alice"), world.user("bob")
    world.failing_commits[0] = True

    with pytest.raises(RuntimeError):
        await world.services.conversations.create(alice, GROUP, "x", [bob])

    assert world.conversation_events == []
    assert world.ids("conversations") == []


async def test_list_pages_by_activity_with_cursor(world: World) -> None:
    alice, bob = world.user("alice"), world.user("bob")
    ids = [
        (
            await world.services.conversations.create(alice, GROUP, f"c{i}", [bob])
        ).view.conversation.id
        for i in range(5)
    ]
    await world.services.messages.send(bob, ids[0], "bump", None)

    first = await world.services.conversations.list_for(alice, 2, None, None)
    assert first.next_cursor is not None
    second = await world.services.conversations.list_for(alice, 10, first.next_cursor, None)

    order = [v.conversation.id for v in first.items + second.items]
    assert order == [ids[0], ids[4], ids[3], ids[2], ids[1]]
    assert second.next_cursor is None
    assert unread(first.items[0]) == 1


async def test_an_owner_who_leaves_hands_the_group_to_the_longest_standing_member(
    world: World,
) -> None:
    alice, bob, carol, dave = (world.user(n) for n in ("alice", "bob", "carol", "dave"))
    conversations = world.services.conversations
    cid = (await conversations.create(bob, GROUP, "x", [dave])).view.conversation.id
    # Alice has the lowest id but joined after Dave: Dave has stood longest.
    await conversations.add_participants(bob, cid, [alice, carol])
    world.clear_events()

    await conversations.remove_participant(bob, cid, bob)

    _, updated = world.conversation_events
    assert isinstance(updated, ConversationUpdated)
    assert updated.owner_id == dave
    with pytest.raises(Forbidden):
        await conversations.remove_participant(alice, cid, carol)
    await conversations.remove_participant(dave, cid, carol)
    assert (await conversations.get(alice, cid)).conversation.participant_ids == (alice, dave)
