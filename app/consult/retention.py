"""Keeping visitors' personal data only as long as it is needed: ``flask --app wsgi purge``.

- Answered and closed messages keep their content and answer for the statistics, but lose
  the visitor's name, phone, e-mail, company, IP address and browser once
  ``RETENTION_DAYS`` have passed since the last thing that happened to them.
- Messages filed as spam are deleted after ``SPAM_RETENTION_DAYS``.
- Audit entries about those messages keep what happened and when, never what was written.
- Rate-limit rows are removed once no window counts them any more.

Meant to run daily (cron or a systemd timer); ``--dry-run`` only counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from app.admin import throttle
from app.consult import messages
from app.consult.service import LOOKUP_SCOPE, RATE_SCOPE, duration_text
from app.extensions import db
from app.models.audit import AuditAction, AuditEvent
from app.models.base import utcnow
from app.models.consult import Message, MessageStatus
from app.ratelimit import forget_expired, parse_rate

ANSWERED = (MessageStatus.REPLIED, MessageStatus.CLOSED)
# Audit entries whose detail never holds anything a visitor or a 负责人 wrote.
PLAIN_ACTIONS = frozenset({AuditAction.STATUS, AuditAction.DELETE})
REDACTED = "(内容已按保存期限删除)"


@dataclass(frozen=True)
class Policy:
    """How long things are kept, as the settings say; shown on the 隐私声明 page."""

    message_days: int
    spam_days: int
    rate_window: str  # the consultation rate limit's window in words, e.g. "10分钟"


def policy() -> Policy:
    """The retention periods of the current settings."""
    config = current_app.config
    _amount, window = parse_rate(config["CONSULT_RATE_LIMIT"])
    return Policy(
        int(config["RETENTION_DAYS"]), int(config["SPAM_RETENTION_DAYS"]), duration_text(window)
    )


@dataclass
class PurgeCounts:
    anonymised: int = 0
    spam_deleted: int = 0
    rate_limit_rows: int = 0
    skipped: int = 0  # changed by staff while the purge ran; done next time


def scrub_audit(receipt: str) -> None:
    """Blank the details of the audit entries about ``receipt`` that may quote someone.

    Entries written since answers moved out of the audit log quote nothing; older REPLY
    entries hold the answer's text, which may name the visitor or their phone number.
    """
    db.session.execute(
        sa.update(AuditEvent)
        .where(
            AuditEvent.target == receipt,
            AuditEvent.action.not_in(PLAIN_ACTIONS),
            AuditEvent.detail != "",
            AuditEvent.detail != REDACTED,
        )
        .values(detail=REDACTED)
    )


def last_activity():
    """When a message last changed: its newest audit entry, else its answer, else its arrival."""
    newest_event = (
        sa.select(sa.func.max(AuditEvent.at))
        .where(AuditEvent.target == Message.receipt)
        .scalar_subquery()
    )
    return sa.func.coalesce(newest_event, Message.replied_at, Message.created_at)


def due_for_anonymising(cutoff: datetime) -> sa.Select:
    """Answered or closed messages, not anonymised yet, quiet since before ``cutoff``."""
    return sa.select(Message.id).where(
        Message.status.in_(ANSWERED), Message.anonymised_at.is_(None), last_activity() < cutoff
    )


def due_for_deletion(cutoff: datetime) -> sa.Select:
    """Spam untouched since before ``cutoff``."""
    return sa.select(Message.id).where(
        Message.status == MessageStatus.SPAM, last_activity() < cutoff
    )


def _count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def _each(query: sa.Select, step) -> tuple[int, int]:
    """Apply ``step`` to each message ``query`` finds, one transaction each: (done, skipped).

    A message a 负责人 changed meanwhile is skipped (``step`` returns why): it is not quiet.
    """
    done = skipped = 0
    for message_id in db.session.scalars(query).all():
        message = db.session.get(Message, message_id)
        if message is None:  # deleted meanwhile
            continue
        scrub_audit(message.receipt)
        if step(message, messages.SYSTEM) is None:
            done += 1
        else:
            skipped += 1
    return done, skipped


def rate_limits() -> dict[str, str]:
    """Every rate-limit scope and the setting that gives its window."""
    config = current_app.config
    return {
        RATE_SCOPE: config["CONSULT_RATE_LIMIT"],
        LOOKUP_SCOPE: config["CONSULT_LOOKUP_LIMIT"],
        **throttle.scopes(),
    }


def purge(
    older_than: timedelta,
    spam_older_than: timedelta,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
) -> PurgeCounts:
    """Anonymise old answered messages, delete old spam, forget expired rate-limit rows.

    With ``dry_run`` nothing changes: the counts say what would be done.
    """
    now = now or utcnow()
    cutoff, spam_cutoff = now - older_than, now - spam_older_than
    if dry_run:
        return PurgeCounts(
            anonymised=_count(due_for_anonymising(cutoff)),
            spam_deleted=_count(due_for_deletion(spam_cutoff)),
            rate_limit_rows=forget_expired(rate_limits(), now=now, dry_run=True),
        )
    anonymised, kept = _each(due_for_anonymising(cutoff), messages.anonymise)
    deleted, kept_spam = _each(due_for_deletion(spam_cutoff), messages.delete)
    return PurgeCounts(
        anonymised=anonymised,
        spam_deleted=deleted,
        rate_limit_rows=forget_expired(rate_limits(), now=now),
        skipped=kept + kept_spam,
    )


@click.command("purge")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=1),
    default=None,
    help="Anonymise answered and closed messages quiet for this many days "
    "(default: the RETENTION_DAYS setting, 365).",
)
@click.option("--dry-run", is_flag=True, help="Only show what would be done; change nothing.")
@with_appcontext
def purge_command(days: int | None, dry_run: bool) -> None:
    """Remove personal data that is no longer needed (run it daily)."""
    rules = policy()
    days = days or rules.message_days
    counts = purge(timedelta(days=days), timedelta(days=rules.spam_days), dry_run=dry_run)
    verb = "将" if dry_run else "已"
    click.echo(f"{verb}匿名化 {counts.anonymised} 条答复或办结满 {days} 天的留言。")
    click.echo(f"{verb}删除 {counts.spam_deleted} 条满 {rules.spam_days} 天的垃圾留言。")
    click.echo(f"{verb}删除 {counts.rate_limit_rows} 条过期的提交频率记录。")
    if counts.skipped:
        click.echo(f"{counts.skipped} 条留言在清理期间被修改，下次清理时再处理。")
    if dry_run:
        click.echo("(试运行：未做任何修改。)")
