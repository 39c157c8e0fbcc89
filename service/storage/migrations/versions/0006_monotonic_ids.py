"""Ids that only grow on SQLite again: AUTOINCREMENT back on conversations and messages.

Revisions 0003 and 0005 rebuilt both tables (SQLite alters a table by copying it) from
their reflection, which does not carry AUTOINCREMENT; SQLite then handed the ids of
deleted rows out again, so an "after id N" cursor or a client's cache could meet a
different object under an old id. Rebuilding once more with AUTOINCREMENT makes every
id from here on larger than any id the table holds; ids of rows deleted before this
revision, above today's largest, cannot be known and are not reserved. PostgreSQL's
identity sequences never went back: nothing to do there.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("conversations", "messages")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in _TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass


def downgrade() -> None:
    """Nothing to undo: AUTOINCREMENT only keeps ids from being reused."""
