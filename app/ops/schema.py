"""Which migration a database is at, and which one the code expects (Alembic's heads)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app


def scripts() -> ScriptDirectory:
    """The app's migrations (``migrations/``), as Flask-Migrate configures Alembic."""
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def code_heads() -> set[str]:
    """The revisions the code's models describe."""
    return set(scripts().get_heads())


def database_heads(connection: sa.Connection) -> set[str]:
    """The revisions the database is at (empty for a database never migrated)."""
    return set(MigrationContext.configure(connection).get_current_heads())


def known(revision: str) -> bool:
    """Whether ``revision`` is one of the code's migrations (not from a newer release)."""
    return any(script.revision == revision for script in scripts().walk_revisions())
