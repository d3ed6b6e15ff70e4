"""Everything a consultation message can go through, in one place, each step by an actor.

Views, CLI commands and the notifier call these functions. The actor is a staff ``User``
or ``SYSTEM`` (scheduled jobs such as the retention purge); it is named in the audit log,
which is written in the same transaction as the change. Audit entries never hold the
visitor's details or an answer's text: answers live in ``MessageAnswer`` rows tied to the
message, so deleting or anonymising a message removes every copy.

Functions that change a message commit, and return ``None`` when done or, in words for
staff, why nothing was changed. ``Message.version`` makes each change to the message row
check that it is still as it was loaded: a concurrent change wins, and this one is not
saved. Claims and notes are rows of their own and leave the version alone, so claiming a
message or noting something never makes a colleague's reply form stale.

Signals (blinker, sent inside the transaction, before the commit; receivers only add rows
to ``db.session``, e.g. outbox mail, and never commit):

- ``created(message)``: a message was stored (spam included: check ``message.status``);
- ``replied(message, actor=…, first=bool)``: an answer was sent or updated;
- ``forgetting(message)``: the message is about to be deleted or anonymised: remove
  every copy of the visitor's details kept elsewhere (an outbox row, say).
- ``refused(reason=…)``: a visitor's consultation was not stored: "validation",
  "too-fast" (asked to send it again) or "rate-limit" (sent by the form view, no message).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models.accounts import User
from app.models.audit import AuditAction, audit, events_for
from app.models.base import LOCAL_TZ, utcnow
from app.models.consult import (
    REPLY_PROMISE,
    Message,
    MessageAnswer,
    MessageClaim,
    MessageNote,
    MessageStatus,
    ReplyTemplate,
    new_receipt,
)

RECEIPT_TRIES = 3
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)

NOTE_DETAIL = "添加内部备注"

_signals = Namespace()
created = _signals.signal("message-created")
replied = _signals.signal("message-replied")
forgetting = _signals.signal("message-forgetting")
refused = _signals.signal("message-refused")


# Who acts


@dataclass(frozen=True)
class SystemActor:
    """The site itself, acting on a schedule or from the command line."""

    name: str = "系统"


SYSTEM = SystemActor()
Actor = User | SystemActor


def actor_name(actor: Actor) -> str:
    """How the audit log and the timeline name ``actor``: a username, or 系统."""
    return actor.name if isinstance(actor, SystemActor) else actor.username


def _audit(action: AuditAction, message: Message, actor: Actor, ip: str, detail: str = "") -> None:
    audit(action, actor=actor_name(actor), target=message.receipt, ip=ip, detail=detail)


# Deadline arithmetic


def is_working_day(day: date) -> bool:
    """A Chinese working day: public holidays off, 调休 weekends on (``chinese-calendar``).

    For a year the package does not know yet, Monday to Friday.
    """

    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        current_app.logger.warning(
            "chinese-calendar 无 %s 年的节假日数据，按周一至周五计算", day.year
        )
        return day.weekday() < 5


def add_working_time(start: datetime, span: timedelta) -> datetime:
    """``start`` (naive UTC) plus ``span`` counted only on whole Beijing working days.

    Time on a weekend or holiday does not count: a message sent on a working day at 10:00
    is due at 10:00 on the next working day; one sent during 国庆 is due at 24:00 on the
    first working day after it.
    """
    moment = start.replace(tzinfo=UTC).astimezone(LOCAL_TZ)
    left = span
    while True:
        day_end = datetime.combine(moment.date() + DAY, time.min, LOCAL_TZ)
        if is_working_day(moment.date()):
            if left <= day_end - moment:
                return (moment + left).astimezone(UTC).replace(tzinfo=None)
            left -= day_end - moment
        moment = day_end


def due_at(created_at: datetime) -> datetime:
    """When the reply promise for a message received at ``created_at`` runs out (UTC).

    24 clock hours; with the setting ``REPLY_WORKING_HOURS``, 24 hours of working days.
    """
    if current_app.config.get("REPLY_WORKING_HOURS"):
        return add_working_time(created_at, REPLY_PROMISE)
    return created_at + REPLY_PROMISE


def promise_text() -> str:
    """The promise in words, from the settings: "24小时", or "工作日24小时"."""
    hours = int(REPLY_PROMISE.total_seconds() // 3600)
    working = "工作日" if current_app.config.get("REPLY_WORKING_HOURS") else ""
    return f"{working}{hours}小时"


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


def deadline(message: Message, now: datetime) -> Deadline:
    """The reply deadline of ``message`` as of ``now``: time left, or how long overdue.

    Answered exactly at the deadline is in time; overdue only once it has passed.
    """
    due = message.reply_due_at
    if message.replied_at is not None:
        if message.replied_at <= due:
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


# Arrival


def create(
    fields: dict,
    *,
    ip: str = "",
    user_agent: str = "",
    spam: str = "",
    idempotency_key: str | None = None,
    admit: Callable[[], bool] | None = None,
) -> Message | None:
    """Store a visitor's message as 待处理, or as spam when ``spam`` gives a reason; commit.

    :param fields: name, phone, email, company, category and content.
    :param spam: why it looks like a bot's ("honeypot", "too-fast"), or "".
    :param idempotency_key: the form's key; when a concurrent request stored the same
        submission first, that message is returned and nothing more is stored.
    :param admit: run first in the transaction of each try, e.g. to count the message
        against a rate limit: what it records is committed with the message or not at
        all. When it returns False nothing is stored and None is returned.

    The deadline is fixed now. A receipt number that happens to be taken is drawn again.
    """
    attempts = 0
    while True:
        now, receipt = utcnow(), new_receipt()
        message = Message(
            **fields,
            receipt=receipt,
            status=MessageStatus.SPAM if spam else MessageStatus.PENDING,
            spam_reason=spam,
            created_at=now,
            reply_due_at=due_at(now),
            ip=ip[:45],
            user_agent=user_agent[:500],
            idempotency_key=idempotency_key,
        )
        if admit is not None and not admit():  # SQLite: the write lock is held from here on
            db.session.rollback()
            return None
        db.session.add(message)
        try:
            db.session.flush()
            created.send(message)
            db.session.commit()
            # The commit expired the message; its receipt, what the visitor is shown next,
            # is known without reading the row back.
            set_committed_value(message, "receipt", receipt)
            return message
        except IntegrityError:
            db.session.rollback()
            if idempotency_key and (first := by_idempotency_key(idempotency_key)):
                return first
            attempts += 1
            if attempts == RECEIPT_TRIES:
                raise


def by_idempotency_key(key: str) -> Message | None:
    """The message stored from the form submission that carried ``key``."""
    return db.session.scalar(sa.select(Message).where(Message.idempotency_key == key))


# Saving


CHANGED_MEANWHILE = "该留言刚被其他负责人更新，您的操作未执行。请查看最新内容后再试。"
REPLY_CHANGED_MEANWHILE = (
    "在您填写期间，该留言已被其他负责人更新(见下方处理记录)，您的答复尚未保存，"
    "仍保留在输入框中。核对后再次提交即可保存。"
)


def _save(conflict: str = CHANGED_MEANWHILE) -> str | None:
    """Commit; if another request changed the message since it was loaded, save nothing."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return conflict
    return None


# Answers


def _answer(message: Message, text: str, actor: Actor, ip: str, first: bool) -> str | None:
    now = utcnow()
    with db.session.no_autoflush:  # one UPDATE: the version goes up by one
        _audit(AuditAction.REPLY, message, actor, ip, "" if first else "更新答复")
        _set_status(message, MessageStatus.REPLIED, actor, ip)
        message.answers.append(MessageAnswer(text=text, author=actor_name(actor), at=now))
        message.reply = text
        message.replied_by = actor if isinstance(actor, User) else None
        if message.replied_at is None:
            message.replied_at = now
    db.session.flush()
    replied.send(message, actor=actor, first=first)
    return None


def _refuse_answer(message: Message, seen_version: int | None) -> str | None:
    if message.status == MessageStatus.SPAM:
        return "垃圾留言不能答复，请先标记为“不是垃圾”。"
    if seen_version != message.version:
        return REPLY_CHANGED_MEANWHILE
    return None


def reply(
    message: Message, text: str, actor: Actor, *, ip: str = "", seen_version: int | None
) -> str | None:
    """Send the first answer: status 已答复, ``replied_at`` set (what the promise measures).

    ``seen_version`` is the version the reply form showed; an answer written against an
    older version is refused, so a colleague's answer is never overwritten unseen.
    """
    problem = _refuse_answer(message, seen_version)
    if problem:
        return problem
    if message.reply:
        return "该留言已有答复;如需修改，请使用“更新答复”。"
    try:
        _answer(message, text, actor, ip, first=True)
    except StaleDataError:
        db.session.rollback()
        return REPLY_CHANGED_MEANWHILE
    return _save(REPLY_CHANGED_MEANWHILE)


def update_reply(
    message: Message, text: str, actor: Actor, *, ip: str = "", seen_version: int | None
) -> str | None:
    """更新答复: the visitor sees ``text`` instead, marked 已更新; the earlier answer stays
    in the timeline and ``replied_at`` keeps the time of the first answer.
    """
    problem = _refuse_answer(message, seen_version)
    if problem:
        return problem
    if not message.reply:
        return reply(message, text, actor, ip=ip, seen_version=seen_version)
    if message.answers and message.answers[-1].text == text:
        return None  # nothing changed: no second copy, no "已更新"
    try:
        _answer(message, text, actor, ip, first=False)
    except StaleDataError:
        db.session.rollback()
        return REPLY_CHANGED_MEANWHILE
    return _save(REPLY_CHANGED_MEANWHILE)


# Status changes


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


def _set_status(message: Message, status: MessageStatus, actor: Actor, ip: str) -> None:
    if status == message.status:
        return
    _audit(AuditAction.STATUS, message, actor, ip, f"{message.status.label} → {status.label}")
    message.status = status


def change_status(message: Message, action: str, actor: Actor, *, ip: str = "") -> str | None:
    """Apply ``action`` (a key of ``TRANSITIONS``); return why it cannot be done, or None."""
    transition = TRANSITIONS[action]
    if message.status not in transition.allowed_from:
        return f"该留言当前为“{message.status.label}”，不能{transition.label}。"
    _set_status(message, transition.target(message), actor, ip)
    message.spam_reason = "staff" if message.status == MessageStatus.SPAM else ""
    return _save()


def close(message: Message, actor: Actor, *, ip: str = "") -> str | None:
    """关闭: no answer is expected any more."""
    return change_status(message, "close", actor, ip=ip)


def reopen(message: Message, actor: Actor, *, ip: str = "") -> str | None:
    """重新打开: back to 已答复 or 待处理."""
    return change_status(message, "reopen", actor, ip=ip)


def mark_spam(message: Message, actor: Actor, *, ip: str = "") -> str | None:
    """标记为垃圾."""
    return change_status(message, "spam", actor, ip=ip)


def mark_not_spam(message: Message, actor: Actor, *, ip: str = "") -> str | None:
    """不是垃圾: back to 已答复 or 待处理."""
    return change_status(message, "not-spam", actor, ip=ip)


# Claims and notes


def claim(message: Message, actor: User, *, ip: str = "") -> str | None:
    """认领: ``actor`` takes the message on; refused while a colleague holds it.

    A claim is a row of its own (one per message): two 负责人 claiming at once cannot
    both win, and claiming never makes a colleague's reply form stale.
    """
    holder = message.claimed_by
    if holder is not None:
        return None if holder.id == actor.id else f"该留言已由 {holder.username} 认领。"
    _audit(AuditAction.CLAIM, message, actor, ip, "认领")
    message.claim = MessageClaim(user=actor, at=utcnow())
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        db.session.refresh(message)
        holder = message.claimed_by
        return f"该留言已由 {holder.username if holder else '其他负责人'} 认领。"
    return None


def unclaim(message: Message, actor: User, *, ip: str = "") -> str | None:
    """取消认领: the message is nobody's again (anyone may release it, e.g. for a colleague
    on leave); the audit log says who released whose claim."""
    holder = message.claimed_by
    if holder is None:
        return None
    detail = "取消认领" if holder.id == actor.id else f"取消 {holder.username} 的认领"
    _audit(AuditAction.CLAIM, message, actor, ip, detail)
    message.claim = None
    db.session.commit()
    return None


def add_note(message: Message, text: str, actor: Actor, *, ip: str = "") -> MessageNote:
    """内部备注: a note only staff see; the audit log records that one was added, not its text."""
    note = MessageNote(message=message, text=text, author=actor_name(actor), at=utcnow())
    db.session.add(note)
    _audit(AuditAction.NOTE, message, actor, ip, NOTE_DETAIL)
    db.session.commit()
    return note


# Forgetting the visitor

PERSONAL_FIELDS = ("name", "phone", "email", "company", "ip", "user_agent")


def delete(message: Message, actor: Actor, *, ip: str = "") -> str | None:
    """Delete ``message`` with its answers and notes; the audit log keeps a tombstone
    without the visitor's details. Returns why it was not deleted, or None.
    """
    facts = (
        f"类别：{message.category};收到：{message.created_at:%Y-%m-%d %H:%M} UTC;"
        f"状态：{message.status.label};{'已答复' if message.reply else '未答复'}"
    )
    forgetting.send(message)
    _audit(AuditAction.DELETE, message, actor, ip, facts)
    db.session.delete(message)
    return _save()


def anonymise(message: Message, actor: Actor, *, ip: str = "") -> str | None:
    """Remove the visitor's name, phone, e-mail, company, IP and browser, the earlier answers
    and the internal notes; keep category, content, the answer shown and the times.
    """
    forgetting.send(message)
    with db.session.no_autoflush:
        for name in PERSONAL_FIELDS:
            setattr(message, name, "")
        message.answers.clear()
        message.notes.clear()
        message.anonymised_at = utcnow()
    _audit(AuditAction.ANONYMISE, message, actor, ip, "匿名化：已删除访客的个人信息")
    return _save()


# The timeline


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    title: str
    actor: str | None  # None: the visitor
    detail: str = ""
    kind: str = "event"  # "event", "answer" or "note"


def timeline(message: Message) -> list[TimelineEntry]:
    """What happened to ``message``, oldest first: its arrival, each answer sent (with its
    text), each internal note, and every audited change.
    """
    entries = [TimelineEntry(message.created_at, "收到留言", None)]
    for n, answer in enumerate(message.answers):
        title = "答复" if n == 0 else "更新答复"
        entries.append(TimelineEntry(answer.at, title, answer.author, answer.text, "answer"))
    entries += [
        TimelineEntry(note.at, "内部备注", note.author, note.text, "note") for note in message.notes
    ]
    for event in events_for(message.receipt):
        if event.action == AuditAction.REPLY and message.answers:
            continue  # shown above, with the text
        if event.action == AuditAction.NOTE and event.detail == NOTE_DETAIL:
            continue
        if event.action == AuditAction.CLAIM and event.detail.endswith("认领"):
            title = "认领" if event.detail == "认领" else "取消认领"
            detail = "" if event.detail == title else event.detail
            entries.append(TimelineEntry(event.at, title, event.actor, detail))
            continue
        entries.append(TimelineEntry(event.at, event.action.label, event.actor, event.detail))
    return sorted(entries, key=lambda entry: entry.at)


# Reply templates (常用答复)


def template_title_taken(title: str, keep: ReplyTemplate | None = None) -> bool:
    """Whether another template already has ``title``."""
    query = sa.select(ReplyTemplate.id).where(ReplyTemplate.title == title)
    if keep is not None and keep.id is not None:
        query = query.where(ReplyTemplate.id != keep.id)
    return db.session.scalar(query) is not None


def save_template(
    template: ReplyTemplate | None, title: str, text: str, actor: Actor, *, ip: str = ""
) -> ReplyTemplate:
    """Create a 常用答复 (``template`` None) or change one; commit."""
    if template is None:
        template = ReplyTemplate(title=title, text=text)
        db.session.add(template)
        done = "新建"
    else:
        template.title, template.text = title, text
        done = "修改"
    db.session.flush()
    audit(AuditAction.REPLY_TEMPLATE, actor=actor_name(actor), target=f"常用答复 {template.id}",
          ip=ip, detail=f"{done}常用答复：{title}")  # fmt: skip
    db.session.commit()
    return template


def delete_template(template: ReplyTemplate, actor: Actor, *, ip: str = "") -> None:
    """Delete a 常用答复; commit."""
    audit(AuditAction.REPLY_TEMPLATE, actor=actor_name(actor), target=f"常用答复 {template.id}",
          ip=ip, detail=f"删除常用答复：{template.title}")  # fmt: skip
    db.session.delete(template)
    db.session.commit()


def reply_templates() -> list[ReplyTemplate]:
    """Every 常用答复, by title."""
    return list(db.session.scalars(sa.select(ReplyTemplate).order_by(ReplyTemplate.title)))
