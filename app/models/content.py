"""Sections and articles of the public portal, and the queries the pages need."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import NamedTuple

import nh3
import sqlalchemy as sa
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy.orm import Mapped, defer, joinedload, mapped_column, relationship, validates

from app.extensions import cache, db
from app.models.base import enum_type, utcnow

# Tags an article body may use; everything else is stripped before it is stored.
BODY_TAGS = {
    "h2", "h3", "h4", "p", "br", "ul", "ol", "li", "strong", "em", "b", "i",
    "blockquote", "table", "thead", "tbody", "tr", "th", "td", "a", "img", "figure",
    "figcaption",
}  # fmt: skip
BODY_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}, "th": {"scope"}}

SECTIONS = [  # slug, name, position: the three sections every site has after init
    ("news", "今日要闻", 1),
    ("guides", "贸易指南", 2),
    ("alerts", "风险预警", 3),
]


class ArticleStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Section(db.Model):
    __tablename__ = "sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    position: Mapped[int] = mapped_column(default=0)

    articles: Mapped[list[Article]] = relationship(back_populates="section")


class Article(db.Model):
    __tablename__ = "articles"
    __table_args__ = (
        sa.Index("ix_articles_listing", "section_id", "status", "published_at", "id"),
        sa.Index("ix_articles_newest", "status", "published_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(sa.ForeignKey("sections.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str] = mapped_column(sa.String(100), default="")
    author: Mapped[str] = mapped_column(sa.String(100), default="")
    status: Mapped[ArticleStatus] = mapped_column(
        enum_type(ArticleStatus),
        default=ArticleStatus.DRAFT,
    )
    published_at: Mapped[datetime | None]
    views: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    section: Mapped[Section] = relationship(back_populates="articles")

    @validates("body")
    def _sanitize_body(self, _key: str, value: str) -> str:
        return sanitize_html(value)


def sanitize_html(html: str) -> str:
    """Strip every tag and attribute an article body must not carry (scripts, styles, events)."""
    return nh3.clean(html, tags=BODY_TAGS, attributes=BODY_ATTRIBUTES, link_rel="noopener")


def ensure_sections() -> None:
    """Create the three standard sections if they are missing; safe to call repeatedly."""
    existing = set(db.session.scalars(sa.select(Section.slug)))
    for slug, name, position in SECTIONS:
        if slug not in existing:
            db.session.add(Section(slug=slug, name=name, position=position))
    db.session.commit()


def all_sections() -> list[Section]:
    """Return the sections in navigation order."""
    return list(db.session.scalars(sa.select(Section).order_by(Section.position)))


class SectionLink(NamedTuple):
    id: int
    slug: str
    name: str


@cache.memoize()
def section_links() -> list[SectionLink]:
    """The navigation: every page shows it, so each worker reads it at most once a minute."""
    return [SectionLink(s.id, s.slug, s.name) for s in all_sections()]


def _published():
    return sa.select(Article).where(Article.status == ArticleStatus.PUBLISHED)


def _newest_first(query):
    return query.order_by(Article.published_at.desc(), Article.id.desc())


def section_listing(section: Section):
    """Return the query for a section's published articles, newest first."""
    return _newest_first(_published().where(Article.section_id == section.id))


@cache.memoize()
def published_count(section_id: int) -> int:
    """How many published articles a section holds (cached: counting 30,000 rows is slow)."""
    return db.session.scalar(
        sa.select(sa.func.count(Article.id)).where(
            Article.section_id == section_id, Article.status == ArticleStatus.PUBLISHED
        )
    )


class _IdsFirstPagination(SelectPagination):
    """Fetch a page's ids from the listing index first, then only those rows.

    OFFSET then skips index entries, not table rows, so page 200 costs what page 1 does;
    bodies are left out, as listings never show them.
    """

    def _query_items(self) -> list[Article]:
        listing = self._query_args["select"]
        ids = listing.with_only_columns(Article.id).limit(self.per_page).offset(self._query_offset)
        page_rows = _newest_first(sa.select(Article).where(Article.id.in_(ids.scalar_subquery())))
        return list(self._query_args["session"].scalars(page_rows.options(defer(Article.body))))


def section_page(section: Section, page: int, per_page: int) -> SelectPagination:
    """One page of a section's published articles, newest first; 404 past the last page."""
    pagination = _IdsFirstPagination(
        select=section_listing(section), session=db.session, page=page, per_page=per_page,
        max_per_page=per_page, count=False,
    )  # fmt: skip
    pagination.total = published_count(section.id)
    return pagination


def newest_in_section(section: Section, limit: int) -> list[Article]:
    """Return the ``limit`` newest published articles of ``section``."""
    listing = section_listing(section).options(defer(Article.body))
    return list(db.session.scalars(listing.limit(limit)))


# The article page runs these on every request: built once, with bound parameters, because
# building SQLAlchemy expressions costs more than running them on SQLite.
_ARTICLES = Article.__table__
_COUNT_VIEW = (
    sa.update(_ARTICLES)
    .where(
        _ARTICLES.c.id == sa.bindparam("article_id"), _ARTICLES.c.status == ArticleStatus.PUBLISHED
    )
    .values(views=_ARTICLES.c.views + 1)
    .returning(_ARTICLES.c.views)
)
_VIEW_COUNT = sa.select(_ARTICLES.c.views).where(
    _ARTICLES.c.id == sa.bindparam("article_id"), _ARTICLES.c.status == ArticleStatus.PUBLISHED
)
_PUBLISHED_ARTICLE = (
    sa.select(Article)
    .where(Article.id == sa.bindparam("article_id"), Article.status == ArticleStatus.PUBLISHED)
    .options(joinedload(Article.section, innerjoin=True))
)


def _nearest(direction: str, newer: bool):
    """The closest published article before or after a (published_at, id) in a section."""
    key = sa.tuple_(_ARTICLES.c.published_at, _ARTICLES.c.id)
    here = sa.tuple_(
        sa.bindparam("published_at", type_=sa.DateTime()),
        sa.bindparam("article_id", type_=sa.Integer()),
    )
    order = (_ARTICLES.c.published_at, _ARTICLES.c.id)
    query = (
        sa.select(sa.literal(direction).label("direction"), _ARTICLES.c.id, _ARTICLES.c.title)
        .where(
            _ARTICLES.c.status == ArticleStatus.PUBLISHED,
            _ARTICLES.c.section_id == sa.bindparam("section_id"),
            key > here if newer else key < here,
        )
        .order_by(*(order if newer else (column.desc() for column in order)))
        .limit(1)
    )
    return sa.select(query.subquery())


_NEIGHBOURS = sa.union_all(_nearest("older", newer=False), _nearest("newer", newer=True))


class Neighbour(NamedTuple):
    id: int
    title: str


def published_article(article_id: int) -> Article | None:
    """Return the article with its section if it exists and is published, else ``None``."""
    return db.session.scalar(_PUBLISHED_ARTICLE, {"article_id": article_id})


def neighbours(article: Article) -> tuple[Neighbour | None, Neighbour | None]:
    """Return the previous (older) and next (newer) published article of the same section."""
    rows = db.session.execute(
        _NEIGHBOURS,
        {
            "section_id": article.section_id,
            "published_at": article.published_at,
            "article_id": article.id,
        },
    )
    found = {row.direction: Neighbour(row.id, row.title) for row in rows}
    return found.get("older"), found.get("newer")


def count_view(article_id: int) -> int | None:
    """Count one view of a published article and return its new total.

    One atomic ``UPDATE … SET views = views + 1`` committed at once, so concurrent
    readers never lose a view; ``None`` when no published article has that id.
    """
    views = db.session.execute(_COUNT_VIEW, {"article_id": article_id}).scalar()
    db.session.commit()
    return views


def view_count(article_id: int) -> int | None:
    """Read a published article's view count without changing it."""
    return db.session.scalar(_VIEW_COUNT, {"article_id": article_id})
