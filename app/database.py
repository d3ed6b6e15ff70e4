"""Writing when the database may not let us: a short wait for the write lock, then give up.

Reading a page must not hang behind another process's long write lock (a migration, a
backup, a stuck transaction) nor fail on a read-only database: writes that a page can do
without (counting a view, the health check's probe) wait ``DB_WRITE_WAIT_MS`` at most.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import Connection
from sqlalchemy.exc import InternalError, OperationalError

from app.extensions import SQLITE_BUSY_TIMEOUT_MS, db

# What a database that cannot write now raises: locked, timed out, read-only, gone.
DATABASE_BUSY = (OperationalError, InternalError)
# What forms answered with 503 tell the browser: try again after this many seconds.
RETRY_AFTER_SECONDS = 30
BUSY_TEXT = "系统繁忙，请稍后再试。"


@contextmanager
def brief_write_wait(connection: Connection | None = None) -> Iterator[None]:
    """Within the block, a statement on ``connection`` (by default the session's, whose
    transaction this starts) waits at most ``DB_WRITE_WAIT_MS`` for a lock, then fails
    with one of ``DATABASE_BUSY``.

    PostgreSQL: ``SET LOCAL lock_timeout`` (and a statement timeout), which end with the
    transaction. SQLite: the connection's busy timeout, put back after the block (before
    the commit, which in WAL mode waits for no lock).
    """
    wait_ms = int(current_app.config["DB_WRITE_WAIT_MS"])
    connection = connection or db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {wait_ms}")
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {wait_ms + 1000}")
        yield
        return
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.dbapi_connection
    raw.execute(f"PRAGMA busy_timeout = {wait_ms}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")


def why_not_writable(error: Exception) -> str:
    """A short reason for operators: "read-only", "locked" or "write failed"."""
    text = str(getattr(error, "orig", error)).lower()
    if "readonly" in text or "read-only" in text or "read only" in text:
        return "read-only"
    if "lock" in text or "timeout" in text or "busy" in text:
        return "locked"
    return "write failed"
