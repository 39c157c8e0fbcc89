"""Per-conversation sequence numbers: unread counts by subtraction, never by COUNT.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", Id, nullable=True))
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seq", Id, server_default="0", nullable=False))
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_read_seq", Id, server_default="0", nullable=False))
    # Existing messages are numbered in id order, which is their commit order.
    op.execute(
        """
        UPDATE messages SET seq = ranked.n
        FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY conversation_id ORDER BY id) AS n
              FROM messages) AS ranked
        WHERE messages.id = ranked.id
        """
    )
    op.execute(
        """
        UPDATE conversations SET last_seq = COALESCE(
            (SELECT MAX(m.seq) FROM messages m WHERE m.conversation_id = conversations.id), 0)
        """
    )
    # From now on, sending marks a conversation read for the sender: a watermark
    # behind the participant's own newest message moves up to it.
    op.execute(
        """
        UPDATE participants SET last_read_seq = COALESCE((
            SELECT MAX(m.seq) FROM messages m
            WHERE m.conversation_id = participants.conversation_id
              AND (m.id = participants.last_read_message_id
                   OR m.sender_id = participants.user_id)), 0)
        """
    )
    op.execute(
        """
        UPDATE participants SET last_read_message_id = (
            SELECT m.id FROM messages m
            WHERE m.conversation_id = participants.conversation_id
              AND m.seq = participants.last_read_seq)
        WHERE last_read_seq > 0
        """
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=Id, nullable=False)
        batch_op.create_unique_constraint(
            "uq_messages_conversation_seq", ["conversation_id", "seq"]
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint("uq_messages_conversation_seq", type_="unique")
        batch_op.drop_column("seq")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("last_read_seq")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("last_seq")
