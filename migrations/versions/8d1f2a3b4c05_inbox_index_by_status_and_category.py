"""Inbox index by status and category

The inbox filtered by status and 类别 (待处理 + 贸易指南, say) read every message of that
status, then sorted them to show 20; with (status, category, reply_due_at) it walks the
index in triage order and stops after the page, and counts the filter from the index
alone.

Revision ID: 8d1f2a3b4c05
Revises: 7c0e1a2b3d04
Create Date: 2026-11-26 00:50:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "8d1f2a3b4c05"
down_revision = "7c0e1a2b3d04"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_messages_status_category_due",
        "messages",
        ["status", "category", "reply_due_at"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_messages_status_category_due", table_name="messages")
