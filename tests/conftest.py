"""Fixtures after flaskr's: an app on a fresh database, its client and CLI runner."""

import itertools
import os
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from app.cli import init_db
from app.extensions import db
from app.models import Article, ArticleStatus, Role, Section


def empty_database(default_url: str) -> str:
    """Return an emptied database to test against: DATABASE_URL when set, else ``default_url``.

    CI runs the suite a second time on PostgreSQL with DATABASE_URL set; that database is
    shared by every test, so each test starts by dropping whatever the last one left.
    """
    url = os.environ.get("DATABASE_URL")
    if not url:
        return default_url
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def migrated_app(sqlite_file, **config):
    """A test app whose database the migrations have brought up to date."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{sqlite_file}",
            "WTF_CSRF_ENABLED": False,
            **config,
        }
    )
    with app.app_context():
        init_db()
    return app


@pytest.fixture
def app(tmp_path):
    """An app on an empty database (SQLite in tmp_path, or DATABASE_URL when set)."""
    empty_database("")
    app = migrated_app(tmp_path / "test.db")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_article(app):
    """Create an article; published in the 今日要闻 section unless told otherwise."""
    counter = itertools.count(1)

    def make(section="news", status=ArticleStatus.PUBLISHED, published_at=None, **fields):
        n = next(counter)
        with app.app_context():
            target = db.session.scalar(db.select(Section).filter_by(slug=section))
            article = Article(
                section=target,
                title=fields.pop("title", f"测试文章{n}"),
                summary=fields.pop("summary", f"测试摘要{n}"),
                body=fields.pop("body", f"<h2>小标题{n}</h2><p>正文内容{n}</p>"),
                source=fields.pop("source", "市贸促会"),
                status=status,
                published_at=published_at or datetime(2026, 1, 1) + timedelta(days=n),
                **fields,
            )
            db.session.add(article)
            db.session.commit()
            return article.id

    return make


@pytest.fixture
def database_url(tmp_path):
    """An empty database for a live server: a fresh SQLite file, or DATABASE_URL emptied."""
    return empty_database(f"sqlite:///{tmp_path / 'live.db'}")


STAFF_PASSWORD = "correct-horse-battery"


class AuthActions:
    """Sign the test client in and out as staff (after flaskr's ``AuthActions``)."""

    def __init__(self, app, client):
        self._app, self._client = app, client

    def create(self, username="boss", password=STAFF_PASSWORD, roles=tuple(Role), **fields):
        """Create a staff account with ``roles`` (every role by default) unless it exists."""
        from app.models.accounts import User, find_user

        with self._app.app_context():
            user = find_user(username)
            if user is None:
                user = User(username=username, **fields)
                user.set_password(password)
                user.roles = roles
                db.session.add(user)
                db.session.commit()
            return user.id

    def login(
        self, username="boss", password=STAFF_PASSWORD, next=None, roles=tuple(Role), **kwargs
    ):
        """Post the login form (creating the account first); return the response."""
        self.create(username, password, roles)
        query = {"next": next} if next else {}
        data = {"username": username, "password": password}
        return self._client.post("/admin/login", query_string=query, data=data, **kwargs)

    def logout(self):
        return self._client.post("/admin/logout")


@pytest.fixture
def auth(app, client, monkeypatch):
    """Staff sign-in for ``client``; argon2id made cheap so each test does not spend 0.1 s."""
    from argon2 import PasswordHasher

    from app.models import accounts

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "hasher", cheap)
    return AuthActions(app, client)


@pytest.fixture
def make_message(app):
    """Create a consultation message (待处理 unless told otherwise); return its id."""
    from app.models import Message

    counter = itertools.count(1)

    def make(**fields):
        n = next(counter)
        defaults = {
            "name": f"访客{n}",
            "phone": f"1380000{n:04d}",
            "category": "贸易指南",
            "content": f"咨询内容{n}",
        }
        with app.app_context():
            message = Message(**{**defaults, **fields})
            db.session.add(message)
            db.session.commit()
            return message.id

    return make


@pytest.fixture
def staff_app(tmp_path, auth):
    """Build another app with ``config`` over the test defaults, holding staff account ``boss``."""
    made = itertools.count(1)

    def make(**config):
        other = migrated_app(tmp_path / f"other{next(made)}.db", **config)
        AuthActions(other, other.test_client()).create()
        return other

    return make
