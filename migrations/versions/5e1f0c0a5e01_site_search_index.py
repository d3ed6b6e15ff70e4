"""Site search index (站内搜索)

Revision ID: 5e1f0c0a5e01
Revises: 2b50f8ebf2c6
Create Date: 2026-11-25 21:40:00

"""

# revision identifiers, used by Alembic.
revision = "5e1f0c0a5e01"
down_revision = "2b50f8ebf2c6"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
