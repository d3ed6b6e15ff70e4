"""The inbox's queries: triage order, filters, search, counts and the next message to answer.

What can happen to a message lives in ``app.consult.messages``; this module only reads.

The inbox puts what is most urgent first: overdue messages (oldest deadline first), then
the other pending ones by deadline, then the rest newest first; 最新 sorts everything
newest first. Spam stays hidden unless the 垃圾 filter asks for it: bots fill that folder,
and staff should not have to wade through it to find real questions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.consult.service import normalise_receipt
from app.extensions import db
from app.models.accounts import User
from app.models.consult import Message, MessageClaim, MessageStatus

OVERDUE = "overdue"  # the 已超时 filter: pending messages past their deadline
NEWEST = "newest"  # the 最新 sort


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox shows: a status (None: all but spam) or only the overdue, a category,
    a search text, and the order ("" for triage, ``NEWEST``)."""

    status: MessageStatus | None = None
    category: str = ""
    q: str = ""
    overdue: bool = False
    sort: str = ""

    def describe(self) -> str:
        """The filter in words, for the audit log of an export."""
        if self.overdue:
            status = "已超时"
        else:
            status = self.status.label if self.status else "全部(不含垃圾)"
        return f"状态：{status};类别：{self.category or '全部'};搜索：{self.q or '无'}"


def _search(q: str) -> sa.ColumnElement[bool]:
    """Name, phone, company or content containing ``q``, or a receipt number matching it
    in any case, with or without spaces or dashes."""
    matches = [
        column.icontains(q, autoescape=True)
        for column in (Message.name, Message.phone, Message.company, Message.content)
    ]
    receipt = normalise_receipt(q)
    if receipt:
        matches.append(Message.receipt.contains(receipt, autoescape=True))
    return sa.or_(*matches)


def triage_order() -> tuple:
    """ORDER BY terms: pending first by deadline (so overdue, oldest first, lead), then the
    rest newest first."""
    pending = Message.status == MessageStatus.PENDING
    return (
        sa.case((pending, 0), else_=1),
        sa.case((pending, Message.reply_due_at)),
        Message.created_at.desc(),
        Message.id.desc(),
    )


def inbox_query(selected: InboxFilter, now: datetime) -> sa.Select:
    """The messages ``selected`` asks for, in triage order unless it asks for 最新."""
    query = sa.select(Message).options(selectinload(Message.claim))
    if selected.overdue:
        query = query.where(Message.status == MessageStatus.PENDING, Message.reply_due_at < now)
    elif selected.status is None:
        query = query.where(Message.status != MessageStatus.SPAM)
    else:
        query = query.where(Message.status == selected.status)
    if selected.category:
        query = query.where(Message.category == selected.category)
    if selected.q:
        query = query.where(_search(selected.q))
    if selected.sort == NEWEST:
        return query.order_by(Message.created_at.desc(), Message.id.desc())
    return query.order_by(*triage_order())


def next_pending(now: datetime, user: User, after: Message | None = None) -> Message | None:
    """下一条待处理: the most urgent pending message other than ``after`` that no colleague
    of ``user`` has claimed."""
    query = sa.select(Message).where(
        Message.status == MessageStatus.PENDING,
        sa.or_(~Message.claim.has(), Message.claim.has(MessageClaim.user_id == user.id)),
    )
    if after is not None:
        query = query.where(Message.id != after.id)
    return db.session.scalar(query.order_by(*triage_order()).limit(1))


def first_line(text: str, limit: int = 40) -> str:
    """The first non-blank line of ``text``, cut to ``limit`` characters."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


@dataclass(frozen=True)
class InboxCounts:
    pending: int
    overdue: int
    spam: int = 0


def inbox_counts(now: datetime) -> InboxCounts:
    """How many messages wait for an answer, how many of them broke the promise, and how
    many sit in the spam folder: one query."""
    pending = Message.status == MessageStatus.PENDING

    def count(condition) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    row = db.session.execute(
        sa.select(
            count(pending),
            count(sa.and_(pending, Message.reply_due_at < now)),
            count(Message.status == MessageStatus.SPAM),
        )
    ).one()
    return InboxCounts(*(int(value) for value in row))
