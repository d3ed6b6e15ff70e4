"""Routes of the public pages."""

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from app.consult.retention import policy
from app.extensions import db
from app.models import Section
from app.models.base import utcnow
from app.models.content import (
    count_view,
    neighbours,
    newest_in_section,
    public_count,
    published_article,
    section_page,
    view_count,
    visible_sections,
)
from app.pagecache import counted_page, kept_page
from app.rendering import render_page
from app.search.index import related
from app.security import secure_cookies
from app.templating import ELDER_COOKIE, ELDER_COOKIE_MAX_AGE
from app.urls import local_path, page_arg

bp = Blueprint("public", __name__)

HOME_ARTICLES_PER_SECTION = 6
HOME_NOTICES = 5
SITEMAP_ARTICLES_PER_SECTION = 5
NOTICE_SECTION_NAME = "通知公告"


def notice_section(sections: list[Section]) -> Section | None:
    """The section of the home page's strip: as configured, else 通知公告, else the first."""
    wanted = current_app.config["HOME_NOTICE_SECTION"]
    by_setting = [s for s in sections if s.slug == wanted]
    by_name = [s for s in sections if s.name == NOTICE_SECTION_NAME]
    return next(iter(by_setting or by_name or sections), None)


@bp.get("/")
@kept_page
def home():
    """Home page: the 通知公告 strip, the service entries, then a column for each other section."""
    now = utcnow()
    sections = visible_sections()
    notices = notice_section(sections)
    return render_template(
        "public/home.html",
        notices=notices,
        notice_articles=newest_in_section(notices, HOME_NOTICES, now) if notices else [],
        services=current_app.config["SERVICE_ENTRIES"],
        columns=[
            (s, newest_in_section(s, HOME_ARTICLES_PER_SECTION, now))
            for s in sections
            if s is not notices  # its newest articles are in the strip already
        ],
    )


@bp.get("/<slug>/")
@kept_page
def section(slug: str):
    """A section's articles, newest first, paginated."""
    current = db.first_or_404(sa.select(Section).where(Section.slug == slug, ~Section.hidden))
    page = section_page(
        current,
        page_arg(),
        current_app.config["ARTICLES_PER_PAGE"],
        utcnow(),
    )
    return render_page("public/section.html", "article_list", section=current, page=page)


@bp.get("/articles/<id:article_id>")
def article(article_id: int):
    """An article page; every request counts one view (so it is never answered with 304)."""
    now = utcnow()
    counted = count_view(article_id, now)
    if counted is None:
        abort(404)
    return counted_page(counted, lambda views: render_article(article_id, views, now))


def render_article(article_id: int, views: object, now: datetime) -> str:
    """The article page with ``views`` where its view count goes."""
    found = published_article(article_id, now)
    if found is None:  # hidden or taken offline since the view was counted
        abort(404)
    older, newer = neighbours(found, now)
    return render_template(
        "public/article.html",
        article=found,
        views=views,
        older=older,
        newer=newer,
        related=related(found, now=now),
    )


@bp.get("/privacy")
def privacy():
    """The privacy statement (隐私声明): what the council keeps about visitors, and how long."""
    return render_template("public/privacy.html", policy=policy())


@bp.get("/sitemap.html")
@kept_page
def sitemap_page():
    """The site map (网站地图) for people: every section with its newest articles, fixed pages."""
    now = utcnow()
    sections = [
        (s, public_count(s, now), newest_in_section(s, SITEMAP_ARTICLES_PER_SECTION, now))
        for s in visible_sections()
    ]
    return render_template("public/sitemap.html", sections=sections)


@bp.get("/elder")
def elder_mode():
    """Turn 长者模式 on (``on=1``) or off, remember it in a cookie, go back to ``next``.

    A plain link, so the switch works without JavaScript; ``next`` must be a path on this
    site, never another site (no open redirect).
    """
    response = redirect(local_path(request.args.get("next")) or url_for("public.home"))
    if request.args.get("on") == "1":
        response.set_cookie(
            ELDER_COOKIE, "1", max_age=ELDER_COOKIE_MAX_AGE, samesite="Lax",
            secure=secure_cookies(current_app),
        )  # fmt: skip
    else:
        response.delete_cookie(ELDER_COOKIE, samesite="Lax")
    return response


@bp.get("/articles/<id:article_id>/views")
def article_views(article_id: int):
    """The live view count of an article: read only, never counts a view."""
    views = view_count(article_id, utcnow())
    if views is None:
        abort(404)
    response = render_page("public/_view_count.html", article_id=article_id, views=views)
    response.cache_control.no_cache = True
    return response
