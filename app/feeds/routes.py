"""Routes of the feeds, the sitemap and robots.txt: read per request, cached five minutes."""

import sqlalchemy as sa
from flask import Blueprint, Response, abort

from app.extensions import db
from app.feeds import service
from app.models import Section
from app.models.base import utcnow

bp = Blueprint("feeds", __name__)

CACHE_SECONDS = 300
RSS_TYPE = "application/rss+xml; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"


def _cached(body: bytes | str, content_type: str) -> Response:
    response = Response(body, content_type=content_type)
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    return response


@bp.get("/feed.xml")
def site_feed():
    """RSS of the newest articles of every visible section."""
    return _cached(service.rss(utcnow()), RSS_TYPE)


@bp.get("/<slug>/feed.xml")
def section_feed(slug: str):
    """RSS of the newest articles of one visible section."""
    current = db.first_or_404(sa.select(Section).where(Section.slug == slug, ~Section.hidden))
    return _cached(service.rss(utcnow(), current), RSS_TYPE)


@bp.get("/sitemap.xml")
def sitemap():
    """Every public address, or the index of the sitemap files once there are too many."""
    return _cached(service.sitemap(utcnow()), XML_TYPE)


@bp.get("/sitemap-<page:page>.xml")
def sitemap_page(page: int):
    """One sitemap file of the index."""
    now = utcnow()
    if not 1 <= page <= service.sitemap_pages(now):
        abort(404)
    return _cached(service.urlset(service.sitemap_urls(now, page)), XML_TYPE)


@bp.get("/robots.txt")
def robots():
    """What crawlers may visit, and where the sitemap is."""
    return _cached(service.robots(), "text/plain; charset=utf-8")
