"""Outbox of e-mail notifications

Mails to staff and visitors are written here in the same transaction as the event and
sent later by ``flask --app wsgi send-mail``. A message's rows are deleted with it.

Revision ID: 64f84a6512e5
Revises: 2f67e6a83d95
Create Date: 2026-11-25 19:13:09.722928

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "64f84a6512e5"
down_revision = "2f67e6a83d95"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "new-message",
                "answer-ready",
                "due-soon",
                "overdue",
                name="outboxkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("occurrence", sa.Integer(), server_default="0", nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("given_up_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=300), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_outbox_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint(
            "message_id", "kind", "recipient", "occurrence", name=op.f("uq_outbox_message_id")
        ),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_due", ["sent_at", "given_up_at", "next_attempt_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outbox")
