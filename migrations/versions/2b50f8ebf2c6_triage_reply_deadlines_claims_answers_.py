"""Triage: reply deadlines, claims, answers kept apart from the audit log, notes, templates

- ``messages.reply_due_at``: the deadline, fixed on arrival (existing messages: 24 hours
  after they came in, the promise made then); ``anonymised_at``.
- ``message_claims`` (认领): who took a message on.
- ``message_answers``: every answer sent, tied to the message. Existing answers are copied
  in, and the text that REPLY audit entries used to keep (it may quote a phone number) is
  removed from the audit log.
- ``message_notes`` (内部备注) and ``reply_templates`` (常用答复).

Revision ID: 2b50f8ebf2c6
Revises: 64f84a6512e5
Create Date: 2026-11-25 19:14:39.641742

"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "2b50f8ebf2c6"
down_revision = "64f84a6512e5"
branch_labels = None
depends_on = None

messages = sa.table(
    "messages",
    sa.column("id", sa.Integer),
    sa.column("created_at", sa.DateTime),
    sa.column("reply_due_at", sa.DateTime),
    sa.column("reply", sa.Text),
    sa.column("replied_at", sa.DateTime),
    sa.column("replied_by_id", sa.Integer),
)
users = sa.table("users", sa.column("id", sa.Integer), sa.column("username", sa.String))
answers = sa.table(
    "message_answers",
    sa.column("message_id", sa.Integer),
    sa.column("text", sa.Text),
    sa.column("author", sa.String),
    sa.column("at", sa.DateTime),
)
audit_events = sa.table(
    "audit_events", sa.column("action", sa.String), sa.column("detail", sa.Text)
)


def upgrade():
    op.create_table(
        "reply_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=50), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_templates")),
        sa.UniqueConstraint("title", name=op.f("uq_reply_templates_title")),
    )
    for table in ("message_answers", "message_notes"):
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("message_id", sa.Integer(), nullable=False),
            sa.Column("text", sa.Text(), nullable=False),
            sa.Column("author", sa.String(length=50), nullable=False),
            sa.Column("at", sa.DateTime(), nullable=False),
            sa.ForeignKeyConstraint(
                ["message_id"],
                ["messages.id"],
                name=op.f(f"fk_{table}_message_id_messages"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_message_id"), ["message_id"])

    op.create_table(
        "message_claims",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_claims_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_message_claims_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_message_claims")),
    )
    with op.batch_alter_table("message_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_claims_user_id"), ["user_id"])

    # Plain ADD COLUMNs: on SQLite a batch operation would copy ``messages`` and drop the
    # original, and with foreign keys on that DROP deletes the rows that refer to it
    # (outbox mail, answers). The placeholder default is replaced right below.
    op.add_column(
        "messages",
        sa.Column(
            "reply_due_at",
            sa.DateTime(),
            nullable=False,
            server_default=sa.text("'1970-01-01 00:00:00.000000'"),
        ),
    )
    op.add_column("messages", sa.Column("anonymised_at", sa.DateTime(), nullable=True))
    op.create_index("ix_messages_status_due", "messages", ["status", "reply_due_at"])

    connection = op.get_bind()
    if connection.dialect.name != "sqlite":  # SQLite cannot drop a default in place
        op.alter_column("messages", "reply_due_at", server_default=None)
    rows = connection.execute(
        sa.select(
            messages.c.id,
            messages.c.created_at,
            messages.c.reply,
            messages.c.replied_at,
            users.c.username,
        ).select_from(messages.outerjoin(users, users.c.id == messages.c.replied_by_id))
    ).all()
    for row in rows:
        connection.execute(
            messages.update()
            .where(messages.c.id == row.id)
            .values(reply_due_at=row.created_at + timedelta(hours=24))
        )
        if row.reply:
            connection.execute(
                answers.insert().values(
                    message_id=row.id,
                    text=row.reply,
                    author=row.username or "",
                    at=row.replied_at or row.created_at,
                )
            )
    connection.execute(
        audit_events.update().where(audit_events.c.action == "reply").values(detail="")
    )


def downgrade():
    op.drop_index("ix_messages_status_due", table_name="messages")
    op.drop_column("messages", "anonymised_at")
    op.drop_column("messages", "reply_due_at")
    with op.batch_alter_table("message_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_claims_user_id"))
    op.drop_table("message_claims")
    for table in ("message_notes", "message_answers"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_message_id"))
        op.drop_table(table)
    op.drop_table("reply_templates")
