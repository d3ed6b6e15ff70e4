"""What a 系统管理员 does to sections (栏目): add, rename, reorder, hide, delete.

Each change is written with its audit entry in one transaction and committed. The public
navigation reads the sections on every request, so a change shows at once.
A section's 网址标识 (its ``/slug/`` address) is chosen once and kept: renaming changes
only the name, so links and bookmarks keep working.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.accounts import User
from app.models.audit import AuditAction, audit
from app.models.content import Article, ArticleRevision, Section, all_sections

# First path segments the site uses or keeps for itself: a section there would be
# shadowed by, or would shadow, another page.
RESERVED_SLUGS = frozenset(
    {
        "admin", "articles", "consult", "media", "static", "healthz", "search", "feeds",
        "feed", "rss", "sitemap.xml", "feed.xml", "robots.txt", "privacy", "sitemap",
        "sitemap.html", "elder", "metrics",
    }
)  # fmt: skip
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MIN_LENGTH, SLUG_MAX_LENGTH = 2, 40
NAME_MAX_LENGTH = 40

SLUG_TAKEN = "网址标识 {slug} 已被其他栏目使用。"


def normalize_slug(slug: str) -> str:
    """网址标识 as stored: without surrounding spaces, in lower case."""
    return slug.strip().lower()


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` cannot be a new section's address, or None when it can."""
    slug = normalize_slug(slug)
    if not SLUG_MIN_LENGTH <= len(slug) <= SLUG_MAX_LENGTH or not SLUG_PATTERN.match(slug):
        return (
            f"网址标识须为 {SLUG_MIN_LENGTH}–{SLUG_MAX_LENGTH} 个小写英文字母、数字或连字符，"
            "连字符不能在开头、结尾或连用。"
        )
    if slug in RESERVED_SLUGS:
        return f"“{slug}”是网站保留的地址，请换一个网址标识。"
    if db.session.scalar(sa.select(Section.id).where(Section.slug == slug)):
        return SLUG_TAKEN.format(slug=slug)
    return None


def name_problem(name: str, section: Section | None = None) -> str | None:
    """Why ``name`` cannot name ``section`` (or a new one), or None when it can."""
    name = name.strip()
    if not name:
        return "请输入栏目名称。"
    if len(name) > NAME_MAX_LENGTH:
        return f"栏目名称不能超过 {NAME_MAX_LENGTH} 个字。"
    same = sa.select(Section.id).where(Section.name == name)
    if section is not None:
        same = same.where(Section.id != section.id)
    if db.session.scalar(same):
        return f"已有名为“{name}”的栏目。"
    return None


def article_counts() -> dict[int, int]:
    """How many articles (in any state) each section holds, by section id."""
    query = sa.select(Article.section_id, sa.func.count(Article.id)).group_by(Article.section_id)
    return dict(db.session.execute(query).all())


def add_section(name: str, slug: str, actor: User, ip: str = "") -> Section | None:
    """Add a visible section at the end of the navigation; None if the slug was just taken."""
    slug = normalize_slug(slug)
    last = db.session.scalar(sa.select(sa.func.max(Section.position))) or 0
    section = Section(name=name.strip(), slug=slug, position=last + 1, hidden=False)
    db.session.add(section)
    detail = f"新增栏目“{section.name}”(/{slug}/)"
    audit(AuditAction.SECTION, actor=actor.username, target=f"栏目 {slug}", ip=ip, detail=detail)
    try:
        db.session.commit()
    except IntegrityError:  # another administrator took the slug a moment ago
        db.session.rollback()
        return None
    return section


def rename_section(section: Section, name: str, actor: User, ip: str = "") -> None:
    """Give ``section`` a new name; its address stays the same."""
    name = name.strip()
    if name == section.name:
        return
    detail = f"改名 {section.name}→{name}"
    _audit(section, actor, ip, detail)
    section.name = name
    db.session.commit()


def move_section(section: Section, step: int, actor: User, ip: str = "") -> None:
    """Move ``section`` ``step`` places (-1 up, +1 down); positions are renumbered 1, 2, 3…"""
    ordered = all_sections()
    here = ordered.index(section)
    there = min(max(here + step, 0), len(ordered) - 1)
    if there == here:
        return
    ordered.insert(there, ordered.pop(here))
    for position, each in enumerate(ordered, start=1):
        each.position = position
    _audit(section, actor, ip, f"{'上移' if step < 0 else '下移'}至第 {there + 1} 位")
    db.session.commit()


def set_hidden(section: Section, hidden: bool, actor: User, ip: str = "") -> None:
    """Hide ``section`` (its page and articles leave the public site) or show it again."""
    if section.hidden == hidden:
        return
    section.hidden = hidden
    _audit(section, actor, ip, "隐藏" if hidden else "显示")
    db.session.commit()


def delete_problem(section: Section) -> str | None:
    """Why ``section`` cannot be deleted, or None when nothing refers to it."""
    articles = db.session.scalar(
        sa.select(sa.func.count(Article.id)).where(Article.section_id == section.id)
    )
    if articles:
        return f"该栏目下还有 {articles} 篇文章，不能删除，只能隐藏。"
    revisions = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(ArticleRevision.article_id))).where(
            ArticleRevision.section_id == section.id
        )
    )
    if revisions:
        return f"有 {revisions} 篇文章的修订记录属于该栏目，不能删除，只能隐藏。"
    return None


def delete_section(section: Section, actor: User, ip: str = "") -> str | None:
    """Delete an empty section; return why it cannot be deleted, or None when it is gone."""
    problem = delete_problem(section)
    if problem:
        return problem
    _audit(section, actor, ip, f"删除栏目“{section.name}”")
    db.session.delete(section)
    try:
        db.session.commit()
    except IntegrityError:  # an article was filed in it a moment ago
        db.session.rollback()
        return delete_problem(section) or "该栏目刚被使用，不能删除，只能隐藏。"
    return None


def _audit(section: Section, actor: User, ip: str, detail: str) -> None:
    audit(
        AuditAction.SECTION,
        actor=actor.username,
        target=f"栏目 {section.slug}",
        ip=ip,
        detail=detail,
    )
