"""The inbox's queries and the things staff do to a message, each written to the audit log.

The inbox hides spam unless the 垃圾 filter asks for it: bots fill that folder, and staff
should not have to wade through it to find real questions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models.accounts import User
from app.models.audit import AuditAction, audit, events_for
from app.models.base import utcnow
from app.models.consult import REPLY_PROMISE, Message, MessageStatus


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox shows: a status (None: all but spam), a category, a search text."""

    status: MessageStatus | None = None
    category: str = ""
    q: str = ""

    def describe(self) -> str:
        """The filter in words, for the audit log of an export."""
        status = self.status.label if self.status else "全部(不含垃圾)"
        return f"状态:{status};类别:{self.category or '全部'};搜索:{self.q or '无'}"


def inbox_query(selected: InboxFilter) -> sa.Select:
    """The messages ``selected`` asks for, newest first."""
    query = sa.select(Message)
    if selected.status is None:
        query = query.where(Message.status != MessageStatus.SPAM)
    else:
        query = query.where(Message.status == selected.status)
    if selected.category:
        query = query.where(Message.category == selected.category)
    if selected.q:
        query = query.where(
            sa.or_(
                *(
                    column.icontains(selected.q, autoescape=True)
                    for column in (Message.name, Message.phone, Message.company, Message.content)
                )
            )
        )
    return query.order_by(Message.created_at.desc(), Message.id.desc())


def first_line(text: str, limit: int = 40) -> str:
    """The first non-blank line of ``text``, cut to ``limit`` characters."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


@dataclass(frozen=True)
class InboxCounts:
    pending: int
    overdue: int


def inbox_counts(now: datetime) -> InboxCounts:
    """How many messages wait for an answer, and how many of them broke the promise."""
    pending = Message.status == MessageStatus.PENDING
    count = sa.select(sa.func.count(Message.id))
    return InboxCounts(
        pending=db.session.scalar(count.where(pending)),
        overdue=db.session.scalar(count.where(pending, Message.created_at < now - REPLY_PROMISE)),
    )


def _restored(message: Message) -> MessageStatus:
    return MessageStatus.REPLIED if message.reply else MessageStatus.PENDING


@dataclass(frozen=True)
class Transition:
    label: str  # the button
    allowed_from: frozenset[MessageStatus]
    target: Callable[[Message], MessageStatus]


TRANSITIONS = {
    "close": Transition(
        "关闭",
        frozenset({MessageStatus.PENDING, MessageStatus.REPLIED}),
        lambda _m: MessageStatus.CLOSED,
    ),
    "reopen": Transition("重新打开", frozenset({MessageStatus.CLOSED}), _restored),
    "spam": Transition(
        "标记为垃圾",
        frozenset({MessageStatus.PENDING, MessageStatus.REPLIED, MessageStatus.CLOSED}),
        lambda _m: MessageStatus.SPAM,
    ),
    "not-spam": Transition("不是垃圾", frozenset({MessageStatus.SPAM}), _restored),
}


def available_actions(message: Message) -> list[tuple[str, str]]:
    """``(action, button label)`` of the status changes ``message`` allows now."""
    return [(name, t.label) for name, t in TRANSITIONS.items() if message.status in t.allowed_from]


CHANGED_MEANWHILE = "该留言刚被其他负责人更新,您的操作未执行。请查看最新内容后再试。"
REPLY_CHANGED_MEANWHILE = (
    "在您填写期间,该留言已被其他负责人更新(见下方处理记录),您的答复尚未保存,"
    "仍保留在输入框中。核对后再次提交即可保存。"
)


def _save() -> str | None:
    """Commit; if another request changed the message since it was loaded, nothing is saved.

    ``Message.version`` makes every UPDATE or DELETE check the version it loaded; a
    concurrent change raises ``StaleDataError`` instead of being overwritten.
    """
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return CHANGED_MEANWHILE
    return None


def _set_status(message: Message, status: MessageStatus, actor: User, ip: str) -> None:
    if status == message.status:
        return
    detail = f"{message.status.label} → {status.label}"
    audit(AuditAction.STATUS, actor=actor.username, target=message.receipt, ip=ip, detail=detail)
    message.status = status


def change_status(message: Message, action: str, actor: User, ip: str) -> str | None:
    """Apply ``action`` (a key of ``TRANSITIONS``); return why it cannot be done, or None."""
    transition = TRANSITIONS[action]
    if message.status not in transition.allowed_from:
        return f"该留言当前为“{message.status.label}”,不能{transition.label}。"
    _set_status(message, transition.target(message), actor, ip)
    message.spam_reason = "staff" if message.status == MessageStatus.SPAM else ""
    return _save()


def reply_to(
    message: Message, text: str, actor: User, ip: str, seen_version: int | None
) -> str | None:
    """Answer ``message`` (or correct the answer); return why it cannot be done, or None.

    ``seen_version`` is the version the reply form showed: an answer written against an
    older version is refused, so a colleague's newer reply is never overwritten unseen.
    ``replied_at`` keeps the time of the first answer: that is what the promise measures.
    """
    if message.status == MessageStatus.SPAM:
        return "垃圾留言不能答复,请先标记为“不是垃圾”。"
    if seen_version != message.version:
        return REPLY_CHANGED_MEANWHILE
    audit(AuditAction.REPLY, actor=actor.username, target=message.receipt, ip=ip, detail=text)
    _set_status(message, MessageStatus.REPLIED, actor, ip)
    message.reply = text
    message.replied_by = actor
    if message.replied_at is None:
        message.replied_at = utcnow()
    return REPLY_CHANGED_MEANWHILE if _save() else None


def delete_message(message: Message, actor: User, ip: str) -> str | None:
    """Delete ``message``; the audit log keeps a tombstone without the visitor's details.

    Returns why it was not deleted (it changed meanwhile), or None.
    """
    facts = (
        f"类别:{message.category};收到:{message.created_at:%Y-%m-%d %H:%M} UTC;"
        f"状态:{message.status.label};{'已答复' if message.reply else '未答复'}"
    )
    audit(AuditAction.DELETE, actor=actor.username, target=message.receipt, ip=ip, detail=facts)
    db.session.delete(message)
    return _save()


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    title: str
    actor: str | None
    detail: str = ""


def timeline(message: Message) -> list[TimelineEntry]:
    """What happened to ``message``: its arrival, then each reply and status change."""
    entries = [TimelineEntry(message.created_at, "收到留言", None)]
    entries += [
        TimelineEntry(event.at, event.action.label, event.actor, event.detail)
        for event in events_for(message.receipt)
    ]
    return entries
