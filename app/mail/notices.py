"""The notification mails: what each event puts in the outbox.

Each function only adds rows to the current session; the caller commits them in the
same transaction as the event, so a mail exists exactly when the event does, and the
visitor's request never waits for (or fails on) a mail server. ``send-mail`` sends them.

Mails to staff carry the category, the first lines and a link to the message, never the
visitor's phone number or e-mail address (numbers and addresses typed into the question
are hidden too). The visitor's mail says an answer is ready; the answer itself is only
shown on the lookup page, to whoever has the receipt number and the phone number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from sqlalchemy.dialects import postgresql, sqlite

from app.consult.messages import duration_text
from app.extensions import db
from app.models.accounts import Role, RoleGrant, User
from app.models.base import utcnow
from app.models.consult import Message, MessageStatus
from app.models.outbox import Outbox, OutboxKind

EXCERPT_LINES = 3
EXCERPT_LINE_CHARS = 100
HIDDEN = "[已隐去]"
# Phone and fax numbers (seven or more digits, spaced or not) and e-mail addresses.
CONTACT_DETAILS = re.compile(r"\+?\d(?:[\s\-()]*\d){6,}|[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
TEMPLATES = {
    OutboxKind.NEW_MESSAGE: "mail/new_message.txt",
    OutboxKind.ANSWER_READY: "mail/answer_ready.txt",
    OutboxKind.DUE_SOON: "mail/reminder.txt",
    OutboxKind.OVERDUE: "mail/reminder.txt",
}


def site_link(endpoint: str, **values) -> str:
    """An absolute link for a mail: ``SITE_URL`` joined to the path of ``endpoint``.

    Built from the URL map alone, never from a request's Host header (a request may not
    even exist: reminders are written by ``send-mail``). ``SITE_URL`` holds any prefix the
    site is served under.
    """
    path = current_app.url_map.bind("site").build(endpoint, values)
    return current_app.config["SITE_URL"].rstrip("/") + path


# Built once: every consultation runs it.
RESPONDER_ADDRESSES = (
    sa.select(User.email)
    .join(RoleGrant, RoleGrant.user_id == User.id)
    .where(RoleGrant.role == Role.RESPONDER, User.active, User.email != "")
    .order_by(User.id)
)


def responder_addresses() -> list[str]:
    """The e-mail addresses of the active 负责人 accounts, each address once."""
    addresses = db.session.scalars(RESPONDER_ADDRESSES)
    unique: dict[str, str] = {}
    for address in addresses:
        unique.setdefault(address.strip().lower(), address.strip())
    return [address for address in unique.values() if address]


def excerpt(message: Message) -> str:
    """The first lines of the question, with phone numbers and e-mail addresses hidden."""
    lines = [line.strip() for line in message.content.splitlines() if line.strip()]
    shown = [
        line if len(line) <= EXCERPT_LINE_CHARS else line[: EXCERPT_LINE_CHARS - 1] + "…"
        for line in lines[:EXCERPT_LINES]
    ]
    if len(lines) > EXCERPT_LINES:
        shown.append("……")
    text = "\n".join(shown)
    for own in (message.phone, message.email):
        if own:
            text = text.replace(own, HIDDEN)
    return CONTACT_DETAILS.sub(HIDDEN, text)


def compose(kind: OutboxKind, **context) -> tuple[str, str]:
    """Render the mail of ``kind``: its template's first line is the subject, the rest the text."""
    text = render_template(TEMPLATES[kind], kind=kind, **context)
    subject, _blank, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def _staff_mail(kind: OutboxKind, message: Message, now: datetime | None = None) -> dict:
    due = message.reply_due
    subject, body = compose(
        kind,
        message=message,
        excerpt=excerpt(message),
        due=due,
        time_left=duration_text(due - now) if now and now < due else "",
        overdue_by=duration_text(now - due) if now and now >= due else "",
        link=site_link("admin.message", message_id=message.id),
    )
    return {"subject": subject, "body": body}


def message_arrived(message: Message) -> int:
    """Queue a 新留言 mail to every 负责人 with an address; return how many. Not for spam.

    Safe to call twice: an address that has the mail queued already gets nothing more.
    """
    if message.status == MessageStatus.SPAM:
        return 0
    addresses = responder_addresses()
    if not addresses:
        return 0
    if message.id is None:
        db.session.flush()  # the link names the message by its id
    queued = set(
        db.session.scalars(
            sa.select(Outbox.recipient).where(
                Outbox.message_id == message.id, Outbox.kind == OutboxKind.NEW_MESSAGE
            )
        )
    )
    recipients = [address for address in addresses if address not in queued]
    if not recipients:
        return 0
    mail = _staff_mail(OutboxKind.NEW_MESSAGE, message)
    db.session.add_all(
        Outbox(kind=OutboxKind.NEW_MESSAGE, message=message, recipient=address, **mail)
        for address in recipients
    )
    return len(recipients)


def answer_ready(message: Message) -> bool:
    """Queue the visitor's "your answer is ready" mail when they gave an address.

    Call it after each answer, the first and every update: an update that comes while the
    earlier mail still waits in the outbox adds nothing (that mail already says it).
    Returns whether a mail was queued.
    """
    address = message.email.strip()
    if not address or message.status == MessageStatus.SPAM:
        return False
    if message.id is None:
        db.session.flush()
    earlier = db.session.execute(
        sa.select(sa.func.count(Outbox.id), sa.func.count(Outbox.sent_at)).where(
            Outbox.message_id == message.id,
            Outbox.kind == OutboxKind.ANSWER_READY,
            Outbox.recipient == address,
            Outbox.given_up_at.is_(None),
        )
    ).one()
    queued, sent = earlier
    if queued > sent:
        return False
    subject, body = compose(
        OutboxKind.ANSWER_READY,
        message=message,
        updated=sent > 0,
        link=site_link("consult.status"),
    )
    occurrence = db.session.scalar(
        sa.select(sa.func.count(Outbox.id)).where(
            Outbox.message_id == message.id,
            Outbox.kind == OutboxKind.ANSWER_READY,
            Outbox.recipient == address,
        )
    )
    db.session.add(
        Outbox(
            kind=OutboxKind.ANSWER_READY,
            message=message,
            recipient=address,
            occurrence=occurrence,
            subject=subject,
            body=body,
        )
    )
    return True


def _reminder_kind(message: Message, now: datetime, before: timedelta) -> OutboxKind | None:
    due = message.reply_due
    if due <= now:
        return OutboxKind.OVERDUE
    if due - before <= now:
        return OutboxKind.DUE_SOON
    return None


def _insert_once(rows: Iterable[dict]) -> int:
    """Insert outbox rows, skipping any that exist already (another sender may race us)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    added = 0
    for row in rows:
        statement = insert(Outbox).values(**row).on_conflict_do_nothing().returning(Outbox.id)
        added += db.session.execute(statement).first() is not None
    return added


def queue_reminders(now: datetime) -> int:
    """Queue one 即将超时 and one 已超时 reminder per pending message and 负责人; return how many.

    A message is "near" its deadline ``REMINDER_HOURS_BEFORE`` hours before it. The
    outbox's unique key makes a second reminder of the same kind impossible, even with
    two senders at once; a message already overdue gets only the 已超时 one.
    """
    recipients = responder_addresses()
    if not recipients:
        return 0
    before = timedelta(hours=float(current_app.config["REMINDER_HOURS_BEFORE"]))
    overdue_sent = sa.exists().where(
        Outbox.message_id == Message.id, Outbox.kind == OutboxKind.OVERDUE
    )
    candidates = db.session.scalars(
        sa.select(Message)
        .where(
            Message.status == MessageStatus.PENDING,
            Message.reply_due_at <= now + before,
            ~overdue_sent,
        )
        .order_by(Message.reply_due_at)
    ).all()
    known = set(
        db.session.execute(
            sa.select(Outbox.message_id, Outbox.kind, Outbox.recipient).where(
                Outbox.message_id.in_([message.id for message in candidates]),
                Outbox.kind.in_([OutboxKind.DUE_SOON, OutboxKind.OVERDUE]),
            )
        ).all()
    )
    added = 0
    for message in candidates:
        kind = _reminder_kind(message, now, before)
        missing = [a for a in recipients if (message.id, kind, a) not in known]
        if kind is None or not missing:
            continue
        mail = _staff_mail(kind, message, now)
        added += _insert_once(
            {
                "kind": kind,
                "message_id": message.id,
                "recipient": address,
                "occurrence": 0,
                "created_at": utcnow(),
                "next_attempt_at": utcnow(),
                "attempts": 0,
                "last_error": "",
                **mail,
            }
            for address in missing
        )
    return added


def forget(message: Message) -> int:
    """Delete every mail about ``message`` (it is being deleted or anonymised); return how many.

    A mail to the visitor names their address; none may outlive their personal data.
    """
    if message.id is None:
        return 0
    result = db.session.execute(sa.delete(Outbox).where(Outbox.message_id == message.id))
    return result.rowcount
