"""Sending the outbox over SMTP: claim one due row, send it, mark it sent in its own commit.

Several senders may run at once (a cron job overlapping a ``--loop`` process, two
servers) and still never send one mail twice: a sender first claims a row in a short
transaction of its own. PostgreSQL hands each sender a different row (``FOR UPDATE SKIP
LOCKED``); SQLite ignores that clause, and there the claim is an ``UPDATE … WHERE`` the
row is still unclaimed, which SQLite's single writer decides for one sender only (its
``RETURNING`` tells the winner). A claim lapses after ``CLAIM_LEASE``, so a sender that
crashed does not hold its row forever; the SMTP timeout is far shorter than that.

A row that fails waits longer after each attempt (exponential back-off) and is given up
after ``MAIL_MAX_ATTEMPTS``; it stays in the table, shown on /admin/mail.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, parseaddr
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models.base import utcnow
from app.models.outbox import Outbox

CLAIM_LEASE = timedelta(minutes=10)
SMTP_TIMEOUT_SECONDS = 60
RETRY_FIRST = timedelta(minutes=1)
RETRY_LONGEST = timedelta(hours=6)
ERROR_CHARS = 300


def mail_configured() -> bool:
    """Whether a mail server is set (``MAIL_SERVER``); without one, mail stays queued."""
    return bool(str(current_app.config.get("MAIL_SERVER") or "").strip())


def waiting() -> sa.ColumnElement[bool]:
    """Rows still to be sent: not sent, not given up."""
    return sa.and_(Outbox.sent_at.is_(None), Outbox.given_up_at.is_(None))


def _due(now: datetime) -> tuple:
    return (
        waiting(),
        Outbox.next_attempt_at <= now,
        sa.or_(Outbox.claimed_until.is_(None), Outbox.claimed_until < now),
    )


def count_waiting() -> int:
    """How many mails wait to be sent (including those waiting for a retry)."""
    return db.session.scalar(sa.select(sa.func.count(Outbox.id)).where(waiting()))


def count_given_up() -> int:
    """How many mails the sender gave up on."""
    return db.session.scalar(
        sa.select(sa.func.count(Outbox.id)).where(
            Outbox.sent_at.is_(None), Outbox.given_up_at.is_not(None)
        )
    )


def new_worker_name() -> str:
    """A name for one sender process, kept in the rows it claims."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim_next(worker: str, now: datetime) -> Outbox | None:
    """Claim the next due row for ``worker`` and commit; None when nothing is due.

    The claim counts as an attempt, so a row that crashes its sender is given up in the end.
    """
    order = (Outbox.next_attempt_at, Outbox.id)
    while True:
        candidate = db.session.scalar(
            sa.select(Outbox.id)
            .where(*_due(now))
            .order_by(*order)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if candidate is None:
            db.session.commit()
            return None
        claimed = db.session.scalar(
            sa.update(Outbox)
            .where(Outbox.id == candidate, *_due(now))
            .values(
                claimed_by=worker,
                claimed_until=now + CLAIM_LEASE,
                attempts=Outbox.attempts + 1,
            )
            .returning(Outbox.id)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if claimed is not None:
            return db.session.get(Outbox, claimed, populate_existing=True)
        # Another sender claimed it between our read and our write: look again.


def _release(row: Outbox, worker: str, **values) -> None:
    db.session.execute(
        sa.update(Outbox)
        .where(Outbox.id == row.id, Outbox.claimed_by == worker)
        .values(claimed_by=None, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def mark_sent(row: Outbox, worker: str) -> None:
    """Record that the SMTP server accepted ``row``, in a commit of its own."""
    _release(row, worker, sent_at=utcnow(), last_error="")


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 1, 2, 4 … minutes, at most 6 hours."""
    return min(RETRY_FIRST * 2 ** max(attempts - 1, 0), RETRY_LONGEST)


def mark_failed(row: Outbox, worker: str, error: str, now: datetime) -> bool:
    """Record a failed attempt: retry later, or give up after ``MAIL_MAX_ATTEMPTS``.

    Returns True when the row was given up.
    """
    give_up = row.attempts >= int(current_app.config["MAIL_MAX_ATTEMPTS"])
    _release(
        row,
        worker,
        last_error=error[:ERROR_CHARS],
        next_attempt_at=now + retry_delay(row.attempts),
        given_up_at=now if give_up else None,
    )
    return give_up


def describe_error(error: BaseException) -> str:
    """What went wrong, for the admin page: the error's kind and the server's reply code."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _text in error.recipients.values()})
        return f"收件人被拒绝 (SMTP {', '.join(map(str, codes))})"
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        return f"{type(error).__name__} (SMTP {error.smtp_code}): {text}"
    return f"{type(error).__name__}: {error}"


def sender_address() -> str:
    """The From header: ``MAIL_DEFAULT_SENDER``, with the site's name when it gives none."""
    config = current_app.config
    name, address = parseaddr(str(config.get("MAIL_DEFAULT_SENDER") or ""))
    if not address:
        address = f"noreply@{site_host()}"
    return formataddr((name or config["SITE_NAME"], address))


def site_host() -> str:
    return urlsplit(current_app.config["SITE_URL"]).hostname or "localhost"


def build_mail(row: Outbox) -> EmailMessage:
    """The e-mail of ``row``: UTF-8 text, encoded subject, a Message-ID stable across retries."""
    mail = EmailMessage(policy=SMTP)
    mail["Subject"] = row.subject
    mail["From"] = sender_address()
    mail["To"] = row.recipient
    mail["Date"] = format_datetime(datetime.now(UTC))
    made = int(row.created_at.replace(tzinfo=UTC).timestamp())
    mail["Message-ID"] = f"<outbox-{row.id}-{made}@{site_host()}>"
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders stay quiet
    mail.set_content(row.body, cte="base64")
    return mail


class Connection:
    """One SMTP connection for a run, opened when the first mail is due."""

    def __init__(self) -> None:
        self._smtp: smtplib.SMTP | None = None

    def send(self, mail: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._open()
        self._smtp.send_message(mail)

    def _open(self) -> smtplib.SMTP:
        config = current_app.config
        host, port = str(config["MAIL_SERVER"]).strip(), int(config["MAIL_PORT"])
        if config["MAIL_USE_SSL"]:
            context = ssl.create_default_context()
            smtp = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
        try:
            if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(str(config["MAIL_USERNAME"]), str(config.get("MAIL_PASSWORD") or ""))
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        """Say goodbye to the server; a connection already broken is just dropped."""
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            self._smtp.close()
        self._smtp = None


# Errors about one mail: the connection is still good for the next one.
ONE_MAIL_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    given_up: int = 0
    configured: bool = True
    stopped_early: bool = False

    def text(self, waiting_now: int) -> str:
        """The run in one line, for the command's output."""
        if not self.configured:
            return f"未配置邮件服务器(MAIL_SERVER),{waiting_now} 封邮件保留在队列中。"
        line = f"已发送 {self.sent} 封"
        if self.failed:
            line += f",{self.failed} 封发送失败(其中 {self.given_up} 封已停止重试)"
        return f"{line};队列中还有 {waiting_now} 封。"


def send_due(
    now: datetime | None = None,
    stop: Callable[[], bool] = lambda: False,
    worker: str | None = None,
) -> SendReport:
    """Send every mail due at ``now`` (default: the current time) until none is left.

    A connection failure ends the run after recording it on the mail being sent (the next
    run tries again); a refusal of one mail moves on to the next. ``stop`` is asked
    between mails, so a stopping ``--loop`` never cuts a mail in half.
    """
    report = SendReport(configured=mail_configured())
    if not report.configured:
        return report
    worker = worker or new_worker_name()
    connection = Connection()
    try:
        while not stop():
            moment = now or utcnow()
            row = claim_next(worker, moment)
            if row is None:
                break
            try:
                connection.send(build_mail(row))
            except ONE_MAIL_ERRORS as error:
                report.failed += 1
                report.given_up += mark_failed(row, worker, describe_error(error), moment)
                continue
            except OSError as error:  # refused, timed out, disconnected, TLS or login failed
                report.failed += 1
                report.given_up += mark_failed(row, worker, describe_error(error), moment)
                report.stopped_early = True
                break
            mark_sent(row, worker)
            report.sent += 1
    finally:
        connection.close()
    return report
