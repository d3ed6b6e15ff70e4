"""Edits show at once on every worker and every app server sharing the database."""

import re
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import sqlalchemy as sa

from app import create_app
from app.articles.service import Action, ArticleFields, save_article
from app.extensions import db
from app.models import Article, Section
from tests.conftest import STAFF_PASSWORD
from tests.helpers import page_token
from tests.live import live_server


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def test_an_edit_is_visible_through_two_app_servers_with_two_workers_each(database_url):
    with (
        live_server(database_url, workers=2) as first,
        live_server(database_url, workers=2, seed=False) as second,
    ):
        editor_app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"})
        with editor_app.app_context():
            section = db.session.scalar(sa.select(Section).filter_by(slug="news"))
            wanted = ArticleFields(title="第一版标题", section_id=section.id, body="<p>正文</p>")
            article = save_article(None, wanted, Action.PUBLISH, None)
            servers = [first.url, second.url]
            # Many requests, so that every worker of both servers answers some of them.
            for url in servers * 4:
                assert "第一版标题" in fetch(f"{url}/articles/{article.id}")
                assert "第一版标题" in fetch(f"{url}/")

            article = db.session.get(Article, article.id)
            wanted.title = "改过的标题"
            save_article(article, wanted, Action.PUBLISH, None, seen_version=article.version)
            section.name = "要闻动态"
            db.session.commit()
            for url in servers * 4:
                page = fetch(f"{url}/articles/{article.id}")
                assert "改过的标题" in page and "第一版标题" not in page
                home = fetch(f"{url}/")
                assert "改过的标题" in home and ">要闻动态</a>" in home
            db.session.remove()
            db.engine.dispose()


class Staff:
    """A 系统管理员 signed in to one app server through its admin pages, as a browser would."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.post("/admin/login", {"username": username, "password": password})

    def post(self, path: str, form: dict, token_from: str | None = None) -> str:
        """Send ``form`` with the CSRF token of the page at ``token_from`` (else ``path``)."""
        page = self.opener.open(self.url + (token_from or path), timeout=10).read().decode()
        body = urllib.parse.urlencode({**form, "csrf_token": page_token(page)}).encode()
        with self.opener.open(self.url + path, data=body, timeout=10) as response:
            self.last_url = response.url
            return response.read().decode()


def revalidated(url: str, etag: str) -> int:
    request = urllib.request.Request(url, headers={"If-None-Match": etag})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as answer:  # urllib raises on 304
        return answer.code


def test_admin_edits_show_at_once_through_the_workers_of_another_app_server(database_url):
    """An editor's changes made on one server reach the kept pages of the other's workers.

    On SQLite the two servers are workers on one file; with DATABASE_URL (PostgreSQL) they
    are two app servers on one database. The readers' server keeps every page first.
    """
    with (
        live_server(database_url, workers=1) as admin_server,
        live_server(database_url, workers=2, prepare=False) as readers,
    ):
        admin_server.flask("create-admin", "boss", "--password", STAFF_PASSWORD)
        staff = Staff(admin_server.url, "boss", STAFF_PASSWORD)
        fields = {"title": "第一版标题", "section": "1", "body": "<p>正文</p>", "action": "publish"}
        staff.post("/admin/articles/new", fields)
        article_path = urllib.parse.urlparse(staff.last_url).path  # /admin/articles/<id>
        public_path = article_path.replace("/admin", "")
        pages = ["/", "/news/", public_path]
        for _ in range(6):  # both workers answer some, and keep what they rendered
            for path in pages:
                assert "第一版标题" in fetch(readers.url + path)
        with urllib.request.urlopen(readers.url + "/news/", timeout=10) as response:
            kept_etag = response.headers["ETag"]
        assert revalidated(readers.url + "/news/", kept_etag) == 304

        edit_page = staff.opener.open(staff.url + article_path).read().decode()
        version = re.search(r'name="version" type="hidden" value="(\d+)"', edit_page).group(1)
        staff.post(article_path, {**fields, "title": "改过的标题", "version": version})
        staff.post("/admin/sections/1/edit", {"name": "要闻动态"})
        staff.post("/admin/sections/3/move", {"direction": "up"}, token_from="/admin/sections")

        assert revalidated(readers.url + "/news/", kept_etag) == 200
        for _ in range(6):
            for path in pages:
                page = fetch(readers.url + path)
                assert "改过的标题" in page and "第一版标题" not in page, path
                nav = re.search(r'<nav class="site-nav".*?</nav>', page, re.S).group(0)
                names = re.findall(r'<a href="/[a-z]+/"[^>]*>([^<]+)</a>', nav)
                assert names == ["要闻动态", "风险预警", "贸易指南"], (path, names)
