"""Reactions (contract 0.9.0) on the live service: percent-encoded emojis in the path,
one shared event per change, each viewer's own view over HTTP, the cost, and hostile
input."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx

from tests.integration.test_send_cost import counted_statements
from tests.live import (
    connected,
    create_group,
    register,
    send_message,
    two_groups,
)


def _url(cid: int, mid: int, emoji: str) -> str:
    return f"/conversations/{cid}/messages/{mid}/reactions/{quote(emoji, safe='')}"


async def test_a_reaction_is_one_event_for_the_room_and_each_viewers_own_over_http(
    http: httpx.AsyncClient, base_url: str
) -> None:
    alice, bob, carol = [await register(http, name) for name in ("alice", "bob", "carol")]
    cid = await create_group(http, alice, bob, carol)
    sent = await send_message(http, alice, cid, "Launch at ten?")
    async with connected(base_url, carol) as c:
        await c.call("join_conversation", {"conversation_id": cid})
        added = await http.put(_url(cid, sent["id"], "👍🏽"), headers=bob.headers)
        repeated = await http.put(_url(cid, sent["id"], "👍🏽"), headers=bob.headers)
        heard = await c.wait_for("reaction_updated")
        await c.barrier()
        by_bob = await http.get(f"/conversations/{cid}/messages", headers=bob.headers)
        by_carol = await http.get(f"/conversations/{cid}/messages", headers=carol.headers)
        removed = await http.delete(_url(cid, sent["id"], "👍🏽"), headers=bob.headers)
        gone = await c.wait_for("reaction_updated", lambda event: not event["added"])

    assert added.status_code == repeated.status_code == 200, added.text
    mine = {"emoji": "👍🏽", "count": 1, "user_ids": [bob.id], "reacted": True}
    assert added.json() == {"conversation_id": cid, "message_id": sent["id"], "reactions": [mine]}
    assert repeated.json() == added.json()
    assert heard == {
        "conversation_id": cid,
        "message_id": sent["id"],
        "user_id": bob.id,
        "emoji": "👍🏽",
        "added": True,
        "count": 1,
        "user_ids": [bob.id],
    }
    assert len(c.events("reaction_updated")) == 2  # the repeat sent nothing
    assert by_bob.json()["items"][0]["reactions"] == [mine]
    assert by_carol.json()["items"][0]["reactions"] == [{**mine, "reacted": False}]
    assert removed.json()["reactions"] == []
    assert (gone["count"], gone["user_ids"]) == (0, [])


async def test_a_reaction_costs_the_same_statements_whatever_the_group(
    http: httpx.AsyncClient, database: Path
) -> None:
    groups = await two_groups(http, database)
    alice, bob, small, large = groups.alice, groups.bob, groups.small, groups.large

    async def statements(cid: int) -> tuple[list[str], list[str]]:
        sent = await send_message(http, alice, cid, "react")
        await http.put(_url(cid, sent["id"], "🎉"), headers=alice.headers)
        with counted_statements() as add:
            added = await http.put(_url(cid, sent["id"], "🎉"), headers=bob.headers)
        with counted_statements() as remove:
            removed = await http.delete(_url(cid, sent["id"], "🎉"), headers=bob.headers)
        assert added.status_code == removed.status_code == 200
        return list(add), list(remove)

    add_small, remove_small = await statements(small)
    add_large, remove_large = await statements(large)

    assert add_small == add_large
    assert remove_small == remove_large
    assert len(add_small) <= 12, add_small


async def test_hostile_reactions_are_refused_and_change_nothing(
    http: httpx.AsyncClient, base_url: str
) -> None:
    alice, bob, mallory = [await register(http, name) for name in ("alice", "bob", "mallory")]
    cid = await create_group(http, alice, bob)
    sent = await send_message(http, alice, cid, "hi")
    base = f"/conversations/{cid}/messages/{sent['id']}/reactions/"
    not_emojis = [
        "%E2%9D%A4",  # ❤ without its variation selector: not the fully-qualified form
        "a",
        "%3A%2B1%3A",  # :+1:
        "%F0%9F%91%8D%F0%9F%91%8D",  # two emojis
        "%F0%9F%8F%BD",  # a skin tone alone
        "%E2%80%8D",  # a lone zero-width joiner
        "%F0%9F%91%8D%00",  # NUL after it
        "%FF%FE",  # not UTF-8
        "%F0%9F%91",  # a cut-off sequence
        "x" * 17,  # longer than any emoji
        "%F0%9F%91%8D%20",  # a space after it
        "%E2%80%AE%F0%9F%91%8D",  # a bidi override before it
    ]
    async with connected(base_url, bob) as b:
        await b.call("join_conversation", {"conversation_id": cid})
        refused = [await http.put(base + raw, headers=alice.headers) for raw in not_emojis]
        outsider = await http.put(_url(cid, sent["id"], "👍"), headers=mallory.headers)
        no_message = await http.put(_url(cid, 2**53 - 1, "👍"), headers=alice.headers)
        bad_id = await http.put(f"/conversations/{cid}/messages/0/reactions/x", headers=bob.headers)
        anonymous = await http.put(_url(cid, sent["id"], "👍"))
        await b.barrier()
        history = await http.get(f"/conversations/{cid}/messages", headers=bob.headers)

    assert [r.status_code for r in refused] == [422] * len(not_emojis), [r.text for r in refused]
    assert {r.json()["errors"][0]["location"] for r in refused} == {"path.emoji"}
    assert [outsider.status_code, no_message.status_code] == [404, 404]
    assert [bad_id.status_code, anonymous.status_code] == [422, 401]
    assert b.events("reaction_updated") == []
    assert history.json()["items"][0]["reactions"] == []
