"""Routes for operating the site."""

import sqlalchemy as sa
from flask import Blueprint
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """Answer 200 when the app can reach its database, 503 when it cannot."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "error", "database": "unreachable"}, 503, {"Cache-Control": "no-store"}
    return {"status": "ok", "database": "ok"}, 200, {"Cache-Control": "no-store"}
