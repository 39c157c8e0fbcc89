"""Reactions: who may, the caps, what each viewer sees, and the one event per change."""

from __future__ import annotations

import pytest

from service.domain.errors import Conflict, InvalidInput, NotFound
from service.domain.events import ReactionChanged
from service.domain.model import (
    MAX_REACTIONS_PER_MESSAGE,
    MAX_REACTIONS_PER_USER,
    REACTION_USERS_SHOWN,
    Reaction,
)
from tests.unit.conftest import World, group

# Fully-qualified emojis, each one reaction: 20 faces, then more.
FACES = [chr(cp) for cp in range(0x1F600, 0x1F600 + 30)]


async def test_each_viewer_sees_counts_first_users_and_their_own_and_one_event_per_change(
    world: World,
) -> None:
    cid, (alice, bob, carol) = await group(world, "alice", "bob", "carol")
    reactions = world.services.reactions
    mid = (await world.services.messages.send(alice, cid, "launch at ten", None)).message.id
    world.clear_events()

    await reactions.add(bob, cid, mid, "👍")
    await reactions.add(carol, cid, mid, "🎉")
    seen_by_carol = await reactions.add(carol, cid, mid, "👍")
    again = await reactions.add(carol, cid, mid, "👍")  # a repeat changes nothing

    assert seen_by_carol == again
    assert seen_by_carol.reactions == (
        Reaction("👍", 2, (bob, carol), reacted=True),
        Reaction("🎉", 1, (carol,), reacted=True),
    )
    page = await world.services.messages.history(alice, cid, None, None, 50)
    assert page.reactions[mid] == (
        Reaction("👍", 2, (bob, carol), reacted=False),
        Reaction("🎉", 1, (carol,), reacted=False),
    )
    assert world.events.of(ReactionChanged) == [
        ReactionChanged(cid, mid, bob, "👍", True, 1, (bob,)),
        ReactionChanged(cid, mid, carol, "🎉", True, 1, (carol,)),
        ReactionChanged(cid, mid, carol, "👍", True, 2, (bob, carol)),
    ]
    world.clear_events()

    after = await reactions.remove(bob, cid, mid, "👍")
    await reactions.remove(bob, cid, mid, "👍")  # gone already: nothing
    last = await reactions.remove(carol, cid, mid, "🎉")

    assert after.reactions[0] == Reaction("👍", 1, (carol,), reacted=False)
    assert [r.emoji for r in last.reactions] == ["👍"]
    assert world.events.of(ReactionChanged) == [
        ReactionChanged(cid, mid, bob, "👍", False, 1, (carol,)),
        ReactionChanged(cid, mid, carol, "🎉", False, 0, ()),
    ]


async def test_a_reaction_lists_only_its_first_users_and_counts_them_all(world: World) -> None:
    names = [f"user{i}" for i in range(REACTION_USERS_SHOWN + 3)]
    cid, users = await group(world, "owner", *names)
    mid = (await world.services.messages.send(users[0], cid, "vote", None)).message.id
    for user in users[1:]:
        await world.services.reactions.add(user, cid, mid, "✅")

    seen = await world.services.reactions.add(users[0], cid, mid, "✅")

    (reaction,) = seen.reactions
    assert reaction.count == len(users)
    assert reaction.user_ids == tuple(users[1 : REACTION_USERS_SHOWN + 1])


async def test_reactions_are_capped_per_user_and_per_message(world: World) -> None:
    cid, (alice, bob, carol) = await group(world, "alice", "bob", "carol")
    reactions = world.services.reactions
    mid = (await world.services.messages.send(alice, cid, "react", None)).message.id
    for face in FACES[:MAX_REACTIONS_PER_USER]:
        await reactions.add(alice, cid, mid, face)
    with pytest.raises(Conflict):
        await reactions.add(alice, cid, mid, FACES[MAX_REACTIONS_PER_USER])
    for face in FACES[MAX_REACTIONS_PER_USER:MAX_REACTIONS_PER_MESSAGE]:
        await reactions.add(bob, cid, mid, face)
    world.clear_events()

    with pytest.raises(Conflict):
        await reactions.add(carol, cid, mid, FACES[MAX_REACTIONS_PER_MESSAGE])
    # An emoji already on the message is no new reaction: anyone may still add it.
    joined = await reactions.add(carol, cid, mid, FACES[0])

    assert len(joined.reactions) == MAX_REACTIONS_PER_MESSAGE
    assert len(world.events.of(ReactionChanged)) == 1


async def test_only_fully_qualified_emojis_and_only_participants_on_standing_messages(
    world: World,
) -> None:
    cid, (alice, bob) = await group(world, "alice", "bob")
    outsider = world.user("mallory")
    reactions = world.services.reactions
    mid = (await world.services.messages.send(alice, cid, "hi", None)).message.id
    gone = (await world.services.messages.send(alice, cid, "bye", None)).message.id
    await world.services.messages.delete(alice, cid, gone)
    world.clear_events()

    for not_one in ("❤", "a", ":+1:", "👍👍", "👍 ", "🏽", "\u200d", "👍\x00"):
        with pytest.raises(InvalidInput) as raised:
            await reactions.add(bob, cid, mid, not_one)
        assert [e.location for e in raised.value.errors] == ["emoji"]
    with pytest.raises(NotFound):
        await reactions.add(outsider, cid, mid, "👍")
    with pytest.raises(NotFound):
        await reactions.remove(outsider, cid, mid, "👍")
    with pytest.raises(Conflict):
        await reactions.add(bob, cid, gone, "👍")

    assert world.sql("SELECT count(*) FROM reactions") == [(0,)]
    assert world.events.events == []
