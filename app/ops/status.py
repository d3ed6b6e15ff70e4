"""``flask --app wsgi status``: the few lines an operator reads first.

Database reachable and writable, migrations current, messages 待处理/已超时 (the admin's
own counts), the outbox backlog and the age of the last backup in ``BACKUP_DIR``. Exits 1
when the database is unreachable, read-only or behind the code, so a monitoring script can
run it too.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from app.consult.messages import duration_text
from app.extensions import db
from app.mail.outbox import mail_configured
from app.models.base import utcnow
from app.ops import schema
from app.ops.backup import backup_dir, last_backup, taken_at
from app.ops.figures import figures


def database_line() -> tuple[str, bool, bool]:
    """Whether the database answers, and whether it takes a write (rolled back at once)."""
    backend = db.engine.url.get_backend_name()
    try:
        with db.engine.connect() as connection:
            migrated = sa.inspect(connection).has_table("alembic_version")
    except SQLAlchemyError as error:
        reason = getattr(error, "orig", None) or error
        return f"数据库：无法连接（{backend}）：{reason}", False, False
    if not migrated:
        return f"数据库：可连接（{backend}），尚未初始化", True, True
    try:
        with db.engine.connect() as connection, connection.begin() as transaction:
            # Takes the write lock and checks the permission; changes nothing.
            connection.execute(sa.text("UPDATE alembic_version SET version_num = version_num"))
            transaction.rollback()
    except SQLAlchemyError as error:
        reason = getattr(error, "orig", None) or error
        return f"数据库：可连接，但无法写入（{backend}）：{reason}", True, False
    return f"数据库：可连接，可写入（{backend}）", True, True


def migrations_line() -> tuple[str, bool]:
    """Whether the database is at the code's migration."""
    with db.engine.connect() as connection:
        current = schema.database_heads(connection)
    heads = schema.code_heads()
    if current == heads:
        return f"数据库结构：最新（{', '.join(sorted(heads))}）", True
    at = ", ".join(sorted(current)) or "未初始化"
    return (
        f"数据库结构：需要升级（数据库 {at}，程序 {', '.join(sorted(heads))}），"
        "请运行 flask --app wsgi db upgrade",
        False,
    )


def messages_line(now: datetime) -> str:
    """待处理 and 已超时 as the inbox counts them, how long the oldest has waited, the outbox."""
    found = figures(now)
    waited = f"，最早的已等待 {duration_text(found.oldest_wait)}" if found.oldest_wait else ""
    configured = "" if mail_configured() else "（未配置邮件服务器，邮件只排队不发送）"
    return (
        f"留言：待处理 {found.pending} 条，其中已超时 {found.overdue} 条{waited}\n"
        f"邮件：待发送 {found.mail_pending} 封，已放弃 {found.mail_failed} 封{configured}"
    )


def backup_line(now: datetime) -> str:
    """How old the newest backup in ``BACKUP_DIR`` is."""
    if db.engine.url.get_backend_name() != "sqlite":
        return "最近一次备份：PostgreSQL 用 pg_dump 备份，本命令不检查"
    folder = backup_dir()
    newest = last_backup(folder)
    if newest is None:
        return f"最近一次备份：{folder} 中没有备份"
    age = now.replace(tzinfo=UTC) - taken_at(newest)
    return f"最近一次备份：{duration_text(age)}前（{newest}）"


@click.command("status")
@with_appcontext
def status_command() -> None:
    """Report database, migrations, messages, outbox and the last backup."""
    line, reachable, writable = database_line()
    click.echo(line)
    if not reachable:
        raise click.exceptions.Exit(1)
    line, current = migrations_line()
    click.echo(line)
    now = utcnow()
    if current:
        click.echo(messages_line(now))
    click.echo(backup_line(now))
    if not (writable and current):
        raise click.exceptions.Exit(1)
