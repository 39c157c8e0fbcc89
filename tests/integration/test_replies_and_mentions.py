"""Replies and mentions (contract 0.8.0) on the live service: what is stored and
answered, who hears what, the badges, the cost, and hostile input."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.integration.test_send_cost import counted_statements
from tests.live import (
    connected,
    create_group,
    register,
    send_message,
    two_groups,
)


def _messages(cid: int) -> str:
    return f"/conversations/{cid}/messages"


async def test_a_reply_with_mentions_reaches_the_mentioned_wherever_they_are(
    http: httpx.AsyncClient, base_url: str
) -> None:
    alice, bob, carol, dave = [
        await register(http, name) for name in ("alice", "bob", "carol", "dave")
    ]
    cid = await create_group(http, alice, bob, carol, dave)
    quoted = await send_message(http, bob, cid, "See you at ten.")
    # Carol and Dave are connected but never joined the conversation's room; Bob did.
    async with (
        connected(base_url, carol) as c,
        connected(base_url, dave) as d,
        connected(base_url, bob) as b,
    ):
        await b.call("join_conversation", {"conversation_id": cid})
        answer = await http.post(
            _messages(cid),
            headers=alice.headers,
            json={"body": "Ten works.", "reply_to": quoted["id"], "mentions": [carol.id, bob.id]},
        )
        heard_by_carol = await c.wait_for("message_mentioned")
        heard_by_bob = await b.wait_for("message_mentioned")
        created = await b.wait_for("message_created")
        await d.barrier()
        await c.barrier()

    assert answer.status_code == 201, answer.text
    reply = answer.json()
    assert reply["reply_to"] == {
        "id": quoted["id"],
        "sender": quoted["sender"],
        "preview": "See you at ten.",
        "deleted": False,
    }
    assert reply["mentions"] == sorted([carol.id, bob.id])
    assert heard_by_carol == heard_by_bob == {"message": reply}
    assert created == reply
    assert len(c.events("message_mentioned")) == len(b.events("message_mentioned")) == 1
    assert d.events("message_mentioned") == []
    assert c.events("message_created") == []  # not joined: only the mention reaches Carol


async def test_mention_badges_count_until_read_over_http_and_events(
    http: httpx.AsyncClient, base_url: str
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cid = await create_group(http, alice, bob)
    mention = {"body": "bob?", "mentions": [bob.id]}
    first = (await http.post(_messages(cid), headers=alice.headers, json=mention)).json()
    await send_message(http, alice, cid, "plain")
    await http.post(_messages(cid), headers=alice.headers, json=mention)

    summary = (await http.get("/me/unread", headers=bob.headers)).json()
    listed = (await http.get("/conversations", headers=bob.headers)).json()["items"][0]
    got = (await http.get(f"/conversations/{cid}", headers=bob.headers)).json()
    async with connected(base_url, bob) as b:
        read = await http.post(
            f"/conversations/{cid}/read", headers=bob.headers, json={"message_id": first["id"]}
        )
        badge = await b.wait_for("unread_count_updated")

    assert summary == {
        "total_unread": 3,
        "total_unread_mentions": 2,
        "conversations": [{"conversation_id": cid, "unread_count": 3, "unread_mentions": 2}],
    }
    assert (listed["unread_mentions"], got["unread_mentions"]) == (2, 2)
    assert read.json()["unread_mentions"] == 1
    assert badge == {
        "conversation_id": cid,
        "unread_count": 2,
        "total_unread": 2,
        "unread_mentions": 1,
        "total_unread_mentions": 1,
    }


async def test_a_reply_or_mention_costs_the_same_statements_whatever_the_group(
    http: httpx.AsyncClient, database: Path
) -> None:
    groups = await two_groups(http, database)
    alice, bob, small, large = groups.alice, groups.bob, groups.small, groups.large

    async def statements(cid: int) -> list[str]:
        quoted = await send_message(http, bob, cid, "first")
        for _ in range(2):  # a long history behind the quoted message changes nothing
            await send_message(http, alice, cid, "filler")
        with counted_statements() as sent:
            answer = await http.post(
                _messages(cid),
                headers=alice.headers,
                json={"body": "re", "reply_to": quoted["id"], "mentions": [bob.id]},
            )
        assert answer.status_code == 201, answer.text
        return list(sent)

    assert await statements(small) == await statements(large)


async def test_hostile_replies_and_mentions_are_refused_and_change_nothing(
    http: httpx.AsyncClient, base_url: str
) -> None:
    alice, bob, carol = [await register(http, name) for name in ("alice", "bob", "carol")]
    cid = await create_group(http, alice, bob)
    elsewhere = await create_group(http, carol, alice)
    foreign = await send_message(http, carol, elsewhere, "not yours to quote")
    gone = await send_message(http, alice, cid, "soon gone")
    await http.delete(f"{_messages(cid)}/{gone['id']}", headers=alice.headers)
    kept = await send_message(http, alice, cid, "kept")
    hostile: dict[str, dict[str, object]] = {
        "reply to another conversation": {"reply_to": foreign["id"]},
        "reply to a deleted message": {"reply_to": gone["id"]},
        "reply to nothing": {"reply_to": 2**53 - 1},
        "reply to zero": {"reply_to": 0},
        "reply to a negative id": {"reply_to": -1},
        "reply to beyond 2^53": {"reply_to": 2**53},
        "reply to a string": {"reply_to": str(kept["id"])},
        "reply to a float": {"reply_to": kept["id"] + 0.5},
        "mention an outsider": {"mentions": [carol.id]},
        "mention nobody who exists": {"mentions": [2**53 - 1]},
        "mention twice": {"mentions": [bob.id, bob.id]},
        "mention 51": {"mentions": list(range(1, 52))},
        "mention a string": {"mentions": [str(bob.id)]},
        "mention a boolean": {"mentions": [True]},
        "mention nested": {"mentions": [[bob.id]]},
        "mentions an object": {"mentions": {"id": bob.id}},
    }
    async with connected(base_url, bob) as b:
        await b.call("join_conversation", {"conversation_id": cid})
        answers = {
            name: await http.post(
                _messages(cid),
                headers={**alice.headers, "content-type": "application/json"},
                content=json.dumps({"body": "hi", **fields}),
            )
            for name, fields in hostile.items()
        }
        await b.barrier()
        history = await http.get(_messages(cid), headers=bob.headers)
        badges = await http.get("/me/unread", headers=bob.headers)

    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert set(statuses.values()) == {422}, statuses
    for name, answer in answers.items():
        field = "body.reply_to" if name.startswith("reply") else "body.mentions"
        location = answer.json()["errors"][0]["location"]
        assert location.startswith(field), (name, location)
    assert b.events("message_created") == b.events("message_mentioned") == []
    assert [m["id"] for m in history.json()["items"]] == [gone["id"], kept["id"]]
    assert badges.json()["total_unread_mentions"] == 0
