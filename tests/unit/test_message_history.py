"""Edit history: every body a message had, the current one last, the last 50 kept, and
nothing left of a deleted one."""

from __future__ import annotations

import pytest

from service.domain.errors import NotFound
from service.domain.model import MAX_MESSAGE_VERSIONS
from tests.unit.conftest import World, group


async def test_each_edit_keeps_the_body_it_replaced_with_since_when_it_stood(
    world: World,
) -> None:
    cid, (alice, bob) = await group(world, "alice", "bob")
    messages = world.services.messages
    sent = (await messages.send(alice, cid, "ten", None)).message
    first = await messages.edit(alice, cid, sent.id, "half past ten")
    second = await messages.edit(alice, cid, sent.id, "eleven")

    history = await messages.history_of(bob, cid, sent.id)

    assert [(v.body, v.since) for v in history] == [
        ("ten", sent.created_at),
        ("half past ten", first.edited_at),
        ("eleven", second.edited_at),
    ]
    never_edited = (await messages.send(bob, cid, "ok", None)).message
    assert [v.body for v in await messages.history_of(alice, cid, never_edited.id)] == ["ok"]


async def test_the_history_keeps_the_last_versions_and_a_deletion_erases_it(
    world: World,
) -> None:
    cid, (alice, bob) = await group(world, "alice", "bob")
    outsider = world.user("mallory")
    messages = world.services.messages
    sent = (await messages.send(alice, cid, "v0", None)).message
    for n in range(1, MAX_MESSAGE_VERSIONS + 5):
        await messages.edit(alice, cid, sent.id, f"v{n}")

    history = await messages.history_of(bob, cid, sent.id)

    last = MAX_MESSAGE_VERSIONS + 4
    assert [v.body for v in history] == [f"v{n}" for n in range(5, last + 1)]
    assert world.sql("SELECT count(*) FROM message_versions") == [(MAX_MESSAGE_VERSIONS - 1,)]
    with pytest.raises(NotFound):
        await messages.history_of(outsider, cid, sent.id)

    await messages.delete(alice, cid, sent.id)

    assert await messages.history_of(bob, cid, sent.id) == ()
    assert world.sql("SELECT count(*) FROM message_versions") == [(0,)]
