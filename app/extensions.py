"""Flask extensions, created once here and bound to the app in ``create_app``."""

import sqlite3
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import ScriptInfo
from flask_compress import Compress
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from app.sessions import StaffLoginManager


class Base(DeclarativeBase):
    """Declarative base shared by every model; constraints get predictable names for migrations."""

    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
htmx = Htmx()
compress = Compress()
login_manager = StaffLoginManager()

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def bind_migrate(app: Flask) -> None:
    """Bind Flask-Migrate to ``app`` the first time a command needs it (idempotent).

    Not in ``create_app``: a web worker never migrates, and Flask-Migrate brings Alembic,
    Mako and Pygments (about 10 MB of every worker's memory). Binding also replaces the
    lazy ``db`` group below with Flask-Migrate's own.
    """
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(MIGRATIONS), render_as_batch=True)


class MigrateCommands(click.Group):
    """``flask db …``: Flask-Migrate's command group, imported when a ``db`` command runs."""

    def __init__(self) -> None:
        super().__init__("db", help="Perform database migrations.")

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        """Hand the command line to Flask-Migrate's group (its options, commands, help)."""
        bind_migrate(parent.ensure_object(ScriptInfo).load_app())
        from flask_migrate.cli import db as flask_migrate_group

        return flask_migrate_group.make_context(info_name, args, parent, **extra)


SQLITE_BUSY_TIMEOUT_MS = 10000  # how long a write waits for another's lock, by default


@sa.event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Let several gunicorn workers share one SQLite file: WAL, a busy timeout, foreign keys."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
