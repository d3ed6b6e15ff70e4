"""The 24-hour reply promise: each message's deadline, and how a period kept the promise.

Times are naive UTC as stored; periods are whole days in Beijing time. A message
answered exactly 24 hours after it arrived was answered in time; it is overdue only
once the deadline has passed. Spam never counts: it was not a question to answer.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models.base import LOCAL_TZ, to_local
from app.models.consult import REPLY_PROMISE, Message, MessageStatus

DEFAULT_PERIOD_DAYS = 30
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def duration_text(span: timedelta) -> str:
    """A span in words, to the minute: 3 小时 5 分, 45 分钟, 2 天 1 小时."""
    minutes = int(span // MINUTE)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} 天 {hours} 小时"
    if hours:
        return f"{hours} 小时 {minutes} 分"
    return f"{minutes} 分钟"


@dataclass(frozen=True)
class Deadline:
    """Where a message stands against the promise, in words for the inbox."""

    due: datetime
    state: str  # "open", "overdue", "in-time", "late" or "none"
    text: str

    @property
    def overdue(self) -> bool:
        return self.state == "overdue"


def answered_in_time(created_at: datetime, replied_at: datetime) -> bool:
    """True when the first answer came within the promise (exactly 24 hours included)."""
    return replied_at - created_at <= REPLY_PROMISE


def deadline(message: Message, now: datetime) -> Deadline:
    """The reply deadline of ``message`` as of ``now``: time left, or how long overdue."""
    due = message.created_at + REPLY_PROMISE
    if message.replied_at is not None:
        if answered_in_time(message.created_at, message.replied_at):
            return Deadline(due, "in-time", "按时答复")
        return Deadline(due, "late", "逾期答复")
    if message.status != MessageStatus.PENDING:
        return Deadline(due, "none", "无需答复")
    if now <= due:
        return Deadline(due, "open", f"剩余 {duration_text(due - now)}")
    late = now - due
    if late < HOUR:
        return Deadline(due, "overdue", f"已超时 {max(1, int(late // MINUTE))} 分钟")
    return Deadline(due, "overdue", f"已超时 {int(late // HOUR)} 小时")


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


def build_report(
    rows: Iterable[tuple[datetime, datetime | None, MessageStatus]], period: Period, now: datetime
) -> PromiseReport:
    """Count ``(created_at, replied_at, status)`` rows of non-spam messages of ``period``."""
    counts = dict.fromkeys(("in_time", "late", "open", "overdue", "closed_unanswered"), 0)
    answer_times = []
    for created_at, replied_at, status in rows:
        if replied_at is not None:
            answer_times.append(replied_at - created_at)
            counts["in_time" if answered_in_time(created_at, replied_at) else "late"] += 1
        elif status == MessageStatus.PENDING:
            counts["open" if now <= created_at + REPLY_PROMISE else "overdue"] += 1
        else:
            counts["closed_unanswered"] += 1
    return PromiseReport(
        period=period,
        received=sum(counts.values()),
        median_first_answer=statistics.median(answer_times) if answer_times else None,
        **counts,
    )


def promise_report(period: Period, now: datetime) -> PromiseReport:
    """How the messages received in ``period`` (spam left out) kept the promise, as of ``now``."""
    start, end = period.utc_bounds()
    rows = db.session.execute(
        sa.select(Message.created_at, Message.replied_at, Message.status).where(
            Message.created_at >= start,
            Message.created_at < end,
            Message.status != MessageStatus.SPAM,
        )
    )
    return build_report(rows, period, now)
