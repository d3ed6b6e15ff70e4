"""RSS feeds, the sitemap, robots.txt and an article's metadata for search engines and sharing.

Everything is read from the database on each request, with the same rule the pages use
(已发布, 发布日期 come, section not hidden), so a change shows in the feeds at once. Every
absolute address starts with ``SITE_URL``, never with a request's Host header.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import NamedTuple
from xml.etree import ElementTree

import sqlalchemy as sa
from feedgen.feed import FeedGenerator
from flask import current_app

from app.extensions import db
from app.mail.notices import site_link
from app.models.content import Article, Section, is_public, section_listing, visible_sections

FEED_ARTICLES = 20  # the newest articles a feed carries
SITEMAP_PAGE_URLS = 50_000  # the protocol's limit of addresses in one sitemap file
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
STATIC_PAGES = ("public.home", "consult.form", "public.privacy")  # pages outside any section
# Characters XML 1.0 cannot carry at all (control characters, lone surrogates, U+FFFE/FFFF).
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters an XML document cannot hold (escaping is the writer's)."""
    return NOT_XML.sub("", text)


def w3c_time(moment: datetime) -> str:
    """A stored naive UTC time in the W3C format sitemaps and JSON-LD use."""
    return moment.replace(tzinfo=UTC).isoformat(timespec="seconds")


# Feeds -------------------------------------------------------------------------------------


def newest_public(now: datetime, section: Section | None = None) -> list[Article]:
    """The ``FEED_ARTICLES`` newest public articles of ``section``, or of the whole site."""
    if section is not None:
        query = section_listing(section, now)
    else:
        query = (
            sa.select(Article)
            .join(Article.section)
            .where(is_public(now), sa.not_(Section.hidden))
            .order_by(Article.published_at.desc(), Article.id.desc())
        )
    return list(db.session.scalars(query.limit(FEED_ARTICLES)))


def rss(now: datetime, section: Section | None = None) -> bytes:
    """The RSS 2.0 document of the site, or of ``section``: its newest public articles."""
    site = current_app.config["SITE_NAME"]
    fg = FeedGenerator()  # feedgen's RSS <link> is the last link added: "self" goes first
    if section is None:
        fg.title(xml_text(site))
        fg.link(href=site_link("feeds.site_feed"), rel="self")
        fg.link(href=site_link("public.home"), rel="alternate")
        fg.description(f"{site}发布的最新文章")
    else:
        fg.title(xml_text(f"{section.name} - {site}"))
        fg.link(href=site_link("feeds.section_feed", slug=section.slug), rel="self")
        fg.link(href=site_link("public.section", slug=section.slug), rel="alternate")
        fg.description(xml_text(f"{site}{section.name}栏目的最新文章"))
    fg.language("zh-CN")
    articles = newest_public(now, section)
    # When the listed content last changed, not when this copy was built: every worker and
    # app server then builds the same bytes, with the same ETag, until something changes
    # (an empty feed keeps feedgen's default, the time of building).
    if articles:
        changed = max(max(a.updated_at, a.published_at) for a in articles)
        fg.lastBuildDate(changed.replace(tzinfo=UTC))
    for article in articles:
        link = site_link("public.article", article_id=article.id)
        entry = fg.add_entry(order="append")
        entry.guid(link, permalink=True)
        entry.link(href=link)
        entry.title(xml_text(article.title))
        if article.summary:
            entry.description(xml_text(article.summary))
        entry.pubDate(article.published_at.replace(tzinfo=UTC))
    return fg.rss_str(pretty=True)


# Sitemap -----------------------------------------------------------------------------------


class SitemapUrl(NamedTuple):
    loc: str
    lastmod: datetime | None  # when the content last changed; None where nothing tells


def _public_articles(now: datetime):
    return (
        sa.select(Article.id, Article.updated_at)
        .join(Article.section)
        .where(is_public(now), sa.not_(Section.hidden))
    )


def _fixed_urls(now: datetime) -> list[SitemapUrl]:
    """The pages before the articles: home, consultation, privacy, then each visible section."""
    newest_change = dict(
        db.session.execute(
            _public_articles(now)
            .with_only_columns(Article.section_id, sa.func.max(Article.updated_at))
            .group_by(Article.section_id)
        ).all()
    )
    overall = max(newest_change.values(), default=None)
    urls = [
        SitemapUrl(site_link(endpoint), overall if endpoint == "public.home" else None)
        for endpoint in STATIC_PAGES
    ]
    for section in visible_sections():
        urls.append(
            SitemapUrl(
                site_link("public.section", slug=section.slug), newest_change.get(section.id)
            )
        )
    return urls


def sitemap_pages(now: datetime) -> int:
    """How many sitemap files the public addresses fill (always at least one)."""
    fixed = len(STATIC_PAGES) + len(visible_sections())
    articles = db.session.scalar(
        _public_articles(now).with_only_columns(sa.func.count()).order_by(None)
    )
    return max(1, math.ceil((fixed + articles) / SITEMAP_PAGE_URLS))


def sitemap_urls(now: datetime, page: int = 1) -> Iterator[SitemapUrl]:
    """The addresses on sitemap file ``page`` (from 1): the fixed pages, then articles by id."""
    fixed = _fixed_urls(now)
    start = (page - 1) * SITEMAP_PAGE_URLS
    yield from fixed[start : start + SITEMAP_PAGE_URLS]
    shown = max(0, min(len(fixed) - start, SITEMAP_PAGE_URLS))
    rows = db.session.execute(
        _public_articles(now)
        .order_by(Article.id)
        .offset(max(0, start - len(fixed)))
        .limit(SITEMAP_PAGE_URLS - shown)
    )
    for article_id, updated_at in rows:
        yield SitemapUrl(site_link("public.article", article_id=article_id), updated_at)


def _xml(root: ElementTree.Element) -> bytes:
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def urlset(urls: Iterator[SitemapUrl]) -> bytes:
    """A sitemap file listing ``urls``."""
    root = ElementTree.Element("urlset", xmlns=SITEMAP_NS)
    for url in urls:
        item = ElementTree.SubElement(root, "url")
        ElementTree.SubElement(item, "loc").text = url.loc
        if url.lastmod is not None:
            ElementTree.SubElement(item, "lastmod").text = w3c_time(url.lastmod)
    return _xml(root)


def sitemap_index(pages: int) -> bytes:
    """A sitemap index pointing at sitemap files 1 to ``pages``."""
    root = ElementTree.Element("sitemapindex", xmlns=SITEMAP_NS)
    for page in range(1, pages + 1):
        item = ElementTree.SubElement(root, "sitemap")
        ElementTree.SubElement(item, "loc").text = site_link("feeds.sitemap_page", page=page)
    return _xml(root)


def sitemap(now: datetime) -> bytes:
    """What /sitemap.xml shows: every public address, or an index once they fill several files."""
    pages = sitemap_pages(now)
    return urlset(sitemap_urls(now)) if pages == 1 else sitemap_index(pages)


def robots() -> str:
    """robots.txt: everything but the admin may be crawled; where the sitemap is."""
    return "\n".join(
        [
            "User-agent: *",
            "Disallow: /admin/",
            "",
            f"Sitemap: {site_link('feeds.sitemap')}",
            "",
        ]
    )


# Article metadata --------------------------------------------------------------------------


def article_json_ld(article: Article) -> dict:
    """The schema.org ``NewsArticle`` that describes ``article`` to search engines."""
    url = site_link("public.article", article_id=article.id)
    publisher = {"@type": "Organization", "name": current_app.config["SITE_NAME"]}
    author = {"@type": "Person", "name": article.author} if article.author else publisher
    return {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.summary or article.title,
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": w3c_time(article.published_at),
        "dateModified": w3c_time(article.updated_at),
        "articleSection": article.section.name,
        "inLanguage": "zh-CN",
        "author": author,
        "publisher": publisher,
    }
