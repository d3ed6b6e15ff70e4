"""Real Chromium (Debian's) driven by Playwright against the app under gunicorn."""

import os
from pathlib import Path

import pytest

from tests.live import live_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
POLL_SECONDS = 1
CONSULT_MIN_FILL_SECONDS = 1


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole run; missing Chromium fails under CI, skips elsewhere."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: CI must run the browser tests")
        pytest.skip("Chromium is not installed; `make test` installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site_db(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('site') / 'site.db'}"


@pytest.fixture(scope="session")
def live_site(site_db):
    """The portal with its demo content, polling view counts every second."""
    with live_server(
        site_db,
        workers=2,
        VIEW_POLL_SECONDS=POLL_SECONDS,
        CONSULT_MIN_FILL_SECONDS=CONSULT_MIN_FILL_SECONDS,
        CONSULT_RATE_LIMIT="100 per minute",  # every consultation test posts from 127.0.0.1
    ) as server:
        yield server


@pytest.fixture(scope="session")
def site(live_site):
    """The live site's base URL."""
    return live_site.url


@pytest.fixture
def context(browser):
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def add_articles(site_db):
    """Add ``count`` published articles to a section of the live site's database."""
    from datetime import datetime, timedelta

    from app import create_app
    from app.extensions import db
    from app.models import Article, ArticleStatus, Section

    app = create_app({"SQLALCHEMY_DATABASE_URI": site_db, "SECRET_KEY": "x"})

    def add(slug: str, count: int) -> None:
        with app.app_context():
            section = db.session.scalar(db.select(Section).filter_by(slug=slug))
            for n in range(count):
                db.session.add(
                    Article(
                        section=section,
                        title=f"补充文章{slug}{n}",
                        summary="用于分页的补充文章。",
                        body="<p>补充文章正文。</p>",
                        source="测试",
                        status=ArticleStatus.PUBLISHED,
                        published_at=datetime(2025, 1, 1) + timedelta(hours=n),
                    )
                )
            db.session.commit()

    return add
