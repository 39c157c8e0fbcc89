"""What a send and a handshake cost the database: constant work, few transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, event

from tests.live import Account, connected, create_group, insert_users, register


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    """Every SQL statement any engine of this process runs meanwhile."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def _statements_of(send: Callable[[], Awaitable[httpx.Response]]) -> list[str]:
    await send()  # warm: the first use of a statement compiles it
    with counted_statements() as seen:
        response = await send()
    assert response.status_code == 201, response.text
    return list(seen)


def _backlog(database: Path, conversation_id: int, sender: int, count: int) -> None:
    """`count` messages nobody else has read, written straight to the file."""
    with sqlite3.connect(database) as db:
        db.executemany(
            "INSERT INTO messages (conversation_id, seq, sender_id, body, created_at)"
            " VALUES (?, ?, ?, 'old', '2026-01-01 00:00:00')",
            [(conversation_id, seq, sender) for seq in range(1, count + 1)],
        )
        db.execute(
            "UPDATE conversations SET last_seq = ?,"
            " last_message_id = (SELECT MAX(id) FROM messages) WHERE id = ?",
            (count, conversation_id),
        )
        db.execute(
            "UPDATE participants SET last_read_seq = ? WHERE conversation_id = ? AND user_id = ?",
            (count, conversation_id, sender),
        )


async def test_a_send_runs_the_same_statements_whatever_the_group_or_backlog(
    http: httpx.AsyncClient, database: Path
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    crowd = insert_users(database, 499)
    small = await create_group(http, alice, bob, Account(crowd[0].id, "", ""))
    large = await create_group(http, alice, *crowd[:199])
    for batch in (crowd[199:399], crowd[399:]):  # at most 256 per request
        added = await http.post(
            f"/conversations/{large}/participants",
            headers=alice.headers,
            json={"user_ids": [u.id for u in batch]},
        )
        assert added.status_code == 200
    behind = await create_group(http, alice, bob)
    _backlog(database, behind, alice.id, 10_000)

    def sending(conversation_id: int) -> Callable[[], Awaitable[httpx.Response]]:
        url = f"/conversations/{conversation_id}/messages"
        return lambda: http.post(url, headers=alice.headers, json={"body": "hi"})

    to_three = await _statements_of(sending(small))
    to_five_hundred = await _statements_of(sending(large))
    over_a_backlog = await _statements_of(sending(behind))

    assert to_three == to_five_hundred == over_a_backlog
    # One transaction for the token check, one for the send: BEGIN, the seq with the
    # membership check and the sender, the insert, two watermark updates.
    assert len(to_three) <= 7, to_three
    assert not any("count(" in statement.lower() for statement in to_three)
    # Participants are only ever read one at a time (the sender), never all of them.
    for statement in to_three:
        if "participants" in statement and not statement.startswith(("UPDATE", "INSERT")):
            assert "participants.user_id = ?" in statement, statement
    unread = await http.get("/me/unread", headers=bob.headers)
    assert unread.json()["total_unread"] == 10_002 + 2


async def test_a_handshake_reads_the_token_and_the_rooms_in_one_transaction(
    http: httpx.AsyncClient, base_url: str
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    await create_group(http, alice, bob)
    trace: list[str] = []

    def begin(_conn: Any) -> None:
        trace.append("BEGIN")

    def statement(_conn: Any, _cursor: Any, text: str, *_args: Any) -> None:
        trace.append(text)

    event.listen(Engine, "begin", begin)
    event.listen(Engine, "before_cursor_execute", statement)
    try:
        async with connected(base_url, alice):
            pass
    finally:
        event.remove(Engine, "before_cursor_execute", statement)
        event.remove(Engine, "begin", begin)

    token_check = next(i for i, s in enumerate(trace) if "revoked_tokens" in s)
    rest = trace[token_check + 1 :]
    same_transaction = rest[: rest.index("BEGIN")] if "BEGIN" in rest else rest
    assert any("FROM participants" in s for s in same_transaction), trace
