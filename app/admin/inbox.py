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
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.consult.service import normalise_receipt
from app.extensions import db
from app.models.accounts import User
from app.models.consult import Message, MessageClaim, MessageStatus
from app.pagination import Page

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


def triage_order(status: MessageStatus | None = None) -> tuple:
    """ORDER BY terms: pending first by deadline (so overdue, oldest first, lead), then the
    rest newest first.

    With the list narrowed to one ``status`` the same order needs no CASE: pending ones by
    deadline, any other newest first. Plain columns let the database walk an index in
    order (``ix_messages_status_category_due``, ``ix_messages_status_due``) and stop after
    a page, where a CASE makes it sort every matching row first.
    """
    newest = (Message.created_at.desc(), Message.id.desc())
    if status == MessageStatus.PENDING:
        return (Message.reply_due_at, *newest)
    if status is not None:
        return newest
    pending = Message.status == MessageStatus.PENDING
    return (sa.case((pending, 0), else_=1), sa.case((pending, Message.reply_due_at)), *newest)


def _narrowed(query: sa.Select, selected: InboxFilter, now: datetime) -> sa.Select:
    """``query`` narrowed to the messages ``selected`` asks for."""
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
    return query


def _ordered(query: sa.Select, selected: InboxFilter) -> sa.Select:
    """``query`` in triage order, or newest first when ``selected`` asks for 最新."""
    if selected.sort == NEWEST:
        return query.order_by(Message.created_at.desc(), Message.id.desc())
    status = MessageStatus.PENDING if selected.overdue else selected.status
    return query.order_by(*triage_order(status))


def inbox_query(selected: InboxFilter, now: datetime) -> sa.Select:
    """The messages ``selected`` asks for, in triage order unless it asks for 最新."""
    query = sa.select(Message).options(selectinload(Message.claim))
    return _ordered(_narrowed(query, selected, now), selected)


# What a row of the inbox list shows (``deadline`` reads the status and the two times).
LISTED = (
    Message.id,
    Message.receipt,
    Message.created_at,
    Message.name,
    Message.phone,
    Message.category,
    Message.content,
    Message.status,
    Message.replied_at,
    Message.reply_due_at,
    User.username.label("claimed_by"),
)


def inbox_page(selected: InboxFilter, now: datetime, number: int, per_page: int) -> Page:
    """Page ``number`` of the inbox: the listed columns of its rows (with the claimant's
    name joined in, not loaded row by row) and the count, in two statements; on a first
    page shorter than ``per_page`` the rows are the count, and one statement is enough."""
    rows_query = (
        _narrowed(sa.select(*LISTED), selected, now)
        .outerjoin(MessageClaim, MessageClaim.message_id == Message.id)
        .outerjoin(User, User.id == MessageClaim.user_id)
    )
    rows = db.session.execute(
        _ordered(rows_query, selected).limit(per_page).offset((number - 1) * per_page)
    ).all()
    if number == 1 and len(rows) < per_page:
        total = len(rows)
    else:
        counted = _narrowed(sa.select(sa.func.count()).select_from(Message), selected, now)
        total = db.session.scalar(counted)
    return Page(rows, number, per_page, total)


def next_pending(now: datetime, user: User, after: Message | None = None) -> Message | None:
    """下一条待处理: the most urgent pending message other than ``after`` that no colleague
    of ``user`` has claimed."""
    query = sa.select(Message).where(
        Message.status == MessageStatus.PENDING,
        sa.or_(~Message.claim.has(), Message.claim.has(MessageClaim.user_id == user.id)),
    )
    if after is not None:
        query = query.where(Message.id != after.id)
    return db.session.scalar(query.order_by(*triage_order(MessageStatus.PENDING)).limit(1))


def first_line(text: str, limit: int = 40) -> str:
    """The first non-blank line of ``text``, cut to ``limit`` characters."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


@dataclass(frozen=True)
class InboxCounts:
    pending: int
    overdue: int
    spam: int = 0


@cache
def _counts_statement() -> sa.Select:
    """The three counts of ``inbox_counts``, built once (every staff page runs it), each
    read from the index on (status, reply_due_at) alone; ``now`` is bound per call."""

    def count(*conditions) -> sa.ScalarSelect[int]:
        return sa.select(sa.func.count()).select_from(Message).where(*conditions).scalar_subquery()

    pending = Message.status == MessageStatus.PENDING
    return sa.select(
        count(pending),
        count(pending, Message.reply_due_at < sa.bindparam("now", type_=sa.DateTime)),
        count(Message.status == MessageStatus.SPAM),
    )


def inbox_counts(now: datetime) -> InboxCounts:
    """How many messages wait for an answer, how many of them broke the promise, and how
    many sit in the spam folder: one statement."""
    return InboxCounts(*db.session.execute(_counts_statement(), {"now": now}).one())
