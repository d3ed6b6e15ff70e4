"""RSS feeds, the sitemap, robots.txt and the sharing metadata of article pages."""

import json
import re
from datetime import datetime, timedelta
from xml.etree import ElementTree

import feedparser
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.feeds import service
from app.models import Article, ArticleStatus, Role, Section
from app.models.base import utcnow

SITE = "https://www.ccpit.example/portal"
NS = {"sm": service.SITEMAP_NS}
HOSTILE_TITLE = "中欧班列 & 关税 <调整> 🚢 </script><script>alert(1)</script>"


@pytest.fixture
def site(app):
    """The app told that it is served at ``SITE``."""
    app.config["SITE_URL"] = SITE
    return app


def hide_section(app, slug):
    with app.app_context():
        db.session.execute(sa.update(Section).where(Section.slug == slug).values(hidden=True))
        db.session.commit()


def feed_of(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/rss+xml")
    ElementTree.fromstring(response.data)  # well-formed XML, or this raises
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def sitemap_entries(client, url="/sitemap.xml") -> dict[str, str | None]:
    """The sitemap's addresses, each with its lastmod."""
    response = client.get(url)
    assert response.status_code == 200
    root = ElementTree.fromstring(response.data)
    assert root.tag == f"{{{service.SITEMAP_NS}}}urlset"
    return {
        url.findtext("sm:loc", namespaces=NS): url.findtext("sm:lastmod", namespaces=NS)
        for url in root.findall("sm:url", NS)
    }


def test_site_feed_has_the_newest_twenty_public_articles_with_absolute_links(
    site, client, make_article
):
    ids = [make_article(title=f"文章{n}", summary=f"摘要{n}") for n in range(1, 23)]
    feed = feed_of(client, "/feed.xml")
    assert feed.version == "rss20"
    assert feed.feed.link == f"{SITE}/"
    titles = [entry.title for entry in feed.entries]
    assert titles == [f"文章{n}" for n in range(22, 2, -1)]  # newest first, 20 of them
    newest = feed.entries[0]
    assert newest.link == f"{SITE}/articles/{ids[-1]}"
    assert newest.summary == "摘要22"
    assert newest.published_parsed[:3] == (2026, 1, 23)


def test_a_title_with_markup_characters_and_emoji_round_trips(site, client, make_article):
    make_article(title=HOSTILE_TITLE, summary="A&B <b>不是标签</b> 😀")
    for url in ("/feed.xml", "/news/feed.xml"):
        entry = feed_of(client, url).entries[0]
        assert entry.title == HOSTILE_TITLE
        raw = ElementTree.fromstring(client.get(url).data)
        assert raw.findtext("channel/item/title") == HOSTILE_TITLE
        assert raw.findtext("channel/item/description") == "A&B <b>不是标签</b> 😀"


def test_control_characters_in_a_title_do_not_break_the_feed(client, make_article):
    make_article(title="标题\x0b带控制符\x1f")  # storable in both databases, not in XML
    assert feed_of(client, "/feed.xml").entries[0].title == "标题带控制符"


def test_section_feed_holds_only_its_section_and_a_hidden_section_has_none(
    site, client, make_article
):
    make_article(section="news", title="要闻一则")
    make_article(section="guides", title="指南一则")
    feed = feed_of(client, "/guides/feed.xml")
    assert [entry.title for entry in feed.entries] == ["指南一则"]
    assert feed.feed.link == f"{SITE}/guides/"
    hide_section(client.application, "guides")
    assert client.get("/guides/feed.xml").status_code == 404
    assert client.get("/nosuch/feed.xml").status_code == 404


def test_drafts_scheduled_offline_and_hidden_articles_are_in_no_feed_or_sitemap(
    site, client, make_article
):
    shown = make_article(title="公开文章")
    hidden = {
        make_article(title="草稿文章", status=ArticleStatus.DRAFT),
        make_article(title="下线文章", status=ArticleStatus.OFFLINE),
        make_article(title="定时文章", published_at=utcnow() + timedelta(days=1)),
        make_article(section="alerts", title="隐藏栏目文章"),
    }
    hide_section(client.application, "alerts")
    for url in ("/feed.xml", "/news/feed.xml"):
        assert [entry.title for entry in feed_of(client, url).entries] == ["公开文章"]
    urls = sitemap_entries(client)
    assert f"{SITE}/articles/{shown}" in urls
    assert not {f"{SITE}/articles/{n}" for n in hidden} & set(urls)
    assert f"{SITE}/alerts/" not in urls and f"{SITE}/news/" in urls


def test_feeds_and_sitemap_show_a_change_at_once(site, client, make_article):
    article_id = make_article(title="旧标题")
    assert feed_of(client, "/feed.xml").entries[0].title == "旧标题"
    with client.application.app_context():
        db.session.get(Article, article_id).title = "新标题"
        db.session.commit()
    assert feed_of(client, "/feed.xml").entries[0].title == "新标题"
    response = client.get("/sitemap.xml")  # revalidated each time, never kept by the clock
    assert response.headers["Cache-Control"] == "no-cache" and response.headers["ETag"]


def test_sitemap_lists_every_public_page_with_lastmod_from_updated_at(site, client, make_article):
    changed = datetime(2026, 2, 3, 4, 5, 6)
    article_id = make_article(section="guides", updated_at=changed)
    urls = sitemap_entries(client)
    for page in ("/", "/consult", "/privacy", "/news/", "/guides/", "/alerts/"):
        assert f"{SITE}{page}" in urls
    assert urls[f"{SITE}/articles/{article_id}"] == "2026-02-03T04:05:06+00:00"
    assert urls[f"{SITE}/guides/"] == "2026-02-03T04:05:06+00:00"
    for _ in range(3):
        assert client.get(f"/articles/{article_id}").status_code == 200  # views counted
    assert sitemap_entries(client)[f"{SITE}/articles/{article_id}"] == "2026-02-03T04:05:06+00:00"


def test_sitemap_becomes_an_index_of_pages_past_the_page_size(
    site, client, make_article, monkeypatch
):
    ids = [make_article() for _ in range(7)]
    fixed = len(service.STATIC_PAGES) + 3  # the three sections
    monkeypatch.setattr(service, "SITEMAP_PAGE_URLS", 4)
    root = ElementTree.fromstring(client.get("/sitemap.xml").data)
    assert root.tag == f"{{{service.SITEMAP_NS}}}sitemapindex"
    pages = [loc.text for loc in root.findall("sm:sitemap/sm:loc", NS)]
    assert pages == [f"{SITE}/sitemap-{n}.xml" for n in (1, 2, 3, 4)]  # 13 addresses
    seen = []
    for n in (1, 2, 3, 4):
        entries = sitemap_entries(client, f"/sitemap-{n}.xml")
        assert 1 <= len(entries) <= 4
        seen += entries
    assert len(seen) == len(set(seen)) == fixed + len(ids)
    assert seen[fixed:] == [f"{SITE}/articles/{n}" for n in ids]
    assert client.get("/sitemap-5.xml").status_code == 404
    assert client.get("/sitemap-0.xml").status_code == 404


def test_robots_names_the_sitemap_and_keeps_crawlers_out_of_the_admin(site, client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert "Disallow: /admin/" in lines
    assert f"Sitemap: {SITE}/sitemap.xml" in lines


def test_a_spoofed_host_never_appears_in_an_absolute_address(site, client, make_article):
    article_id = make_article()
    spoof = {"X-Forwarded-Host": "evil.example"}  # another Host is refused (test_hardening_proxy)
    for url in (
        "/feed.xml",
        "/news/feed.xml",
        "/sitemap.xml",
        "/robots.txt",
        f"/articles/{article_id}",
    ):
        body = client.get(url, headers=spoof).get_data(as_text=True)
        assert "evil.example" not in body
        assert SITE in body


def test_pages_link_their_feeds(client):
    home = client.get("/").get_data(as_text=True)
    assert re.search(
        r'<link rel="alternate" type="application/rss\+xml"[^>]*href="/feed.xml"', home
    )
    assert re.search(r'<a href="/feed.xml"[^>]*>RSS 订阅</a>', home)
    section = client.get("/guides/").get_data(as_text=True)
    assert 'href="/guides/feed.xml"' in section


def head_of(page: str) -> str:
    return page[: page.index("</head>")]


def test_article_page_carries_canonical_open_graph_and_news_article(site, client, make_article):
    article_id = make_article(
        title=HOSTILE_TITLE, summary="摘要", author="张记者", updated_at=datetime(2026, 3, 1)
    )
    head = head_of(client.get(f"/articles/{article_id}").get_data(as_text=True))
    url = f"{SITE}/articles/{article_id}"
    assert f'<link rel="canonical" href="{url}">' in head
    assert f'<meta property="og:url" content="{url}">' in head
    assert '<meta property="og:type" content="article">' in head
    assert '<meta property="og:description" content="摘要">' in head
    assert "og:title" in head and "</script><script>" not in head.split("og:title")[1]
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', head, re.S)
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    assert data["@type"] == "NewsArticle" and data["headline"] == HOSTILE_TITLE
    assert data["mainEntityOfPage"] == url
    assert data["dateModified"] == "2026-03-01T00:00:00+00:00"
    assert data["author"] == {"@type": "Person", "name": "张记者"}
    assert data["publisher"]["name"] == client.application.config["SITE_NAME"]


def test_a_preview_has_no_canonical_no_sharing_tags_and_is_not_indexable(site, auth, make_article):
    article_id = make_article()
    auth.login("editor", roles=[Role.EDITOR])
    response = auth._client.post(
        f"/admin/articles/preview?article={article_id}",
        data={"title": "预览标题", "section": "1", "body": "<p>正文</p>", "action": "publish"},
    )
    assert response.status_code == 200
    head = head_of(response.get_data(as_text=True))
    assert '<meta name="robots" content="noindex, nofollow">' in head
    assert 'rel="canonical"' not in head
    assert "og:" not in head
    assert "application/ld+json" not in head
