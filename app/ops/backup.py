"""``backup`` and ``restore``: the whole SQLite database in one file, taken while serving.

Everything the site needs lives in the database: articles and their revisions, uploaded
images and attachments (``media`` rows hold the bytes), messages, accounts, sections, the
word list, the outbox. A backup is SQLite's online backup API reading one consistent
snapshot while the workers go on writing (a file copy of a WAL database is not a
backup), saved as ``portal-<UTC time>.db`` in the journal mode that needs no side files.

On PostgreSQL both commands refuse and print the ``pg_dump``/``pg_restore`` commands.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from app.extensions import bind_migrate, db
from app.ops import schema

NAME = re.compile(r"portal-(\d{8}T\d{6}Z)\.db")
STAMP = "%Y%m%dT%H%M%SZ"
MEDIA_SAMPLE = 20
BUSY_SECONDS = 30


class Refused(click.ClickException):
    """The command will not do it, and says why in Chinese (exit status 2)."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(self.message, err=True)


# Where things are


def sqlite_file() -> Path:
    """The app's SQLite database file; refuses PostgreSQL (with what to do instead)."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise Refused(postgres_instructions(url))
    if not url.database or url.database == ":memory:":
        raise Refused("当前数据库在内存中，没有可备份或恢复的文件。")
    return Path(url.database)


def postgres_instructions(url: sa.URL) -> str:
    """What to run on PostgreSQL instead, with this database's host, port, user and name."""
    target = (
        f"--host={url.host or 'localhost'} --port={url.port or 5432} "
        f"--username={url.username or 'postgres'} --dbname={url.database}"
    )
    return (
        "当前数据库是 PostgreSQL：backup/restore 命令只用于 SQLite。请使用 PostgreSQL 自带的工具"
        "（自定义格式，密码放在 ~/.pgpass 或环境变量 PGPASSWORD 中）：\n"
        f"  备份：pg_dump --format=custom {target} --file=portal-$(date -u +{STAMP}).dump\n"
        f"  恢复：pg_restore --no-owner --clean --if-exists {target} portal-<时间>.dump\n"
        "恢复到新服务器时先建好空数据库，恢复后运行 flask --app wsgi db upgrade。"
        "详见 README 的“备份与恢复”一节。"
    )


def backup_dir() -> Path:
    """Where ``backup`` writes by default and ``status`` looks: ``BACKUP_DIR``."""
    return Path(current_app.config["BACKUP_DIR"])


def backup_name(now: datetime) -> str:
    """``portal-20261125T020000Z.db``: sorts by time, like every backup the command made."""
    return f"portal-{now:{STAMP}}.db"


def backups(folder: Path) -> list[Path]:
    """The backups the command made in ``folder`` (no other file), oldest first."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if NAME.fullmatch(path.name))


def taken_at(path: Path) -> datetime:
    """When the backup ``path`` was taken, from its name (UTC)."""
    return datetime.strptime(NAME.fullmatch(path.name).group(1), STAMP).replace(tzinfo=UTC)


def last_backup(folder: Path) -> Path | None:
    """The newest backup in ``folder``, or None."""
    found = backups(folder)
    return found[-1] if found else None


# Backup


def _connect(path: Path, mode: str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode={mode}", uri=True, timeout=BUSY_SECONDS)


def take_backup(source: Path, folder: Path, now: datetime) -> Path:
    """Copy the live database ``source`` into ``folder`` as one consistent file; return it.

    The backup API copies every page under one read transaction, so the copy is the
    database at one moment, while writers carry on (WAL). The copy is checked and only
    then given its final name: a half-written backup never looks like a real one.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = folder / backup_name(now)
    if final.exists():
        raise Refused(f"{final} 已存在（同一秒内已备份过一次），请稍后再试。")
    draft = folder / f".{final.name}.{os.getpid()}.partial"
    try:
        with closing(_connect(source, "rw")) as live, closing(sqlite3.connect(draft)) as copy:
            live.backup(copy)  # all pages in one step: one snapshot
            copy.execute("PRAGMA journal_mode=DELETE")  # a single file, no -wal beside it
            check = copy.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise Refused(f"备份文件校验失败：{check}")
        draft.chmod(0o600)  # it holds visitors' details and password hashes
        draft.rename(final)
    finally:
        draft.unlink(missing_ok=True)
    return final


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups the command made; return the deleted."""
    old = backups(folder)[:-keep]
    for path in old:
        path.unlink()
    return old


def size_text(size: int) -> str:
    """A file size for people: 812 KB, 12.3 MB."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 1024 / 1024:.1f} MB"


@click.command("backup")
@click.argument("dest", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--keep", type=click.IntRange(min=1), help="Keep only the newest N backups in DEST.")
@with_appcontext
def backup_command(dest: Path | None, keep: int | None) -> None:
    """Back the SQLite database up into DEST (default BACKUP_DIR) while the site serves."""
    source = sqlite_file()
    folder = dest or backup_dir()
    started = time.monotonic()
    made = take_backup(source, folder, datetime.now(UTC))
    seconds = time.monotonic() - started
    click.echo(f"备份完成：{made}（{size_text(made.stat().st_size)}，用时 {seconds:.1f} 秒）")
    if keep:
        removed = prune(folder, keep)
        if removed:
            click.echo(f"已删除较早的备份 {len(removed)} 个，保留最新的 {keep} 个。")


# Restore


def table_counts(connection: sqlite3.Connection) -> dict[str, int]:
    """Rows per table of a SQLite database, SQLite's own tables left out."""
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    ]
    return {
        name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names
    }


def revision_of(connection: sqlite3.Connection) -> str | None:
    """The migration a SQLite database is at, or None when it has none."""
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def media_sample(size: int = MEDIA_SAMPLE) -> tuple[int, list[str]]:
    """Read up to ``size`` stored files at random; return how many, and those unreadable."""
    rows = db.session.execute(
        sa.text("SELECT filename, sha256, size, data FROM media ORDER BY random() LIMIT :n"),
        {"n": size},
    ).all()
    bad = [
        row.filename
        for row in rows
        if row.data is None
        or len(row.data) != row.size
        or hashlib.sha256(row.data).hexdigest() != row.sha256
    ]
    return len(rows), bad


@dataclass
class RestoreReport:
    """What ``restore`` did and found; ``problems`` empty when the restore is sound."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)

    def problem(self, line: str) -> None:
        self.problems.append(line)
        self.lines.append(f"问题：{line}")


def _check_source(source: Path) -> tuple[str, dict[str, int]]:
    if not source.is_file():
        raise Refused(f"找不到备份文件：{source}")
    try:
        with closing(_connect(source, "ro")) as backup:
            check = backup.execute("PRAGMA quick_check").fetchone()[0]
            revision = revision_of(backup)
            counts = table_counts(backup)
    except sqlite3.DatabaseError as error:
        raise Refused(f"{source} 不是可用的 SQLite 数据库：{error}") from error
    if check != "ok":
        raise Refused(f"备份文件已损坏：{check}")
    if revision is None:
        raise Refused(f"{source} 不是本网站的备份（没有数据库结构版本）。")
    if not schema.known(revision):
        raise Refused(
            f"备份的数据库结构版本 {revision} 比当前程序新：请先把程序更新到做备份时的版本。"
        )
    return revision, counts


def _tables_in_target() -> list[str]:
    return [
        name for name in sa.inspect(db.engine).get_table_names() if not name.startswith("sqlite_")
    ]


def restore(source: Path, force: bool = False) -> RestoreReport:
    """Copy backup ``source`` into the app's database, migrate it forward, check it."""
    target = sqlite_file()
    revision, counts = _check_source(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    if _tables_in_target() and not force:
        raise Refused(
            f"目标数据库 {target} 不是空的，未做任何改动。"
            "请恢复到新的空数据库（设置 DATABASE_URL），或确认要覆盖时加 --force。"
        )
    report = RestoreReport()
    report.say(f"恢复自：{source}")
    report.say(f"恢复到：{target}")
    db.session.remove()
    db.engine.dispose()  # no pooled connection may hold the old file
    with closing(_connect(source, "ro")) as backup, closing(sqlite3.connect(target)) as live:
        backup.backup(live)
        copied = table_counts(live)
    heads = schema.code_heads()
    if revision in heads:
        report.say(f"数据库结构：与程序一致（{revision}），无需升级。")
    else:
        from flask_migrate import upgrade  # here, not at the top: web workers never load Alembic

        bind_migrate(current_app)
        upgrade()
        report.say(f"数据库结构：已从 {revision} 升级到 {', '.join(sorted(heads))}。")
    _report_counts(report, counts, copied)
    checked, unreadable = media_sample()
    if unreadable:
        report.problem(f"媒体文件无法读取或内容不符：{'、'.join(unreadable)}")
    elif checked:
        report.say(f"媒体文件抽查：读取 {checked} 个，内容与校验值一致。")
    else:
        report.say("媒体文件抽查：备份中没有上传的图片或附件。")
    return report


def _report_counts(report: RestoreReport, counts: dict[str, int], copied: dict[str, int]) -> None:
    now = {
        name: db.session.scalar(sa.text(f'SELECT count(*) FROM "{name}"'))
        for name in _tables_in_target()
    }
    report.say("各表行数（备份中 → 恢复后）：")
    for name in sorted(set(counts) | set(now)):
        report.say(f"  {name}：{counts.get(name, '—')} → {now.get(name, '—')}")
        if name in counts and copied.get(name) != counts[name]:
            found = copied.get(name)
            report.problem(f"表 {name} 复制后有 {found} 行，备份中有 {counts[name]} 行。")


@click.command("restore")
@click.argument("src", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite a database that is not empty.")
@with_appcontext
def restore_command(src: Path, force: bool) -> None:
    """Restore backup SRC into the (empty) database, migrate it forward, and check it."""
    report = restore(src, force)
    for line in report.lines:
        click.echo(line)
    if report.problems:
        click.echo(f"恢复完成，但发现 {len(report.problems)} 个问题（见上）。", err=True)
        raise click.exceptions.Exit(1)
    click.echo("恢复完成，检查通过。")
