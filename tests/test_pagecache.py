"""Public pages kept per content version: ETag/304, exact counts, edits shown at once."""

import gzip
import re
from datetime import timedelta

import brotli
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

import app.feeds.routes as feed_routes
import app.pagecache as app_pagecache
import app.public.routes as public_routes
from app import create_app
from app.extensions import db
from app.models import Article, Section
from app.models.base import utcnow
from app.models.content import content_version
from app.pagecache import PageCache, deflate_parts, gzip_around
from tests.helpers import counted_statements

KEPT_PAGES = ["/", "/news/", "/news/?page=1", "/sitemap.html", "/feed.xml", "/sitemap.xml"]
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}


def version(app):
    with app.app_context():
        return content_version()


def text_of(response) -> str:
    """The page as a browser reads it, whatever the encoding."""
    body = response.data
    match response.headers.get("Content-Encoding"):
        case "br":
            body = brotli.decompress(body)
        case "gzip":
            body = gzip.decompress(body)
    return body.decode()


@pytest.mark.parametrize("path", KEPT_PAGES)
def test_an_unchanged_page_revalidates_with_304(client, make_article, path):
    make_article(title="第一篇")
    first = client.get(path, headers=BROWSER)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache"
    again = client.get(path, headers={**BROWSER, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert "Accept-Encoding" in again.headers["Vary"]


def test_every_worker_sends_the_same_etag_for_an_unchanged_page(
    app, client, make_article, monkeypatch
):
    """A reverse proxy revalidating through another worker (or app server) still gets 304:
    the kept bytes depend on the content only, not on when or where they were rendered."""
    make_article(title="同一内容")
    first = {path: client.get(path, headers=BROWSER).headers["ETag"] for path in KEPT_PAGES}
    later = utcnow() + timedelta(minutes=5)
    for module in (app_pagecache, public_routes, feed_routes):
        monkeypatch.setattr(module, "utcnow", lambda: later)
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    other_worker = create_app({"SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database})
    with other_worker.test_client() as other:
        for path, etag in first.items():
            response = other.get(path, headers={**BROWSER, "If-None-Match": etag})
            assert response.status_code == 304, path


@pytest.mark.parametrize("path", ["/", "/news/"])
def test_an_edit_changes_the_page_and_its_etag(app, client, make_article, path):
    article_id = make_article(title="旧的标题")
    old = client.get(path, headers=BROWSER)
    assert "旧的标题" in text_of(old)
    with app.app_context():
        db.session.get(Article, article_id).title = "新的标题"
        db.session.commit()
    new = client.get(path, headers={**BROWSER, "If-None-Match": old.headers["ETag"]})
    assert new.status_code == 200 and new.headers["ETag"] != old.headers["ETag"]
    assert "新的标题" in text_of(new) and "旧的标题" not in text_of(new)


@pytest.mark.parametrize("accept, encoding", [("br", "br"), ("gzip", "gzip"), ("", None)])
def test_each_encoding_has_its_own_etag_and_the_same_page(client, make_article, accept, encoding):
    make_article(title="编码测试")
    plain = client.get("/news/", headers={"Accept-Encoding": ""})
    response = client.get("/news/", headers={"Accept-Encoding": accept})
    assert response.headers.get("Content-Encoding") == encoding
    assert text_of(response) == plain.get_data(as_text=True)
    suffix = f"-{encoding}" if encoding else ""
    assert response.headers["ETag"] == plain.headers["ETag"][:-1] + suffix + '"'


def test_the_article_page_is_never_304_and_counts_every_view(app, client, make_article):
    article_id = make_article()
    for n in range(1, 6):
        response = client.get(f"/articles/{article_id}", headers={**BROWSER, "If-None-Match": "*"})
        assert response.status_code == 200 and "ETag" not in response.headers
        assert response.headers["Cache-Control"] == "no-cache"
        shown = re.search(r'data-hx-swap="outerHTML">(\d+)</span>', text_of(response)).group(1)
        assert int(shown) == n
    with app.app_context():
        assert db.session.get(Article, article_id).views == 5


def test_a_kept_article_shows_an_edit_at_the_next_view(app, client, make_article):
    article_id = make_article(title="初版")
    assert "初版" in text_of(client.get(f"/articles/{article_id}", headers=BROWSER))
    with app.app_context():
        db.session.get(Article, article_id).title = "修订版"
        db.session.commit()
    page = text_of(client.get(f"/articles/{article_id}", headers=BROWSER))
    assert "修订版" in page and "初版" not in page


def test_counting_a_view_keeps_the_version_and_every_content_write_replaces_it(
    app, client, make_article
):
    article_id = make_article()
    before = version(app)
    client.get(f"/articles/{article_id}")
    assert version(app) == before
    with app.app_context():  # an ORM statement, not a flush
        db.session.execute(sa.update(Section).where(Section.slug == "news").values(name="要闻"))
        db.session.commit()
    renamed = version(app)
    assert renamed != before
    make_article()
    assert version(app) not in (before, renamed)


def test_elder_mode_and_htmx_fragments_are_kept_apart(client, make_article):
    make_article(title="分开保存")
    plain = client.get("/news/").get_data(as_text=True)
    client.set_cookie("elder_mode", "1")
    elder = client.get("/news/")
    assert 'class="elder"' in elder.get_data(as_text=True) and 'class="elder"' not in plain
    assert "Cookie" in elder.headers["Vary"]
    again = client.get("/news/")  # from the kept copy: still says it depends on the cookie
    assert 'class="elder"' in again.get_data(as_text=True) and "Cookie" in again.headers["Vary"]
    fragment = client.get("/news/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "分开保存" in fragment
    assert "<html" in client.get("/news/").get_data(as_text=True)


def test_pages_are_right_when_nothing_can_be_kept(app, client, make_article):
    app.extensions["page_cache"] = PageCache(max_bytes=1)
    article_id = make_article(title="不保存")
    for _ in range(2):
        assert "不保存" in text_of(client.get("/", headers=BROWSER))
        assert "不保存" in text_of(client.get(f"/articles/{article_id}", headers=BROWSER))


@pytest.mark.parametrize("path", ["/", "/news/", "/feed.xml", "ARTICLE"])
def test_a_kept_public_page_costs_one_statement(app, client, make_article, path):
    article_id = make_article()
    path = f"/articles/{article_id}" if path == "ARTICLE" else path
    client.get(path)
    with counted_statements(app) as statements:
        assert client.get(path).status_code == 200
    queries = [s for s in statements if not s.startswith("SET LOCAL")]  # PostgreSQL's timeouts
    assert len(queries) == 1, statements  # the version, or the view counted with it


@given(
    parts=st.lists(st.binary(max_size=3000), min_size=1, max_size=4),
    filling=st.binary(max_size=40),
)
def test_gzip_around_is_the_joined_page_gzipped(parts, filling):
    joined = gzip_around(parts, deflate_parts(parts), filling)
    assert gzip.decompress(joined) == filling.join(parts)
