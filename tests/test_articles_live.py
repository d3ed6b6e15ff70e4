"""Edits show at once on every worker and every app server sharing the database."""

import urllib.request

import sqlalchemy as sa

from app import create_app
from app.articles.service import Action, ArticleFields, save_article
from app.extensions import db
from app.models import Article, Section
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
