"""Routes of the public pages."""

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request

from app.consult.retention import policy
from app.extensions import db
from app.models import Section
from app.models.base import utcnow
from app.models.content import (
    count_view,
    neighbours,
    newest_in_section,
    published_article,
    section_page,
    view_count,
    visible_sections,
)
from app.rendering import render_page

bp = Blueprint("public", __name__)

HOME_ARTICLES_PER_SECTION = 6


@bp.get("/")
def home():
    """Home page: the newest articles of every section."""
    now = utcnow()
    columns = [
        (s, newest_in_section(s, HOME_ARTICLES_PER_SECTION, now)) for s in visible_sections()
    ]
    return render_template("public/home.html", columns=columns)


@bp.get("/<slug>/")
def section(slug: str):
    """A section's articles, newest first, paginated."""
    current = db.first_or_404(sa.select(Section).where(Section.slug == slug, ~Section.hidden))
    page = section_page(
        current,
        request.args.get("page", 1, type=int),
        current_app.config["ARTICLES_PER_PAGE"],
        utcnow(),
    )
    return render_page("public/section.html", "article_list", section=current, page=page)


@bp.get("/articles/<int:article_id>")
def article(article_id: int):
    """An article page; every full render counts one view."""
    now = utcnow()
    views = count_view(article_id, now)
    found = published_article(article_id, now) if views is not None else None
    if found is None:
        abort(404)
    older, newer = neighbours(found, now)
    return render_template(
        "public/article.html", article=found, views=views, older=older, newer=newer
    )


@bp.get("/privacy")
def privacy():
    """The privacy statement (隐私声明): what the council keeps about visitors, and how long."""
    return render_template("public/privacy.html", policy=policy())


@bp.get("/articles/<int:article_id>/views")
def article_views(article_id: int):
    """The live view count of an article: read only, never counts a view."""
    views = view_count(article_id, utcnow())
    if views is None:
        abort(404)
    response = render_page("public/_view_count.html", article_id=article_id, views=views)
    response.cache_control.no_cache = True
    return response
