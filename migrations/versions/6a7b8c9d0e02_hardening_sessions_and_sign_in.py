"""Hardening: sessions that end on the server, sign-in throttling per address

Sessions end on the server through ``users.session_token`` (already there) and sign-in
throttling counts in ``rate_limit_hits`` (already there); the one schema change is the
idempotency key a consultation form carries, unique so that the same submission sent
twice is stored once.

Revision ID: 6a7b8c9d0e02
Revises: 5e1f0c0a5e01
Create Date: 2026-11-25 21:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6a7b8c9d0e02"
down_revision = "5e1f0c0a5e01"
branch_labels = None
depends_on = None


# A column and a unique index, without the batch mode's copy of the table: on SQLite that
# drops the old ``messages`` table, and with foreign keys on, the cascade would delete every
# answer, note and claim of every message.


def upgrade():
    op.add_column("messages", sa.Column("idempotency_key", sa.String(length=64), nullable=True))
    op.create_index(
        op.f("ix_messages_idempotency_key"), "messages", ["idempotency_key"], unique=True
    )


def downgrade():
    op.drop_index(op.f("ix_messages_idempotency_key"), table_name="messages")
    op.drop_column("messages", "idempotency_key")
