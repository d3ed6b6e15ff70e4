"""Site search index (站内搜索)

The index holds tokens written by app/search/index.py: on SQLite an FTS5 table (rowid =
the article's id, the ``ascii`` tokenizer splitting on the spaces between tokens, a
one-character prefix index for single-character queries); on PostgreSQL one tsvector per
article with a GIN index. Neither is a model: app/search/index.py says why, and the
schema comparison leaves these tables out (``app.search.index.outside_models``).
Articles that exist already are indexed here, with the app's own segmentation.

Revision ID: 5e1f0c0a5e01
Revises: 2b50f8ebf2c6
Create Date: 2026-11-25 21:40:00

"""

from alembic import op

from app.search.index import rebuild

# revision identifiers, used by Alembic.
revision = "5e1f0c0a5e01"
down_revision = "2b50f8ebf2c6"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE search_documents ("
            " article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,"
            " document TSVECTOR NOT NULL)"
        )
        op.execute(
            "CREATE INDEX ix_search_documents_document ON search_documents USING GIN (document)"
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE search_index"
            " USING fts5(title, body, tokenize = 'ascii', prefix = '1')"
        )
    rebuild(op.get_bind())


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE search_documents")
    else:
        op.execute("DROP TABLE search_index")
