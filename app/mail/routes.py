"""The mail page (/admin/mail): mails given up on and mails still waiting to be sent."""

import sqlalchemy as sa
from flask import render_template

from app.admin.access import allow, staff_blueprint
from app.extensions import db
from app.mail.outbox import count_given_up, count_waiting, mail_configured, waiting
from app.models.accounts import Role
from app.models.outbox import Outbox

bp = staff_blueprint("mail", __name__, url_prefix="/admin/mail")

ROWS_SHOWN = 100


def given_up_rows() -> list[Outbox]:
    """The newest mails the sender gave up on."""
    query = sa.select(Outbox).where(Outbox.sent_at.is_(None), Outbox.given_up_at.is_not(None))
    return db.session.scalars(query.order_by(Outbox.given_up_at.desc()).limit(ROWS_SHOWN)).all()


def waiting_rows() -> list[Outbox]:
    """The mails still to be sent, the next due first."""
    query = sa.select(Outbox).where(waiting()).order_by(Outbox.next_attempt_at, Outbox.id)
    return db.session.scalars(query.limit(ROWS_SHOWN)).all()


@bp.get("")
@allow(Role.ADMIN, Role.RESPONDER)
def index():
    """Mail the sender gave up on, and mail still waiting, with the last error of each."""
    return render_template(
        "mail/outbox.html",
        configured=mail_configured(),
        given_up=given_up_rows(),
        given_up_count=count_given_up(),
        waiting=waiting_rows(),
        waiting_count=count_waiting(),
        shown=ROWS_SHOWN,
    )
