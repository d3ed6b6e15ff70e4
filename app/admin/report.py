"""The reply promise report: how the messages of a period kept it, counted by the database.

Times are naive UTC as stored; periods are whole days in Beijing time. A message answered
at its deadline (``Message.reply_due_at``) was answered in time; it is overdue only once
the deadline has passed. Spam never counts: it was not a question to answer.

The figures come from one aggregate query (counts with CASE); the median of the first
answer's time from the one or two middle rows of the answered messages, which the
database orders by that time. A month of messages is never loaded into Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.consult.messages import Deadline, deadline, duration_text
from app.extensions import db
from app.models.base import LOCAL_TZ, to_local
from app.models.consult import Message, MessageStatus

__all__ = [
    "Deadline",
    "Period",
    "PromiseReport",
    "deadline",
    "default_period",
    "duration_text",
    "promise_report",
]

DEFAULT_PERIOD_DAYS = 30


@dataclass(frozen=True)
class Period:
    """Whole days in Beijing time, both ends included."""

    start: date
    end: date

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """The period as naive UTC times: from its first instant to just after its last day."""

        def utc_midnight(day: date) -> datetime:
            local = datetime.combine(day, time.min, LOCAL_TZ)
            return local.astimezone(UTC).replace(tzinfo=None)

        return utc_midnight(self.start), utc_midnight(self.end + timedelta(days=1))


def default_period(now: datetime) -> Period:
    """The last 30 Beijing days, today included."""
    today = to_local(now).date()
    return Period(today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), today)


@dataclass(frozen=True)
class PromiseReport:
    period: Period
    received: int
    in_time: int
    late: int
    open: int
    overdue: int
    closed_unanswered: int
    median_first_answer: timedelta | None

    @property
    def answered(self) -> int:
        return self.in_time + self.late

    @property
    def answer_rate(self) -> float | None:
        """Answered messages as a share of those received, or None when none came in."""
        return self.answered / self.received if self.received else None


class seconds_between(FunctionElement):
    """``later - earlier`` in seconds (a float), in the database's own date arithmetic."""

    type = sa.Float()
    inherit_cache = True


@compiles(seconds_between)
def _seconds_between(element, compiler, **kw) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def _count(condition) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _median_first_answer(in_period, answered: int) -> timedelta | None:
    """The median time to the first answer: the middle answered message, or the mean of the
    two middle ones, ordered by that time in SQL; only those one or two rows are read."""
    if not answered:
        return None
    took = seconds_between(Message.replied_at, Message.created_at)
    middle = db.session.execute(
        sa.select(Message.replied_at, Message.created_at)
        .where(*in_period, Message.replied_at.is_not(None))
        .order_by(took, Message.id)
        .limit(2 - answered % 2)
        .offset((answered - 1) // 2)
    ).all()
    spans = [replied_at - created_at for replied_at, created_at in middle]
    return sum(spans, timedelta()) / len(spans)


def promise_report(period: Period, now: datetime) -> PromiseReport:
    """How the messages received in ``period`` (spam left out) kept the promise, as of ``now``."""
    start, end = period.utc_bounds()
    in_period = (
        Message.created_at >= start,
        Message.created_at < end,
        Message.status != MessageStatus.SPAM,
    )
    answered = Message.replied_at.is_not(None)
    unanswered = Message.replied_at.is_(None)
    waiting = sa.and_(unanswered, Message.status == MessageStatus.PENDING)
    closed_unanswered = sa.and_(unanswered, Message.status != MessageStatus.PENDING)
    figures = db.session.execute(
        sa.select(
            _count(sa.and_(answered, Message.replied_at <= Message.reply_due_at)).label("in_time"),
            _count(sa.and_(answered, Message.replied_at > Message.reply_due_at)).label("late"),
            _count(sa.and_(waiting, Message.reply_due_at >= now)).label("open"),
            _count(sa.and_(waiting, Message.reply_due_at < now)).label("overdue"),
            _count(closed_unanswered).label("closed_unanswered"),
        ).where(*in_period)
    ).one()
    counts = {key: int(value) for key, value in figures._mapping.items()}
    return PromiseReport(
        period=period,
        received=sum(counts.values()),
        median_first_answer=_median_first_answer(in_period, counts["in_time"] + counts["late"]),
        **counts,
    )
