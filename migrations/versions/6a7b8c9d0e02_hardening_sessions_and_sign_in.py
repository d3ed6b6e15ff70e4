"""Hardening: sessions that end on the server, sign-in throttling per address

Revision ID: 6a7b8c9d0e02
Revises: 5e1f0c0a5e01
Create Date: 2026-11-25 21:40:00

"""

# revision identifiers, used by Alembic.
revision = "6a7b8c9d0e02"
down_revision = "5e1f0c0a5e01"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
