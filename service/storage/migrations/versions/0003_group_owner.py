"""Group owner: the creator until they leave, then the longest-standing participant.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", Id, nullable=True))
    # Until now the creator was the owner; a creator who left left nobody in charge,
    # so those groups go to their longest-standing participant.
    op.execute(
        """
        UPDATE conversations SET owner_id = COALESCE(
            (SELECT p.user_id FROM participants p
             WHERE p.conversation_id = conversations.id AND p.user_id = conversations.created_by),
            (SELECT p.user_id FROM participants p
             WHERE p.conversation_id = conversations.id
             ORDER BY p.joined_at, p.user_id LIMIT 1),
            conversations.created_by)
        """
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.alter_column("owner_id", existing_type=Id, nullable=False)
        batch_op.create_foreign_key(
            "fk_conversations_owner_id_users", "users", ["owner_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_constraint("fk_conversations_owner_id_users", type_="foreignkey")
        batch_op.drop_column("owner_id")
