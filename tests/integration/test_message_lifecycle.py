"""Editing and deleting messages (contract 0.6.0): who may, what everyone hears, and
that ids, seqs, history and unread counts stay right."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.integration.test_send_cost import counted_statements
from tests.live import (
    connected,
    create_group,
    live_server,
    register,
    send_message,
    tight,
    two_groups,
)


def _url(cid: int, mid: int) -> str:
    return f"/conversations/{cid}/messages/{mid}"


async def test_only_the_author_edits_and_every_participant_hears_it_once(
    http: httpx.AsyncClient, base_url: str
) -> None:
    alice, bob, carol = [await register(http, name) for name in ("alice", "bob", "carol")]
    cid = await create_group(http, alice, bob, carol)
    async with connected(base_url, carol) as c:
        sent = await send_message(http, bob, cid, "See you at ten.")
        edited = await http.patch(
            _url(cid, sent["id"]),
            headers=bob.headers,
            json={"body": "  See you at half past ten. "},
        )
        heard = await c.wait_for("message_updated")
        by_owner = await http.patch(
            _url(cid, sent["id"]), headers=alice.headers, json={"body": "x"}
        )
        by_other = await http.patch(
            _url(cid, sent["id"]), headers=carol.headers, json={"body": "x"}
        )
        await c.barrier()
        history = await http.get(f"/conversations/{cid}/messages", headers=carol.headers)
        listed = await http.get("/conversations", headers=carol.headers)

    assert edited.status_code == 200, edited.text
    message = edited.json()
    assert message["body"] == "See you at half past ten."
    assert message["edited_at"] is not None
    assert message["deleted_at"] is None
    assert (message["id"], message["seq"]) == (sent["id"], sent["seq"])
    assert heard == {"message": message}
    assert len(c.events("message_updated")) == 1
    assert [by_owner.status_code, by_other.status_code] == [403, 403]
    # The history adds what only it gives: the reader's view of the reactions.
    assert history.json()["items"] == [{**message, "reactions": []}]
    assert listed.json()["items"][0]["last_message"]["body"] == "See you at half past ten."


async def test_a_delete_leaves_a_tombstone_and_unread_counts_stay(
    http: httpx.AsyncClient, base_url: str
) -> None:
    alice, bob, carol = [await register(http, name) for name in ("alice", "bob", "carol")]
    cid = await create_group(http, alice, bob, carol)
    first = await send_message(http, bob, cid, "one")
    second = await send_message(http, bob, cid, "two")
    async with connected(base_url, carol) as c:
        by_other = await http.delete(_url(cid, second["id"]), headers=carol.headers)
        by_author = await http.delete(_url(cid, second["id"]), headers=bob.headers)
        heard = await c.wait_for("message_updated")
        again = await http.delete(_url(cid, second["id"]), headers=bob.headers)
        by_owner = await http.delete(_url(cid, first["id"]), headers=alice.headers)
        await c.wait_for("message_updated", lambda e: e["message"]["id"] == first["id"])
        edit_deleted = await http.patch(
            _url(cid, second["id"]), headers=bob.headers, json={"body": "back"}
        )
        await c.barrier()
        history = await http.get(f"/conversations/{cid}/messages", headers=carol.headers)
        unread = await http.get("/me/unread", headers=carol.headers)
        after = await http.get(
            f"/conversations/{cid}/messages?after={first['id']}", headers=carol.headers
        )

    assert [by_other.status_code, by_author.status_code, again.status_code] == [403, 204, 204]
    assert by_owner.status_code == 204
    assert edit_deleted.status_code == 409
    tombstone = heard["message"]
    assert (tombstone["id"], tombstone["seq"], tombstone["body"]) == (second["id"], 2, "")
    assert tombstone["deleted_at"] is not None
    assert len(c.events("message_updated")) == 2  # the repeated delete sent nothing
    items = history.json()["items"]
    assert [(m["id"], m["seq"], m["body"]) for m in items] == [
        (first["id"], 1, ""),
        (second["id"], 2, ""),
    ]
    assert all(m["deleted_at"] is not None for m in items)
    # Deleted unread messages still count until read: unread counts are seq arithmetic.
    assert unread.json()["total_unread"] == 2
    assert [m["id"] for m in after.json()["items"]] == [second["id"]]


async def test_a_removed_member_and_an_outsider_can_neither_edit_nor_delete(
    http: httpx.AsyncClient,
) -> None:
    alice, bob, mallory = [await register(http, name) for name in ("alice", "bob", "mallory")]
    cid = await create_group(http, alice, bob)
    sent = await send_message(http, bob, cid, "mine")
    other = await create_group(http, alice, mallory)
    removed = await http.delete(
        f"/conversations/{cid}/participants/{bob.id}", headers=alice.headers
    )
    assert removed.status_code == 204

    answers = [
        await http.patch(_url(cid, sent["id"]), headers=bob.headers, json={"body": "x"}),
        await http.delete(_url(cid, sent["id"]), headers=bob.headers),
        await http.delete(_url(cid, sent["id"]), headers=mallory.headers),
        # A message id of another conversation names nothing in this one.
        await http.delete(_url(other, sent["id"]), headers=alice.headers),
        await http.patch(
            _url(cid, 9_007_199_254_740_991), headers=alice.headers, json={"body": "x"}
        ),
    ]
    history = await http.get(f"/conversations/{cid}/messages", headers=alice.headers)

    assert [a.status_code for a in answers] == [404, 404, 404, 404, 404]
    assert {a.json()["code"] for a in answers} == {"not_found"}
    assert history.json()["items"][0]["body"] == "mine"


async def test_edits_and_deletes_are_rate_limited_per_user(tmp_path: Path) -> None:
    async with (
        live_server(tmp_path / "chat.db", rate_edit=tight(2)) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        alice, bob = await register(http, "alice"), await register(http, "bob")
        cid = await create_group(http, alice, bob)
        sent = await send_message(http, alice, cid, "hi")
        answers = [
            await http.patch(_url(cid, sent["id"]), headers=alice.headers, json={"body": "a"}),
            await http.patch(_url(cid, sent["id"]), headers=alice.headers, json={"body": "b"}),
            await http.delete(_url(cid, sent["id"]), headers=alice.headers),
            await http.patch(_url(cid, sent["id"]), headers=bob.headers, json={"body": "c"}),
        ]
        history = await http.get(f"/conversations/{cid}/messages", headers=bob.headers)

    assert [a.status_code for a in answers] == [200, 200, 429, 403]
    assert answers[2].headers["Retry-After"]
    assert history.json()["items"][0]["body"] == "b"


async def test_an_edit_or_delete_runs_the_same_statements_whatever_the_group(
    http: httpx.AsyncClient, database: Path
) -> None:
    groups = await two_groups(http, database)
    alice, bob, small, large = groups.alice, groups.bob, groups.small, groups.large

    async def statements(cid: int) -> tuple[list[str], list[str]]:
        messages = [await send_message(http, bob, cid, f"m{i}") for i in range(3)]
        await http.patch(_url(cid, messages[0]["id"]), headers=bob.headers, json={"body": "w"})
        with counted_statements() as edit:
            edited = await http.patch(
                _url(cid, messages[1]["id"]), headers=bob.headers, json={"body": "e"}
            )
        # The owner deleting another's message: the heavier path, with the owner check.
        with counted_statements() as delete:
            deleted = await http.delete(_url(cid, messages[2]["id"]), headers=alice.headers)
        assert edited.status_code == 200
        assert deleted.status_code == 204
        return list(edit), list(delete)

    edit_small, delete_small = await statements(small)
    edit_large, delete_large = await statements(large)

    assert edit_small == edit_large
    assert delete_small == delete_large
    assert len(edit_small) <= 8, edit_small
    assert len(delete_small) <= 10, delete_small


async def test_the_edit_history_over_http_for_participants_only(
    http: httpx.AsyncClient,
) -> None:
    alice, bob, mallory = [await register(http, name) for name in ("alice", "bob", "mallory")]
    cid = await create_group(http, alice, bob)
    sent = await send_message(http, alice, cid, "See you at ten.")
    url = _url(cid, sent["id"])
    edited = await http.patch(url, headers=alice.headers, json={"body": "At half past."})

    history = await http.get(f"{url}/history", headers=bob.headers)
    outsider = await http.get(f"{url}/history", headers=mallory.headers)
    hostile = [
        await http.get(f"/conversations/{cid}/messages/{bad}/history", headers=bob.headers)
        for bad in ("0", "-1", str(2**53), "abc")
    ]
    await http.delete(url, headers=alice.headers)
    erased = await http.get(f"{url}/history", headers=bob.headers)

    assert history.json() == {
        "conversation_id": cid,
        "message_id": sent["id"],
        "versions": [
            {"body": "See you at ten.", "since": sent["created_at"]},
            {"body": "At half past.", "since": edited.json()["edited_at"]},
        ],
    }
    assert outsider.status_code == 404
    assert [r.status_code for r in hostile] == [422] * 4
    assert erased.json()["versions"] == []


HOSTILE_EDITS: list[tuple[str, bytes]] = [
    ("blank", b'{"body": "   "}'),
    ("empty", b'{"body": ""}'),
    ("nul", b'{"body": "a\\u0000b"}'),
    ("terminal escape", b'{"body": "a\\u001b[31mred"}'),
    ("bidi override", b'{"body": "\\u202eevil"}'),
    ("too long", b'{"body": "' + b"x" * 4001 + b'"}'),
    ("not a string", b'{"body": 5}'),
    ("unknown field", b'{"body": "ok", "sender_id": 1}'),
    ("deep", b'{"body": ' + b"[" * 500 + b"]" * 500 + b"}"),
    ("not json", b'{"body": "ok"'),
    ("lone surrogate", b'{"body": "\\ud800"}'),
]


async def test_hostile_edits_and_ids_are_refused_and_change_nothing(
    http: httpx.AsyncClient, base_url: str
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cid = await create_group(http, alice, bob)
    sent = await send_message(http, alice, cid, "as sent")
    headers = {**alice.headers, "content-type": "application/json"}
    async with connected(base_url, bob) as b:
        bodies = {
            name: await http.patch(_url(cid, sent["id"]), content=raw, headers=headers)
            for name, raw in HOSTILE_EDITS
        }
        ids = [
            await http.delete(f"/conversations/{cid}/messages/{bad}", headers=alice.headers)
            for bad in ("0", "-1", str(2**53), "abc", "1e3", "%00")
        ]
        await b.barrier()
        history = await http.get(f"/conversations/{cid}/messages", headers=bob.headers)

    statuses = {name: response.status_code for name, response in bodies.items()}
    assert all(400 <= status < 500 for status in statuses.values()), statuses
    unreadable = {"not json", "lone surrogate"}  # not JSON a parser can read: 400
    assert {name for name, status in statuses.items() if status == 400} == unreadable
    assert {s for n, s in statuses.items() if n not in unreadable} == {422}
    assert [r.status_code for r in ids] == [422] * 6
    assert b.events("message_updated") == []
    assert history.json()["items"] == [{**sent, "reactions": []}]
