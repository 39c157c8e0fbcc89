"""Edit history: the earlier bodies of a message, each with since when it stood.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "message_versions",
        sa.Column("id", Id, nullable=False, autoincrement=True),
        sa.Column("message_id", Id, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_message_versions_message", "message_versions", ["message_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_message_versions_message", table_name="message_versions")
    op.drop_table("message_versions")
