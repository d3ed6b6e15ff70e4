"""Sections and articles of the public portal, and the queries the pages need.

What visitors see is decided from the database alone: an article is public when it is
已发布, its 发布日期 has come and its section is not hidden. Workers keep rendered pages
(app/pagecache.py) only under the content version, which every change to an article, a
section, an attachment or a media file replaces in its own transaction (the session hooks
below), and only until the next scheduled 发布日期: an edit shows at once on every worker
and every app server, and a scheduled article appears at its time without any job running.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

import nh3
import sqlalchemy as sa
from blinker import Namespace
from flask import abort, current_app, g
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    defer,
    joinedload,
    mapped_column,
    relationship,
    validates,
)

from app.database import DATABASE_BUSY, brief_write_wait, why_not_writable
from app.extensions import db
from app.models.base import enum_type, utcnow
from app.models.media import Media  # before the statements below configure the mappers
from app.pagination import Page

if TYPE_CHECKING:
    from app.models.accounts import User

# Tags an article body may use; everything else is stripped before it is stored.
BODY_TAGS = {
    "h2", "h3", "h4", "p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "u", "s",
    "blockquote", "table", "thead", "tbody", "tr", "th", "td", "a", "img", "figure",
    "figcaption",
}  # fmt: skip
BODY_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https"}

_signals = Namespace()
# Sent after a view of ``article_id`` was counted (operators' metrics listen).
view_counted = _signals.signal("view-counted")
# Sent when a view could not be counted (the database would not write in time).
view_missed = _signals.signal("view-missed")

SECTIONS = [  # slug, name, position: the three sections every site has after init
    ("news", "今日要闻", 1),
    ("guides", "贸易指南", 2),
    ("alerts", "风险预警", 3),
]


class ArticleStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    OFFLINE = "offline"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    ArticleStatus.DRAFT: "草稿",
    ArticleStatus.PUBLISHED: "已发布",
    ArticleStatus.OFFLINE: "已下线",
}


class Section(db.Model):
    __tablename__ = "sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)  # the URL: kept on rename
    name: Mapped[str] = mapped_column(sa.String(40))
    position: Mapped[int] = mapped_column(default=0)
    hidden: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

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
    author: Mapped[str] = mapped_column(sa.String(100), default="")  # the byline shown to readers
    status: Mapped[ArticleStatus] = mapped_column(
        enum_type(ArticleStatus),
        default=ArticleStatus.DRAFT,
    )
    published_at: Mapped[datetime | None]
    views: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the content last changed: set by the editor's save, never by a page view.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Raised by every save (the view counter's UPDATE leaves it alone): an editor's form
    # carries the version it showed, so a colleague's newer save is never overwritten unseen.
    version: Mapped[int] = mapped_column(server_default="1")

    section: Mapped[Section] = relationship(back_populates="articles")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    attachments: Mapped[list[Attachment]] = relationship(
        order_by="Attachment.position", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @validates("body")
    def _sanitize_body(self, _key: str, value: str) -> str:
        return sanitize_html(value)

    def is_public(self, now: datetime) -> bool:
        """Whether visitors can read the article at ``now``."""
        return (
            self.status == ArticleStatus.PUBLISHED
            and self.published_at is not None
            and self.published_at <= now
            and not self.section.hidden
        )

    def is_scheduled(self, now: datetime) -> bool:
        """Published with a 发布日期 still to come: visitors see it from that moment."""
        return (
            self.status == ArticleStatus.PUBLISHED
            and self.published_at is not None
            and self.published_at > now
        )


class ArticleRevision(db.Model):
    """The fields of an article as one save left them: who, when and what."""

    __tablename__ = "article_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    saved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(sa.String(200), default="")  # e.g. 发布, 恢复自修订 3
    title: Mapped[str] = mapped_column(sa.String(200))
    section_id: Mapped[int] = mapped_column(sa.ForeignKey("sections.id"))
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    source: Mapped[str] = mapped_column(sa.String(100), default="")
    author: Mapped[str] = mapped_column(sa.String(100), default="")
    status: Mapped[ArticleStatus] = mapped_column(enum_type(ArticleStatus))
    published_at: Mapped[datetime | None]
    body: Mapped[str] = mapped_column(sa.Text, default="")

    saved_by: Mapped[User | None] = relationship()
    section: Mapped[Section] = relationship()


class Attachment(db.Model):
    """A file listed under an article as 附件."""

    __tablename__ = "article_attachments"

    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    media_id: Mapped[int] = mapped_column(sa.ForeignKey("media.id"), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)

    media: Mapped[Media] = relationship(lazy="joined")


class ContentState(db.Model):
    """One row holding the content version: a new random value with every change to what
    public pages show, so a page kept by any worker is known to be current or not."""

    __tablename__ = "content_state"

    id: Mapped[int] = mapped_column(primary_key=True)  # always CONTENT_STATE_ID
    version: Mapped[int] = mapped_column(sa.BigInteger)


CONTENT_STATE_ID = 1
# What a public page shows is made of these; any change to one changes the content version.
CONTENT_MODELS = (Article, Section, Attachment, Media)


def sanitize_html(html: str) -> str:
    """Strip every tag and attribute an article body must not carry (scripts, styles, events).

    Links and images keep only http(s) and relative addresses (our media among them);
    links get ``rel="noopener"``. Broken markup (a link inside a link, say) is repaired by
    the HTML parser, and a repaired document may parse differently once more: cleaning
    repeats until it no longer changes, so what is stored is stable.
    """
    clean = _clean(html)
    for _ in range(4):
        again = _clean(clean)
        if again == clean:
            break
        clean = again
    return clean


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=BODY_TAGS,
        attributes=BODY_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener",
        strip_comments=True,
    )


def ensure_sections() -> None:
    """Create the three standard sections if no section exists yet; safe to call repeatedly.

    Once a 系统管理员 has renamed, hidden or added sections, they are theirs: nothing is
    brought back.
    """
    if db.session.scalar(sa.select(sa.func.count(Section.id))):
        return
    for slug, name, position in SECTIONS:
        db.session.add(Section(slug=slug, name=name, position=position))
    db.session.commit()


def all_sections() -> list[Section]:
    """Every section, hidden ones too, in navigation order (for the admin)."""
    return list(db.session.scalars(sa.select(Section).order_by(Section.position, Section.id)))


def visible_sections() -> list[Section]:
    """The sections visitors see, in navigation order."""
    query = sa.select(Section).where(sa.not_(Section.hidden))
    return list(db.session.scalars(query.order_by(Section.position, Section.id)))


class SectionLink(NamedTuple):
    id: int
    slug: str
    name: str


def section_links() -> list[SectionLink]:
    """The navigation, read once per request so that a change shows at once everywhere."""
    if "section_links" not in g:
        g.section_links = [SectionLink(s.id, s.slug, s.name) for s in visible_sections()]
    return g.section_links


def is_public(now: datetime):
    """The condition an article must meet for visitors at ``now`` (section checked apart)."""
    return sa.and_(Article.status == ArticleStatus.PUBLISHED, Article.published_at <= now)


def _newest_first(query):
    return query.order_by(Article.published_at.desc(), Article.id.desc())


def section_listing(section: Section, now: datetime):
    """Return the query for a section's public articles, newest first."""
    return _newest_first(sa.select(Article).where(is_public(now), Article.section_id == section.id))


def public_count(section: Section, now: datetime) -> int:
    """How many public articles a section holds (counted from the listing index)."""
    return db.session.scalar(
        sa.select(sa.func.count()).where(is_public(now), Article.section_id == section.id)
    )


def section_page(section: Section, page: int, per_page: int, now: datetime) -> Page:
    """One page of a section's public articles, newest first; 404 past the last page.

    The page's ids come from the listing index first, then only those rows: OFFSET then
    skips index entries, not table rows, so page 200 costs what page 1 does; bodies are
    left out, as listings never show them.
    """
    total = public_count(section, now)
    if page < 1 or (page > 1 and (page - 1) * per_page >= total):
        abort(404)
    ids = (
        section_listing(section, now)
        .with_only_columns(Article.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = _newest_first(sa.select(Article).where(Article.id.in_(ids.scalar_subquery())))
    items = list(db.session.scalars(rows.options(defer(Article.body))))
    return Page(items=items, page=page, per_page=per_page, total=total)


def newest_in_section(section: Section, limit: int, now: datetime) -> list[Article]:
    """Return the ``limit`` newest public articles of ``section``."""
    listing = section_listing(section, now).options(defer(Article.body))
    return list(db.session.scalars(listing.limit(limit)))


# The article page runs these on every request: built once, with bound parameters, because
# building SQLAlchemy expressions costs more than running them on SQLite.
_ARTICLES = Article.__table__
_SECTIONS = Section.__table__
_NOW = sa.bindparam("now", type_=sa.DateTime())
_PUBLIC_ROW = sa.and_(
    _ARTICLES.c.id == sa.bindparam("article_id"),
    _ARTICLES.c.status == ArticleStatus.PUBLISHED,
    _ARTICLES.c.published_at <= _NOW,
    _ARTICLES.c.section_id.in_(sa.select(_SECTIONS.c.id).where(sa.not_(_SECTIONS.c.hidden))),
)
_STATE = ContentState.__table__
_CONTENT_VERSION = sa.select(_STATE.c.version).where(_STATE.c.id == CONTENT_STATE_ID)
# Core statements: they neither raise the article's version nor touch updated_at. Counting
# a view also returns the content version, which picks the page's kept rendering.
_COUNT_VIEW = (
    sa.update(_ARTICLES)
    .where(_PUBLIC_ROW)
    .values(views=_ARTICLES.c.views + 1)
    .returning(_ARTICLES.c.views, _CONTENT_VERSION.scalar_subquery())
)
_VIEW_COUNT = sa.select(_ARTICLES.c.views).where(_PUBLIC_ROW)
_PUBLISHED_ARTICLE = (
    sa.select(Article)
    .join(Article.section)
    .where(
        Article.id == sa.bindparam("article_id"),
        Article.status == ArticleStatus.PUBLISHED,
        Article.published_at <= _NOW,
        sa.not_(Section.hidden),
    )
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
            _ARTICLES.c.published_at <= _NOW,
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


def published_article(article_id: int, now: datetime) -> Article | None:
    """Return the article with its section if visitors can read it at ``now``, else ``None``."""
    return db.session.scalar(_PUBLISHED_ARTICLE, {"article_id": article_id, "now": now})


def neighbours(article: Article, now: datetime) -> tuple[Neighbour | None, Neighbour | None]:
    """Return the previous (older) and next (newer) public article of the same section."""
    rows = db.session.execute(
        _NEIGHBOURS,
        {
            "section_id": article.section_id,
            "published_at": article.published_at,
            "article_id": article.id,
            "now": now,
        },
    )
    found = {row.direction: Neighbour(row.id, row.title) for row in rows}
    return found.get("older"), found.get("newer")


class Counted(NamedTuple):
    views: int
    content_version: int | None  # None before any content was saved: nothing is kept


def count_view(article_id: int, now: datetime) -> Counted | None:
    """Count one view of a public article; return its new total and the content version.

    One atomic ``UPDATE … SET views = views + 1 … RETURNING`` committed at once, so
    concurrent readers never lose a view; ``None`` when no public article has that id.

    When the database will not write within ``DB_WRITE_WAIT_MS`` (another process holds
    the lock, the file is read-only), the view is not counted: it is logged and
    ``view_missed`` is sent, and the count as it stands is returned so the page is served.
    """
    try:  # a connection of its own, not the session: half the cost on the busiest page
        with db.engine.begin() as connection, brief_write_wait(connection):
            row = connection.execute(_COUNT_VIEW, {"article_id": article_id, "now": now}).first()
    except DATABASE_BUSY as error:
        views = view_count(article_id, now)
        if views is None:
            return None
        current_app.logger.warning(
            "view of article %s not counted: %s", article_id, why_not_writable(error)
        )
        view_missed.send(article_id)
        return Counted(views, content_version())
    if row is None:
        return None
    view_counted.send(article_id)
    return Counted(*row)


def view_count(article_id: int, now: datetime) -> int | None:
    """Read a public article's view count without changing it (no session: see below)."""
    with db.engine.connect() as connection:
        return connection.scalar(_VIEW_COUNT, {"article_id": article_id, "now": now})


def content_version() -> int | None:
    """The current content version; None while no content change was ever recorded.

    Read on a connection of its own: a page served from a worker's copy then costs this one
    primary-key read and no session at all (one through the session costs twice as much).
    """
    with db.engine.connect() as connection:
        return connection.scalar(_CONTENT_VERSION)


_NEXT_PUBLICATION = (
    sa.select(_ARTICLES.c.published_at)
    .where(_ARTICLES.c.status == ArticleStatus.PUBLISHED, _ARTICLES.c.published_at > _NOW)
    .order_by(_ARTICLES.c.published_at)
    .limit(1)
)


def next_publication(now: datetime) -> datetime | None:
    """When the next scheduled article goes public: pages rendered now are current until then."""
    return db.session.scalar(_NEXT_PUBLICATION, {"now": now})


def new_content_version(connection: sa.Connection) -> None:
    """Write a new content version (random, so that a restored backup's value, or a value
    from before a table was emptied, can never match a page rendered since)."""
    version = secrets.randbits(62) + 1
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    connection.execute(
        insert(_STATE)
        .values(id=CONTENT_STATE_ID, version=version)
        .on_conflict_do_update(index_elements=[_STATE.c.id], set_={"version": version})
    )


def follow_content(session: Session, _flush_context) -> None:
    """After each flush that wrote an article, section, attachment or media file: a new
    content version, in the same transaction, so it commits exactly with the change."""
    changed = any(isinstance(o, CONTENT_MODELS) for o in (*session.new, *session.deleted)) or any(
        isinstance(o, CONTENT_MODELS) and session.is_modified(o) for o in session.dirty
    )
    if changed:
        new_content_version(session.connection())


_CONTENT_TABLES = frozenset(model.__tablename__ for model in CONTENT_MODELS)


def follow_content_statements(state: ORMExecuteState) -> None:
    """Before an INSERT, UPDATE or DELETE statement on those tables run through a session
    (``session.execute(sa.update(Section)…)``): a new content version in its transaction.
    Counting a view is the one write that changes nothing a page keeps."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _CONTENT_TABLES and state.statement is not _COUNT_VIEW:
        new_content_version(state.session.connection())
