"""Messages carry a version for optimistic locking

Staff forms send back the version they showed; a reply based on an older version is
refused instead of overwriting a colleague's newer answer. Existing messages start at 1.

Revision ID: dcc2da1e6b9e
Revises: 4e1ece86588e
Create Date: 2026-11-24 21:33:34.834729

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "dcc2da1e6b9e"
down_revision = "4e1ece86588e"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade():
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("version")
