"""Operations: the health check, static file caching and compression."""

import os
import re

from app import create_app
from app.extensions import db


def test_healthz_answers_ok_with_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_down(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    unreachable = f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": unreachable})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_static_urls_carry_a_content_hash_and_are_cached_for_a_year(client):
    page = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/css/site\.css\?v=[0-9a-f]{12})"', page)
    assert css, "the stylesheet URL has no content hash"
    response = client.get(css.group(1))
    assert response.status_code == 200
    assert response.cache_control.max_age == 365 * 24 * 3600


def test_text_responses_are_compressed(client):
    browser = {"Accept-Encoding": "gzip, deflate, br, zstd"}
    for path in ("/", "/static/css/site.css", "/static/vendor/htmx.min.js"):
        response = client.get(path, headers=browser)
        assert response.headers.get("Content-Encoding") in {"br", "zstd", "gzip"}, path


def test_suite_runs_on_the_expected_database(app):
    """CI's second pass sets EXPECT_DATABASE=postgresql: fail loudly if it fell back to SQLite."""
    expected = os.environ.get("EXPECT_DATABASE", "sqlite")
    with app.app_context():
        assert db.engine.dialect.name == expected
