"""Which migration a database is at, and which one the code expects (Alembic's heads).

Alembic is imported inside the functions: only commands (``status``, ``restore``) call them,
and a web worker that imported this module would otherwise carry Alembic for nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app

from app.extensions import bind_migrate

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory


def scripts() -> ScriptDirectory:
    """The app's migrations (``migrations/``), as Flask-Migrate configures Alembic."""
    from alembic.script import ScriptDirectory

    bind_migrate(current_app)
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def code_heads() -> set[str]:
    """The revisions the code's models describe."""
    return set(scripts().get_heads())


def database_heads(connection: sa.Connection) -> set[str]:
    """The revisions the database is at (empty for a database never migrated)."""
    from alembic.migration import MigrationContext

    return set(MigrationContext.configure(connection).get_current_heads())


def known(revision: str) -> bool:
    """Whether ``revision`` is one of the code's migrations (not from a newer release)."""
    return any(script.revision == revision for script in scripts().walk_revisions())
