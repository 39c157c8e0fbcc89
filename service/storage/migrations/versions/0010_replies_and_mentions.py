"""Replies and mentions: the message a message answers, the users it mentions, and one
row per mention to count a user's unread mentions from an index.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Nullable columns need no table rebuild on SQLite. The quoted message is read by its
    # primary key (no index needed), and messages go only with their whole conversation,
    # so the reference never dangles (no foreign key to order deletes by).
    op.add_column("messages", sa.Column("reply_to_id", Id, nullable=True))
    op.add_column("messages", sa.Column("mentions", sa.Text(), nullable=True))
    op.create_table(
        "mentions",
        sa.Column("user_id", Id, nullable=False),
        sa.Column("conversation_id", Id, nullable=False),
        sa.Column("seq", Id, nullable=False),
        sa.Column("message_id", Id, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "conversation_id", "seq"),
    )


def downgrade() -> None:
    op.drop_table("mentions")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("mentions")
        batch.drop_column("reply_to_id")
