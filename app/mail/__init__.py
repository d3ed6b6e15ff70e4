"""E-mail notifications: the outbox, ``flask --app wsgi send-mail`` and the admin's mail page.

Events write mails into the outbox table (``app.mail.notices``) in their own transaction;
``send-mail`` sends them over SMTP (``app.mail.outbox``), from cron or a systemd timer, or
as a long-running process with ``--loop``.
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.consult import messages
from app.extensions import db
from app.mail import notices
from app.mail.notices import queue_reminders
from app.mail.outbox import (
    SendReport,
    count_given_up,
    count_waiting,
    mail_configured,
    new_worker_name,
    send_due,
)
from app.mail.routes import bp
from app.models.base import utcnow


@dataclass(frozen=True)
class MailStatus:
    """What the admin header says about mail: whether it can go out, how many were given up."""

    configured: bool
    given_up: int


def mail_status() -> MailStatus:
    """The admin header's mail indicator (asked only on staff pages that show it)."""
    return MailStatus(configured=mail_configured(), given_up=count_given_up())


def run_once(stop=lambda: False, worker: str | None = None) -> SendReport:
    """Queue the reminders that are due, commit them, then send what is due."""
    queue_reminders(utcnow())
    db.session.commit()
    return send_due(stop=stop, worker=worker)


@click.command("send-mail")
@click.option("--loop", is_flag=True, help="Keep running: send every MAIL_POLL_SECONDS.")
@with_appcontext
def send_mail_command(loop: bool) -> None:
    """Queue due reminders and send the mail in the outbox (safe to run several at once)."""
    if not loop:
        click.echo(run_once().text(count_waiting()))
        return
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    worker, interval = new_worker_name(), float(current_app.config["MAIL_POLL_SECONDS"])
    click.echo(f"邮件发送进程已启动，每 {interval:g} 秒检查一次;按 Ctrl+C 停止。")
    while not stopping.is_set():
        try:
            report = run_once(stop=stopping.is_set, worker=worker)
        except sa.exc.DBAPIError as error:  # the database restarting: try again next round
            db.session.rollback()
            click.echo(f"数据库暂时不可用，稍后重试：{type(error.orig).__name__}", err=True)
        else:
            if report.sent or report.failed:
                click.echo(report.text(count_waiting()))
        stopping.wait(interval)
    click.echo("邮件发送进程已停止。")


def _on_created(message, **_details) -> None:
    notices.message_arrived(message)


def _on_replied(message, **_details) -> None:
    notices.answer_ready(message)


def _on_forgetting(message, **_details) -> None:
    notices.forget(message)


def init_app(app: Flask) -> None:
    """Register the mail page, the send-mail command and the admin header's mail status.

    The message domain's signals queue the mails in the transaction of each event.
    """
    app.register_blueprint(bp)
    app.cli.add_command(send_mail_command)
    messages.created.connect(_on_created)
    messages.replied.connect(_on_replied)
    messages.forgetting.connect(_on_forgetting)

    @app.context_processor
    def mail_indicator() -> dict:
        return {"mail_status": mail_status}
