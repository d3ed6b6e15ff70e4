"""Content version: one row whose value changes with anything a public page shows

Public pages are rendered once per content version and kept by each worker; every change
to an article, a section, an attachment or a media file writes a new value here in the
same transaction (a session hook), so every worker and app server sees an edit at the
next request.

Revision ID: 7c0e1a2b3d04
Revises: 6a7b8c9d0e02
Create Date: 2026-11-26 00:40:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7c0e1a2b3d04"
down_revision = "6a7b8c9d0e02"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "content_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_state")),
    )
    # A first version, so that pages are kept from the start (not only after the first edit).
    op.execute(
        sa.text("INSERT INTO content_state (id, version) VALUES (1, :version)").bindparams(
            version=secrets.randbits(62) + 1
        )
    )


def downgrade():
    op.drop_table("content_state")
