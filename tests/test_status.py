"""``flask --app wsgi status``: database, migrations, messages, outbox and the last backup."""

import os
from datetime import timedelta

import pytest
from flask_migrate import downgrade

from app import create_app
from app.extensions import db
from app.models import Outbox, OutboxKind
from app.models.base import utcnow

SQLITE_ONLY = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="SQLite only: on PostgreSQL pg_dump backs up"
)


def test_a_healthy_site_reports_every_line_and_exits_0(app, runner, make_message):
    now = utcnow()
    make_message(created_at=now - timedelta(hours=27), reply_due_at=now - timedelta(hours=3))
    make_message(created_at=now - timedelta(hours=1), reply_due_at=now + timedelta(hours=23))
    with app.app_context():
        db.session.add(Outbox(kind=OutboxKind.NEW_MESSAGE, recipient="a@example.org",
                              subject="s", body="b"))  # fmt: skip
        db.session.commit()

    result = runner.invoke(args=["status"])

    assert result.exit_code == 0, result.output
    assert "数据库：可连接，可写入" in result.output
    assert "数据库结构：最新" in result.output
    assert "留言：待处理 2 条，其中已超时 1 条，最早的已等待 1 天 3 小时" in result.output
    assert "邮件：待发送 1 封，已放弃 0 封" in result.output


@SQLITE_ONLY
def test_the_last_backup_age_is_read_from_backup_dir(staff_app, tmp_path):
    app = staff_app(BACKUP_DIR=str(tmp_path / "backups"))
    runner = app.test_cli_runner()
    assert "中没有备份" in runner.invoke(args=["status"]).output
    (tmp_path / "backups").mkdir()
    old = (utcnow() - timedelta(hours=26)).strftime("portal-%Y%m%dT%H%M%SZ.db")
    (tmp_path / "backups" / old).write_bytes(b"")
    assert f"最近一次备份：1 天 2 小时前（{tmp_path / 'backups' / old}）" in (
        runner.invoke(args=["status"]).output
    )
    assert runner.invoke(args=["backup"]).exit_code == 0
    assert "最近一次备份：0 分钟前" in runner.invoke(args=["status"]).output


def test_migrations_behind_the_code_exit_1(app, runner):
    with app.app_context():
        downgrade(revision="-1")
    result = runner.invoke(args=["status"])
    assert result.exit_code == 1
    assert "数据库结构：需要升级" in result.output and "db upgrade" in result.output


def test_an_unreachable_database_exits_1(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    missing = f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": missing})
    result = app.test_cli_runner().invoke(args=["status"])
    assert result.exit_code == 1
    assert "数据库：无法连接" in result.output


@SQLITE_ONLY
def test_a_read_only_database_exits_1(app, tmp_path):
    read_only = f"sqlite:///file:{tmp_path / 'test.db'}?mode=ro&uri=true"
    other = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": read_only})
    result = other.test_cli_runner().invoke(args=["status"])
    assert result.exit_code == 1
    assert "数据库：可连接，但无法写入" in result.output
