"""Routes for operating the site."""

import sqlalchemy as sa
from flask import Blueprint
from sqlalchemy.exc import SQLAlchemyError

from app.database import brief_write_wait, why_not_writable
from app.extensions import db

bp = Blueprint("ops", __name__)

NO_STORE = {"Cache-Control": "no-store"}
# A write that changes nothing, rolled back: it needs the same lock and permission as any.
PROBE_WRITE = sa.text("UPDATE alembic_version SET version_num = version_num")


@bp.get("/healthz")
def healthz():
    """200 when the database answers a read and accepts a write (rolled back), else 503."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "error", "database": "unreachable"}, 503, NO_STORE
    try:
        with brief_write_wait():
            db.session.execute(PROBE_WRITE)
    except SQLAlchemyError as error:
        reason = why_not_writable(error)
        return {"status": "error", "database": "not-writable", "reason": reason}, 503, NO_STORE
    finally:
        db.session.rollback()
    return {"status": "ok", "database": "ok"}, 200, NO_STORE
