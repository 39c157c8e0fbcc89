"""A client that was disconnected catches up with no gap and no duplicate.

The client follows the procedure asyncapi.yaml states: on reconnect, join the room
first, then page through `GET .../messages?after=<newest id held>`, merging what the
socket brings by message id. Messages are sent while it is away and while it is
reconnecting, so socket events and the HTTP pages overlap.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.live import Account, SocketUser, connected, create_group, register


async def _send(http: httpx.AsyncClient, who: Account, cid: int, body: str) -> int:
    sent = await http.post(
        f"/conversations/{cid}/messages", headers=who.headers, json={"body": body}
    )
    assert sent.status_code == 201, sent.text
    message_id: int = sent.json()["id"]
    return message_id


class Timeline:
    """What a client holds: messages by id, whichever way they came."""

    def __init__(self) -> None:
        self.messages: dict[int, dict[str, Any]] = {}
        self.duplicates = 0

    def merge(self, message: dict[str, Any]) -> None:
        if message["id"] in self.messages:
            self.duplicates += 1
        self.messages[message["id"]] = message

    def newest(self) -> int:
        return max(self.messages, default=0)

    def take_socket_events(self, socket: SocketUser) -> None:
        for item in socket.events("message_created"):
            self.merge(item.data)

    async def catch_up(self, http: httpx.AsyncClient, who: Account, cid: int) -> None:
        while True:
            page = await http.get(
                f"/conversations/{cid}/messages",
                headers=who.headers,
                params={"after": self.newest(), "limit": 2},
            )
            assert page.status_code == 200, page.text
            for message in page.json()["items"]:
                self.merge(message)
            if not page.json()["has_more"]:
                return


async def test_a_reconnecting_client_misses_nothing_and_keeps_no_duplicate(
    base_url: str, http: httpx.AsyncClient
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cid = await create_group(http, alice, bob, title="Away")
    sent: list[int] = []
    held = Timeline()

    async with connected(base_url, bob) as first:
        assert (await first.join(cid))["ok"] is True
        sent += [await _send(http, alice, cid, f"before {n}") for n in range(3)]
        await first.wait_for("message_created", lambda m: m["id"] == sent[-1])
        held.take_socket_events(first)
    assert sorted(held.messages) == sent

    # Away: these reach no socket of Bob's.
    sent += [await _send(http, alice, cid, f"away {n}") for n in range(5)]

    async def keep_sending() -> list[int]:
        return [await _send(http, alice, cid, f"during {n}") for n in range(8)]

    async with connected(base_url, bob) as second:
        during = asyncio.create_task(keep_sending())
        assert (await second.join(cid))["ok"] is True
        await held.catch_up(http, bob, cid)
        sent += await during
        await second.wait_for("message_created", lambda m: m["id"] == sent[-1])
        held.take_socket_events(second)

    assert sorted(held.messages) == sent, "a gap"
    assert [held.messages[i]["body"] for i in sent][:3] == ["before 0", "before 1", "before 2"]
    assert len(set(sent)) == len(sent) == 16
