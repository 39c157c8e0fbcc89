"""Ids only grow, as the spec says: a deleted row's id is never handed out again.

On a SQLite file and, when configured, on PostgreSQL; and on a SQLite file made by an
older release, whose tables migrations 0003 and 0005 rebuilt without AUTOINCREMENT.
"""

from __future__ import annotations

from pathlib import Path

from service.domain.model import ConversationKind
from tests.integration.test_migrations import migrated_from, rows
from tests.integration.test_storage import Stack, sql_stack


async def _newest_ids(stack: Stack, owner: int, other: int) -> tuple[int, int]:
    services = stack.services
    created = await services.conversations.create(owner, ConversationKind.GROUP, "t", [other])
    cid = created.view.conversation.id
    sent = await services.messages.send(owner, cid, "hi", None)
    return cid, sent.message.id


async def _never_reused(stack: Stack) -> None:
    services = stack.services
    alice = (await services.users.register("alice", "password1", "Alice")).id
    bob = (await services.users.register("bob", "password1", "Bob")).id
    cid, mid = await _newest_ids(stack, alice, bob)
    await services.conversations.delete(alice, cid)  # the newest conversation and message

    next_cid, next_mid = await _newest_ids(stack, alice, bob)

    assert next_cid > cid
    assert next_mid > mid


async def test_the_id_of_a_deleted_newest_row_is_never_handed_out_again(
    database_url: str,
) -> None:
    async with sql_stack(database_url, wipe=True) as stack:
        await _never_reused(stack)


async def test_an_older_sqlite_file_keeps_its_rows_and_gets_ids_that_only_grow(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    engine = await migrated_from(
        url,
        "0005",
        "INSERT INTO users (id, username, display_name, password_hash, created_at)"
        " VALUES (1, 'ann', 'Ann', 'x', '2026-01-01'), (2, 'bo', 'Bo', 'x', '2026-01-01')",
        "INSERT INTO conversations (id, kind, title, created_by, owner_id, created_at,"
        " updated_at, last_seq) VALUES (5, 'group', 't', 1, 1, '2026-01-01', '2026-01-01', 1)",
        "INSERT INTO participants (conversation_id, user_id, joined_at) VALUES"
        " (5, 1, '2026-01-01'), (5, 2, '2026-01-01')",
        "INSERT INTO messages (id, conversation_id, seq, sender_id, body, created_at)"
        " VALUES (9, 5, 1, 1, 'hi', '2026-01-01')",
        "UPDATE conversations SET last_message_id = 9",
    )
    try:
        # Rebuilding a table must not cascade into the tables that refer to it.
        assert await rows(engine, "SELECT conversation_id, user_id FROM participants") == [
            (5, 1),
            (5, 2),
        ]
        assert await rows(engine, "SELECT id, body FROM messages") == [(9, "hi")]
        tables = await rows(
            engine, "SELECT sql FROM sqlite_master WHERE name IN ('conversations', 'messages')"
        )
        assert all("AUTOINCREMENT" in sql for (sql,) in tables), tables
    finally:
        await engine.dispose()

    async with sql_stack(url, wipe=False) as stack:
        services = stack.services
        doomed = await services.conversations.create(1, ConversationKind.GROUP, "d", [2])
        cid = doomed.view.conversation.id
        mid = (await services.messages.send(1, cid, "bye", None)).message.id
        await services.conversations.delete(1, cid)
        next_cid, next_mid = await _newest_ids(stack, 1, 2)
        assert next_cid > cid
        assert next_mid > mid
