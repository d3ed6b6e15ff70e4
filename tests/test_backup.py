"""``backup`` and ``restore``: a consistent copy taken while the site serves, restored into a
fresh database that serves again; older backups migrate forward; PostgreSQL is refused."""

import hashlib
import io
import os
import re
import sqlite3
import threading
import time
from contextlib import closing

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade
from PIL import Image

from app import create_app
from app.extensions import db
from app.models import Article, Media, Message, User
from app.ops import schema
from tests.conftest import STAFF_PASSWORD
from tests.helpers import LiveBrowser
from tests.live import flask_command, live_server

ON_POSTGRES = bool(os.environ.get("DATABASE_URL"))
SQLITE_ONLY = pytest.mark.skipif(ON_POSTGRES, reason="SQLite only: on PostgreSQL pg_dump backs up")
BACKUP_NAME = re.compile(r"portal-\d{8}T\d{6}Z\.db")
RECEIPT = re.compile(r"data-receipt>([0-9A-Z]{10})<")


def png(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(buffer, "PNG")
    return buffer.getvalue()


def other_app(database_url: str):
    """An app on another database, built as the CLI would (nothing created in it)."""
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"})


def snapshot(database_url: str) -> dict:
    """What must survive: articles with their views, accounts, media bytes, message receipts."""
    app = other_app(database_url)
    with app.app_context():
        found = {
            "articles": dict(db.session.execute(sa.select(Article.id, Article.title)).all()),
            "views": dict(db.session.execute(sa.select(Article.id, Article.views)).all()),
            "users": set(db.session.scalars(sa.select(User.username))),
            "media": {
                row.sha256: hashlib.sha256(row.data).hexdigest()
                for row in db.session.execute(sa.select(Media.sha256, Media.data))
            },
            "receipts": set(db.session.scalars(sa.select(Message.receipt))),
        }
        db.engine.dispose()
    return found


def add_media(database_url: str) -> list[str]:
    """Store two images the way an upload does; return their URLs."""
    from app.media.storage import media_url, store_upload

    app = other_app(database_url)
    with app.test_request_context():
        urls = [media_url(store_upload(png(c), f"图片{c}.png", None)) for c in ("red", "blue")]
        db.engine.dispose()
    return urls


class Traffic:
    """Four threads: two count views, two send consultations, until told to stop."""

    def __init__(self, base_url: str, articles: list[int]) -> None:
        self.base_url, self.articles = base_url, articles
        self.stop = threading.Event()
        self.confirmed: list[tuple[float, str]] = []  # (when the receipt was shown, receipt)
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self.view) for _ in range(2)]
        self.threads += [threading.Thread(target=self.consult, args=(n,)) for n in range(2)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def view(self) -> None:
        browser, n = LiveBrowser(self.base_url), 0
        while not self.stop.is_set():
            status, _page = browser.open(f"/articles/{self.articles[n % len(self.articles)]}")
            if status != 200:
                self.errors.append(f"view {status}")
            n += 1

    def consult(self, thread: int) -> None:
        browser, n = LiveBrowser(self.base_url), 0
        while not self.stop.is_set():
            status, page = browser.consult(content=f"备份期间的咨询:线程{thread}第{n}条,请回复。")
            found = RECEIPT.search(page)
            if status != 200 or not found:
                self.errors.append(f"consult {status}")
            else:
                self.confirmed.append((time.monotonic(), found.group(1)))
            n += 1


@SQLITE_ONLY
def test_a_backup_taken_while_serving_restores_everything_and_serves_again(database_url, tmp_path):
    restored_url = f"sqlite:///{tmp_path / 'second-machine' / 'portal.db'}"
    with live_server(
        database_url, CONSULT_MIN_FILL_SECONDS=0, CONSULT_RATE_LIMIT="100000 per minute"
    ) as server:
        server.flask("create-admin", "boss", "--password", STAFF_PASSWORD)
        media_urls = add_media(database_url)
        articles = sorted(snapshot(database_url)["articles"])
        # A slow reader (an export, say) keeps every later change in the WAL file, out of the
        # main file: only a backup that reads through SQLite, not a file copy, sees them.
        reader = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM articles").fetchone()
        with closing(reader), Traffic(server.url, articles) as traffic:
            time.sleep(1.5)
            before = snapshot(database_url)
            started = time.monotonic()
            output = server.flask("backup", str(tmp_path / "backups"))
            finished = time.monotonic()
            deadline = finished + 30
            while sum(when > finished for when, _r in traffic.confirmed) < 4:
                assert time.monotonic() < deadline, "no question was taken after the backup"
                time.sleep(0.1)  # the site goes on taking questions after the backup
        after = snapshot(database_url)
        assert not traffic.errors

    (backup,) = (tmp_path / "backups").iterdir()
    assert BACKUP_NAME.fullmatch(backup.name) and str(backup) in output
    report = flask_command("restore", str(backup), env=server.env | {"DATABASE_URL": restored_url})
    assert "恢复完成，检查通过" in report and "媒体文件抽查：读取 2 个" in report
    restored = snapshot(restored_url)

    assert restored["articles"] == after["articles"]
    assert restored["users"] == after["users"] == {"boss"}
    assert restored["media"] == after["media"] and len(restored["media"]) == 2
    sent_before = {receipt for when, receipt in traffic.confirmed if when < started}
    assert sent_before <= before["receipts"] <= restored["receipts"] <= after["receipts"]
    assert restored["receipts"] < after["receipts"]  # taken while questions kept coming
    for article in articles:
        assert before["views"][article] <= restored["views"][article] <= after["views"][article]

    with live_server(restored_url, prepare=False) as second:
        visitor = LiveBrowser(second.url)
        status, home = visitor.open("/")
        assert status == 200 and after["articles"][articles[-1]] in home
        assert visitor.open(f"/articles/{articles[0]}")[0] == 200
        for url in media_urls:
            with visitor.opener.open(second.url + url) as response:
                assert hashlib.sha256(response.read()).hexdigest() in restored["media"]
        staff = LiveBrowser(second.url)
        staff.sign_in("boss", STAFF_PASSWORD)
        status, inbox = staff.open("/admin/messages")
        assert status == 200 and any(receipt in inbox for receipt in restored["receipts"])


@SQLITE_ONLY
def test_restore_of_a_backup_older_than_the_code_migrates_it_forward(
    app, make_article, auth, tmp_path
):
    auth.create()
    article = make_article(title="迁移前的文章")
    with app.app_context():
        heads = schema.code_heads()
        downgrade(revision="-1")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(tmp_path / "backups")]).exit_code == 0
    (backup,) = (tmp_path / "backups").iterdir()
    with sqlite3.connect(backup) as old:
        older = old.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert older not in heads

    fresh = other_app(f"sqlite:///{tmp_path / 'fresh.db'}")
    result = fresh.test_cli_runner().invoke(args=["restore", str(backup)])

    assert result.exit_code == 0, result.output
    assert f"已从 {older} 升级到 {', '.join(sorted(heads))}" in result.output
    with fresh.app_context(), db.engine.connect() as connection:
        assert schema.database_heads(connection) == heads
    client = fresh.test_client()
    assert "迁移前的文章" in client.get(f"/articles/{article}").get_data(as_text=True)
    login = {"username": "boss", "password": STAFF_PASSWORD}
    fresh.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/admin/login", data=login).status_code == 303
    assert client.get("/admin/messages").status_code == 200


@SQLITE_ONLY
def test_restore_refuses_a_database_that_is_not_empty_unless_forced(app, tmp_path, make_article):
    make_article(title="备份里的文章")
    runner = app.test_cli_runner()
    runner.invoke(args=["backup", str(tmp_path / "backups")])
    (backup,) = (tmp_path / "backups").iterdir()
    make_article(title="备份后写的文章")

    refused = runner.invoke(args=["restore", str(backup)])
    assert refused.exit_code != 0
    assert "不是空的" in refused.output and "--force" in refused.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Article.id))) == 2

    forced = runner.invoke(args=["restore", str(backup), "--force"])
    assert forced.exit_code == 0, forced.output
    with app.app_context():
        assert list(db.session.scalars(sa.select(Article.title))) == ["备份里的文章"]


@SQLITE_ONLY
def test_restore_refuses_what_is_not_a_backup_of_this_site(tmp_path):
    fresh = other_app(f"sqlite:///{tmp_path / 'fresh.db'}")
    runner = fresh.test_cli_runner()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert "不是可用的 SQLite 数据库" in runner.invoke(args=["restore", str(junk)]).output
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as other:
        other.execute("CREATE TABLE alembic_version (version_num VARCHAR(32))")
        other.execute("INSERT INTO alembic_version VALUES ('ffffffffffff')")
    result = runner.invoke(args=["restore", str(foreign)])
    assert result.exit_code != 0 and "比当前程序新" in result.output
    assert "找不到备份文件" in runner.invoke(args=["restore", str(tmp_path / "none.db")]).output


@SQLITE_ONLY
def test_keep_prunes_only_older_backups_the_command_made(app, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    old = [f"portal-2025010{day}T020000Z.db" for day in (1, 2, 3)]
    for name in (*old, "notes.txt", "portal-before-upgrade.db"):
        (folder / name).write_bytes(b"x")

    result = app.test_cli_runner().invoke(args=["backup", str(folder), "--keep", "2"])

    assert result.exit_code == 0, result.output
    left = sorted(path.name for path in folder.iterdir())
    made = [name for name in left if BACKUP_NAME.fullmatch(name) and "2025" not in name]
    assert left == sorted(["portal-20250103T020000Z.db", *made, "notes.txt",
                           "portal-before-upgrade.db"])  # fmt: skip
    assert len(made) == 1 and (folder / made[0]).stat().st_mode & 0o777 == 0o600
    assert "已删除较早的备份 2 个" in result.output


def test_on_postgresql_backup_and_restore_say_what_to_do_instead(app, tmp_path):
    """On the PostgreSQL pass this is the real database; on SQLite, an address never dialled."""
    if not ON_POSTGRES:
        app = other_app("postgresql+psycopg://portal@db.example.internal:5433/portal")
    runner = app.test_cli_runner()
    backup = runner.invoke(args=["backup", str(tmp_path / "backups")])
    assert backup.exit_code != 0
    assert "pg_dump --format=custom" in backup.output and "PostgreSQL" in backup.output
    assert not (tmp_path / "backups").exists()
    (tmp_path / "some.dump").write_bytes(b"x")
    restore = runner.invoke(args=["restore", str(tmp_path / "some.dump")])
    assert restore.exit_code != 0 and "pg_restore" in restore.output
