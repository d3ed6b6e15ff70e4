"""When the database cannot write: readers still get pages, /healthz tells, forms say so."""

import logging
import sqlite3
import threading
import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import SQLITE_BUSY_TIMEOUT_MS, db
from app.models import Article, Message
from app.models.content import view_missed
from tests.conftest import STAFF_PASSWORD, AuthActions
from tests.helpers import started_token

BUSY = "系统繁忙，请稍后再试"


def database_url(app) -> sa.URL:
    with app.app_context():
        return db.engine.url


@contextmanager
def write_lock_held(app, article_id: int):
    """Another connection holds a write lock for as long as the block runs: SQLite's
    single writer lock (BEGIN IMMEDIATE), or on PostgreSQL a lock on the article's row."""
    url = database_url(app)
    if url.get_backend_name() == "sqlite":
        other = sqlite3.connect(url.database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
    else:
        engine = sa.create_engine(url)
        with engine.connect() as other:
            # Should the app wait for the lock after all, the test fails instead of hanging.
            other.execute(sa.text("SET idle_in_transaction_session_timeout = '20s'"))
            other.execute(
                sa.text("SELECT id FROM articles WHERE id = :id FOR UPDATE"), {"id": article_id}
            )
            try:
                yield
            finally:
                other.rollback()
        engine.dispose()


def views_of(app, article_id: int) -> int:
    with app.app_context():
        return db.session.get(Article, article_id).views


def test_articles_are_served_while_another_connection_holds_the_write_lock(
    app, make_article, caplog
):
    """The probe: a 15-second lock while 20 readers arrive at once. Every reader gets
    the page with the count as it stands, none waits for the lock, each miss is told."""
    app.config["DB_WRITE_WAIT_MS"] = 300
    article_id = make_article(views=41)
    missed, statuses = [], []

    def read():
        response = app.test_client().get(f"/articles/{article_id}")
        statuses.append((response.status_code, "41" in response.get_data(as_text=True)))

    caplog.set_level(logging.WARNING)
    counting_misses = view_missed.connected_to(lambda sender: missed.append(sender))
    with counting_misses, write_lock_held(app, article_id):
        started = time.monotonic()
        readers = [threading.Thread(target=read) for _ in range(20)]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(timeout=15)
        elapsed = time.monotonic() - started
    assert elapsed < 15, "readers waited for the lock"
    assert statuses == [(200, True)] * 20
    assert views_of(app, article_id) == 41
    assert missed == [article_id] * 20
    logged = [r for r in caplog.records if "not counted" in r.getMessage()]
    assert len(logged) == 20


def test_views_count_again_once_the_lock_is_gone(app, client, make_article):
    app.config["DB_WRITE_WAIT_MS"] = 200
    article_id = make_article(views=5)
    with write_lock_held(app, article_id):
        assert client.get(f"/articles/{article_id}").status_code == 200
    assert client.get(f"/articles/{article_id}").status_code == 200
    assert views_of(app, article_id) == 6


def test_a_counted_view_leaves_other_writes_their_usual_wait(app, client, make_article):
    """The short wait is for the view's own write: the pooled connection gets the usual back."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's busy timeout belongs to the connection")
    article_id = make_article()
    assert client.get(f"/articles/{article_id}").status_code == 200
    with app.app_context():
        pooled = [db.engine.raw_connection() for _ in range(db.engine.pool.checkedin())]
        waits = {c.driver_connection.execute("PRAGMA busy_timeout").fetchone()[0] for c in pooled}
        for connection in pooled:
            connection.close()
    assert waits == {SQLITE_BUSY_TIMEOUT_MS}


def test_an_unknown_article_is_still_404_while_locked(app, client, make_article):
    app.config["DB_WRITE_WAIT_MS"] = 200
    article_id = make_article()
    with write_lock_held(app, article_id):
        assert client.get("/articles/999").status_code == 404


def read_only_url(url: sa.URL) -> str:
    """The same database, opened read-only: SQLite as a read-only file would be, PostgreSQL
    as a hot standby or a read-only role is (every transaction read-only)."""
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///file:{url.database}?mode=ro&uri=true"
    read_only = url.update_query_dict({"options": "-c default_transaction_read_only=on"})
    return read_only.render_as_string(hide_password=False)


@pytest.fixture
def read_only(tmp_path, monkeypatch, make_article, app):
    """An app on the test database, opened again read-only."""
    url = database_url(app)
    article_id = make_article(views=7)
    with app.app_context():
        AuthActions(app, app.test_client()).create()
        db.engine.dispose()
    monkeypatch.delenv("DATABASE_URL", raising=False)
    frozen = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "CONSULT_MIN_FILL_SECONDS": 0,
            "SQLALCHEMY_DATABASE_URI": read_only_url(url),
        }
    )
    frozen.article_id = article_id
    yield frozen
    with frozen.app_context():
        db.engine.dispose()


def test_a_read_only_database_still_serves_articles(read_only, caplog):
    missed = []
    with view_missed.connected_to(lambda sender: missed.append(sender)):
        response = read_only.test_client().get(f"/articles/{read_only.article_id}")
    assert response.status_code == 200
    assert missed == [read_only.article_id]
    assert any("not counted" in record.getMessage() for record in caplog.records)


def test_healthz_is_503_with_the_reason_when_the_database_is_read_only(read_only):
    response = read_only.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "error",
        "database": "not-writable",
        "reason": "read-only",
    }


def test_healthz_writes_nothing_when_all_is_well(app, client):
    with app.app_context():
        before = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == before


def test_healthz_is_503_while_the_write_lock_is_held(app, client, make_article):
    app.config["DB_WRITE_WAIT_MS"] = 200
    article_id = make_article()
    with write_lock_held(app, article_id):
        if database_url(app).get_backend_name() != "sqlite":
            pytest.skip("a row lock does not stop the health check's write")
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["reason"] == "locked"


MESSAGE = {
    "name": "王小明",
    "phone": "13812345678",
    "category": "贸易指南",
    "content": "请问出口许可证怎么办理?这是我输入的原话。",
}


def test_a_consultation_gets_503_and_keeps_the_typed_text(read_only):
    client = read_only.test_client()
    response = client.post("/consult", data={**MESSAGE, "started": started_token(client)})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert BUSY in page
    assert "这是我输入的原话" in page and 'value="王小明"' in page


def test_a_consultation_in_the_dialog_gets_the_message_in_place(read_only):
    client = read_only.test_client()
    response = client.post(
        "/consult",
        data={**MESSAGE, "started": started_token(client)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.headers["HX-Retarget"] == "#consult-alert"
    assert BUSY in response.get_data(as_text=True)
    assert "<form" not in response.get_data(as_text=True)  # the typed form stays as it is


def test_sign_in_gets_503_when_the_database_cannot_write(read_only):
    response = read_only.test_client().post(
        "/admin/login", data={"username": "boss", "password": STAFF_PASSWORD}
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert BUSY in page and 'value="boss"' in page


def test_nothing_is_stored_by_a_failed_consultation(read_only, app):
    client = read_only.test_client()
    client.post("/consult", data={**MESSAGE, "started": started_token(client)})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0
