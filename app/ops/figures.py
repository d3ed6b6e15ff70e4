"""The figures an operator watches, read from the database as the admin reads them.

``/metrics`` and ``status`` both ask here, so they agree with each other and with the
admin header (its own ``inbox_counts``) and ``/admin/mail`` (the outbox counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.admin.inbox import inbox_counts
from app.extensions import db
from app.mail.outbox import count_given_up, count_waiting
from app.models.consult import Message, MessageStatus


@dataclass(frozen=True)
class Figures:
    pending: int  # 待处理
    overdue: int  # 已超时: 待处理 past the deadline
    oldest_wait: timedelta | None  # how long the oldest 待处理 message has waited
    mail_pending: int  # in the outbox, still to be sent
    mail_failed: int  # given up on


def figures(now: datetime) -> Figures:
    """Where the inbox and the outbox stand at ``now`` (naive UTC)."""
    counts = inbox_counts(now)
    oldest = db.session.scalar(
        sa.select(sa.func.min(Message.created_at)).where(Message.status == MessageStatus.PENDING)
    )
    return Figures(
        pending=counts.pending,
        overdue=counts.overdue,
        oldest_wait=now - oldest if oldest else None,
        mail_pending=count_waiting(),
        mail_failed=count_given_up(),
    )
