"""Routes of the feeds, the sitemap and robots.txt: kept per content version, with an ETag."""

import sqlalchemy as sa
from flask import Blueprint, Response, abort

from app.extensions import db
from app.feeds import service
from app.models import Section
from app.models.base import utcnow
from app.pagecache import kept_page

bp = Blueprint("feeds", __name__)

RSS_TYPE = "application/rss+xml; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"


@bp.get("/feed.xml")
@kept_page
def site_feed():
    """RSS of the newest articles of every visible section."""
    return Response(service.rss(utcnow()), content_type=RSS_TYPE)


@bp.get("/<slug>/feed.xml")
@kept_page
def section_feed(slug: str):
    """RSS of the newest articles of one visible section."""
    current = db.first_or_404(sa.select(Section).where(Section.slug == slug, ~Section.hidden))
    return Response(service.rss(utcnow(), current), content_type=RSS_TYPE)


@bp.get("/sitemap.xml")
@kept_page
def sitemap():
    """Every public address, or the index of the sitemap files once there are too many."""
    return Response(service.sitemap(utcnow()), content_type=XML_TYPE)


@bp.get("/sitemap-<page:page>.xml")
@kept_page
def sitemap_page(page: int):
    """One sitemap file of the index."""
    now = utcnow()
    if not 1 <= page <= service.sitemap_pages(now):
        abort(404)
    return Response(service.urlset(service.sitemap_urls(now, page)), content_type=XML_TYPE)


@bp.get("/robots.txt")
@kept_page
def robots():
    """What crawlers may visit, and where the sitemap is."""
    return Response(service.robots(), content_type="text/plain; charset=utf-8")
