"""Pins (contract 0.7.0): any participant pins and unpins, the list is bounded, and every
participant gets the whole list once per change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.integration.test_send_cost import counted_statements
from tests.live import (
    Account,
    connected,
    create_group,
    live_server,
    register,
    send_message,
    two_groups,
)


async def _send(http: httpx.AsyncClient, sender: Account, cid: int, body: str) -> int:
    message_id: int = (await send_message(http, sender, cid, body))["id"]
    return message_id


def _pins(answer: httpx.Response) -> list[Any]:
    return [(p["message"]["id"], p["pinned_by"]["username"]) for p in answer.json()["pins"]]


async def test_participants_pin_and_unpin_and_everyone_gets_the_whole_list_once(
    http: httpx.AsyncClient, base_url: str
) -> None:
    alice, bob, carol = [await register(http, name) for name in ("alice", "bob", "carol")]
    cid = await create_group(http, alice, bob, carol)
    first, second = await _send(http, alice, cid, "one"), await _send(http, bob, cid, "two")
    async with connected(base_url, carol) as c:
        pin_first = await http.put(f"/conversations/{cid}/pins/{first}", headers=bob.headers)
        pin_second = await http.put(f"/conversations/{cid}/pins/{second}", headers=carol.headers)
        again = await http.put(f"/conversations/{cid}/pins/{first}", headers=alice.headers)
        unpinned = await http.delete(f"/conversations/{cid}/pins/{first}", headers=alice.headers)
        unpin_again = await http.delete(f"/conversations/{cid}/pins/{first}", headers=alice.headers)
        await c.wait_for(
            "pins_updated",
            lambda e: len(e["pins"]) == 1 and e["pins"][0]["message"]["id"] == second,
        )
        await c.barrier()
        listed = await http.get(f"/conversations/{cid}/pins", headers=bob.headers)

    assert _pins(pin_first) == [(first, "bob")]
    assert _pins(pin_second) == [(second, "carol"), (first, "bob")]  # newest pin first
    assert _pins(again) == _pins(pin_second)  # pinned already: nothing changes
    assert _pins(unpinned) == [(second, "carol")]
    assert _pins(unpin_again) == [(second, "carol")]
    # One event per change, each the whole list: pin, pin, unpin (the repeats send none).
    heard = [e.data for e in c.events("pins_updated")]
    assert [[p["message"]["id"] for p in e["pins"]] for e in heard] == [
        [first],
        [second, first],
        [second],
    ]
    assert listed.json() == unpinned.json()


async def test_a_conversation_holds_at_most_max_pins(tmp_path: Path) -> None:
    async with (
        live_server(tmp_path / "chat.db", max_pins=2) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        alice, bob = await register(http, "alice"), await register(http, "bob")
        cid = await create_group(http, alice, bob)
        ids = [await _send(http, alice, cid, f"m{i}") for i in range(3)]
        answers = [
            await http.put(f"/conversations/{cid}/pins/{mid}", headers=bob.headers) for mid in ids
        ]
        listed = await http.get(f"/conversations/{cid}/pins", headers=bob.headers)

    assert [a.status_code for a in answers] == [200, 200, 409]
    assert answers[2].json()["code"] == "conflict"
    assert [p["message"]["id"] for p in listed.json()["pins"]] == [ids[1], ids[0]]


async def test_outsiders_removed_members_and_foreign_messages_are_404_and_change_nothing(
    http: httpx.AsyncClient,
) -> None:
    alice, bob, mallory = [await register(http, name) for name in ("alice", "bob", "mallory")]
    cid = await create_group(http, alice, bob)
    other = await create_group(http, alice, mallory)
    mine = await _send(http, alice, cid, "ours")
    theirs = await _send(http, mallory, other, "theirs")
    removed = await http.delete(
        f"/conversations/{cid}/participants/{bob.id}", headers=alice.headers
    )
    assert removed.status_code == 204

    answers = [
        await http.put(f"/conversations/{cid}/pins/{mine}", headers=bob.headers),
        await http.put(f"/conversations/{cid}/pins/{mine}", headers=mallory.headers),
        await http.get(f"/conversations/{cid}/pins", headers=mallory.headers),
        await http.put(f"/conversations/{cid}/pins/{theirs}", headers=alice.headers),
        await http.delete(f"/conversations/{cid}/pins/{theirs}", headers=alice.headers),
    ]
    ids = [
        await http.put(f"/conversations/{cid}/pins/{bad}", headers=alice.headers)
        for bad in ("0", "-1", str(2**53), "abc")
    ]
    listed = await http.get(f"/conversations/{cid}/pins", headers=alice.headers)

    assert [a.status_code for a in answers] == [404] * 5
    assert [a.status_code for a in ids] == [422] * 4
    assert listed.json()["pins"] == []


async def test_a_deleted_pinned_message_stays_pinned_as_a_tombstone(
    http: httpx.AsyncClient,
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cid = await create_group(http, alice, bob)
    mid = await _send(http, bob, cid, "pin me")
    await http.put(f"/conversations/{cid}/pins/{mid}", headers=alice.headers)
    await http.delete(f"/conversations/{cid}/messages/{mid}", headers=bob.headers)

    listed = await http.get(f"/conversations/{cid}/pins", headers=alice.headers)

    [pin] = listed.json()["pins"]
    assert (pin["message"]["id"], pin["message"]["body"]) == (mid, "")
    assert pin["message"]["deleted_at"] is not None


async def test_a_pin_runs_the_same_statements_whatever_the_group(
    http: httpx.AsyncClient, database: Path
) -> None:
    groups = await two_groups(http, database)
    alice, bob, small, large = groups.alice, groups.bob, groups.small, groups.large

    async def statements(cid: int) -> list[str]:
        warm, counted = await _send(http, bob, cid, "w"), await _send(http, bob, cid, "c")
        await http.put(f"/conversations/{cid}/pins/{warm}", headers=alice.headers)
        with counted_statements() as seen:
            pinned = await http.put(f"/conversations/{cid}/pins/{counted}", headers=alice.headers)
        assert pinned.status_code == 200
        return list(seen)

    assert await statements(small) == await statements(large)
