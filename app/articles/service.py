"""An article's life in the admin: save, publish, take offline, revise, compare, restore.

Views, the demo import and the command line all save through ``save_article``, so every
body is sanitised, every publication passes the wording check and every save leaves a
revision and an audit entry, whoever (or whatever) makes it.
"""

from __future__ import annotations

import difflib
import enum
import re
from dataclasses import dataclass, fields
from datetime import datetime
from html.parser import HTMLParser

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models.accounts import Role, User
from app.models.audit import AuditAction, audit
from app.models.base import to_local, utcnow
from app.models.content import Article, ArticleRevision, ArticleStatus, Attachment, sanitize_html
from app.models.media import Media
from app.wording.checker import Flag, check_article, forbidden


class Action(enum.StrEnum):
    """The buttons of the article form that save."""

    DRAFT = "draft"  # 保存草稿
    PUBLISH = "publish"  # 发布 (or schedule, with a 发布日期 to come)
    OFFLINE = "offline"  # 下线


@dataclass
class ArticleFields:
    """What an editor writes; ``published_at`` is naive UTC or None (now, when publishing)."""

    title: str
    section_id: int
    summary: str = ""
    source: str = ""
    author: str = ""
    published_at: datetime | None = None
    body: str = ""

    @classmethod
    def of(cls, item: Article | ArticleRevision) -> ArticleFields:
        return cls(**{f.name: getattr(item, f.name) for f in fields(cls)})


FIELD_LABELS = {
    "title": "标题",
    "section_id": "栏目",
    "summary": "摘要",
    "source": "数据来源",
    "author": "署名",
    "published_at": "发布日期",
    "body": "正文",
}


class SaveRefused(Exception):
    """A save that did not happen; ``message`` says why in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class WordingRefused(SaveRefused):
    """Publishing refused: the text holds 禁止 words and no 系统管理员 gave a reason."""

    def __init__(self, flags: list[Flag]):
        words = "、".join(dict.fromkeys(flag.phrase for flag in flags))
        super().__init__(f"不能发布：文中含有广告法禁止用语({words})。请修改后再发布。")
        self.flags = flags


class ConflictRefused(SaveRefused):
    """Someone saved the article after this editor opened it."""

    def __init__(self, current: Article):
        who = current.updated_by.username if current.updated_by else "其他人"
        super().__init__(
            f"保存未完成：{who} 在您打开后修改了这篇文章。请对照下方的差异，"
            "确认后再次保存(将以您的内容为准)。"
        )
        self.current = current


class _ImagesWithoutAlt(HTMLParser):
    def __init__(self):
        super().__init__()
        self.missing = 0

    def handle_starttag(self, tag, attrs):
        if tag == "img" and not (dict(attrs).get("alt") or "").strip():
            self.missing += 1


FIRST_ROW = re.compile(r"<table>(?:<tbody>)?\s*(<tr>.*?</tr>)", re.S)


def with_header_rows(html: str) -> str:
    """Make the first row of each table without headers its header row (th, scope=col).

    The editor's tables have plain cells only; screen readers need to know what each
    column holds, and a council's tables carry their column names in the first row.
    """

    def promote(match: re.Match) -> str:
        if "<th" in match.group(0) or "</table>" in match.group(1):
            return match.group(0)
        row = re.sub(r"<td(\s[^>]*)?>", r'<th scope="col"\1>', match.group(1))
        row = row.replace("</td>", "</th>")
        body = "<tbody>" if match.group(0).startswith("<table><tbody>") else ""
        return f"<table><thead>{row}</thead>{body}"

    return FIRST_ROW.sub(promote, html) if "<table>" in html else html


def images_without_alt(html: str) -> int:
    """How many images of ``html`` have no 替代文本."""
    parser = _ImagesWithoutAlt()
    parser.feed(html)
    return parser.missing


def save_article(
    article: Article | None,
    wanted: ArticleFields,
    action: Action,
    actor: User | None,
    *,
    seen_version: int | None = None,
    override_reason: str = "",
    attachments: list[Media] = (),
    remove_attachments: set[int] = frozenset(),
    now: datetime | None = None,
) -> Article:
    """Save ``wanted`` into ``article`` (a new one when None) as ``action`` says, and commit.

    :param seen_version: the version the editor's form showed; a newer one in the database
        means a colleague saved meanwhile, and the save is refused (``ConflictRefused``).
    :param override_reason: a 系统管理员's written reason to publish despite 禁止 words.
    :raises SaveRefused: nothing is saved; the message says why.
    """
    now = now or utcnow()
    if article is not None and seen_version != article.version:
        raise ConflictRefused(article)
    wanted.body = with_header_rows(sanitize_html(wanted.body))
    if images_without_alt(wanted.body):
        raise SaveRefused("正文中有图片缺少替代文本，请为每张图片填写替代文本后再保存。")
    status = {
        Action.DRAFT: ArticleStatus.DRAFT,
        Action.PUBLISH: ArticleStatus.PUBLISHED,
        Action.OFFLINE: ArticleStatus.OFFLINE,
    }[action]
    if action is Action.PUBLISH:
        wanted.published_at = wanted.published_at or now
        _check_wording(article, wanted, actor, override_reason.strip())
    created = article is None
    if created:
        article = Article(created_by=actor, created_at=now)
        db.session.add(article)
    before = article.status
    for name, value in vars(wanted).items():
        setattr(article, name, value)
    article.status, article.updated_at, article.updated_by = status, now, actor
    _change_attachments(article, attachments, remove_attachments)
    note = _describe(created, before, status, wanted.published_at, now)
    try:
        db.session.flush()  # gives a new article its id; the version check runs here
        _keep_revision(article, actor, note, now)
        change = AuditAction.PUBLISH if before != status or action is Action.PUBLISH else None
        audit(change or AuditAction.ARTICLE, actor=actor.username if actor else None,
              target=f"文章 {article.id}", detail=f"{note}:{article.title}")  # fmt: skip
        db.session.commit()
    except StaleDataError:
        # Another save committed between loading the article and this one.
        db.session.rollback()
        raise ConflictRefused(db.session.get(Article, article.id)) from None
    return article


def _check_wording(
    article: Article | None, wanted: ArticleFields, actor: User | None, reason: str
) -> None:
    flags = forbidden(check_article(wanted.title, wanted.summary, wanted.body))
    if not flags:
        return
    if not (reason and actor is not None and actor.has_role(Role.ADMIN)):
        raise WordingRefused(flags)
    words = "、".join(dict.fromkeys(flag.phrase for flag in flags))
    target = f"文章 {article.id}" if article is not None else "新文章"
    audit(AuditAction.OVERRIDE, actor=actor.username, target=target,
          detail=f"含禁止用语({words})仍发布《{wanted.title}》;理由：{reason}")  # fmt: skip


def _change_attachments(article: Article, added: list[Media], removed: set[int]) -> None:
    article.attachments = [a for a in article.attachments if a.media_id not in removed]
    present = {a.media_id for a in article.attachments}
    position = max((a.position for a in article.attachments), default=0)
    for media in added:
        if media.id not in present:
            position += 1
            present.add(media.id)
            article.attachments.append(Attachment(media=media, position=position))


def _describe(
    created: bool, before: ArticleStatus, after: ArticleStatus, at: datetime | None, now
) -> str:
    if after is ArticleStatus.PUBLISHED and at is not None and at > now:
        return "定时发布"
    if before != after or (created and after is not ArticleStatus.DRAFT):
        return {
            ArticleStatus.DRAFT: "存为草稿" if not created else "新建草稿",
            ArticleStatus.PUBLISHED: "发布",
            ArticleStatus.OFFLINE: "下线",
        }[after]
    return "新建草稿" if created else "修改"


def _keep_revision(article: Article, actor: User | None, note: str, now: datetime) -> None:
    values = vars(ArticleFields.of(article))
    db.session.add(
        ArticleRevision(article_id=article.id, saved_at=now, saved_by=actor, note=note,
                        status=article.status, **values)
    )  # fmt: skip


def revisions(article: Article) -> list[ArticleRevision]:
    """Every revision of ``article``, newest first."""
    query = (
        sa.select(ArticleRevision)
        .where(ArticleRevision.article_id == article.id)
        .options(joinedload(ArticleRevision.saved_by), joinedload(ArticleRevision.section))
        .order_by(ArticleRevision.saved_at.desc(), ArticleRevision.id.desc())
    )
    return list(db.session.scalars(query))


def restore(article: Article, revision: ArticleRevision, actor: User) -> Article:
    """Bring back ``revision``'s content as a new revision; the status stays as it is."""
    wanted = ArticleFields.of(revision)
    action = {
        ArticleStatus.DRAFT: Action.DRAFT,
        ArticleStatus.PUBLISHED: Action.PUBLISH,
        ArticleStatus.OFFLINE: Action.OFFLINE,
    }[article.status]
    saved = save_article(article, wanted, action, actor, seen_version=article.version)
    last = revisions(saved)[0]
    last.note = f"恢复自 {revision.saved_at:%Y-%m-%d %H:%M} 的修订"
    db.session.commit()
    return saved


# --- what changed between two versions -------------------------------------------------

BLOCK_END = re.compile(r"(</(?:p|h2|h3|h4|li|tr|table|blockquote|figure|ul|ol)>)")


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "removed" or "added"
    text: str


@dataclass(frozen=True)
class FieldChange:
    label: str
    lines: list[DiffLine]


def _lines(name: str, value) -> list[str]:
    if value is None:
        return []
    if name == "body":
        return [part.strip() for part in BLOCK_END.sub(r"\1\n", value).splitlines() if part.strip()]
    return str(value).splitlines() or [str(value)]


def compare(old: ArticleFields, new: ArticleFields, names: dict[int, str]) -> list[FieldChange]:
    """The fields that differ between ``old`` and ``new``, line by line (the body by block).

    :param names: section names by id, so a moved article shows section names.
    """
    changes = []
    for name, label in FIELD_LABELS.items():
        before, after = getattr(old, name), getattr(new, name)
        if before == after:
            continue
        if name == "section_id":
            before, after = names.get(before, before), names.get(after, after)
        if name == "published_at":
            before, after = _local(before), _local(after)
        matcher = difflib.SequenceMatcher(a=_lines(name, before), b=_lines(name, after))
        lines = []
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                lines += [DiffLine("same", text) for text in matcher.a[i1:i2]]
                continue
            lines += [DiffLine("removed", text) for text in matcher.a[i1:i2]]
            lines += [DiffLine("added", text) for text in matcher.b[j1:j2]]
        changes.append(FieldChange(label, lines))
    return changes


def _local(moment: datetime | None) -> str | None:
    return f"{to_local(moment):%Y-%m-%d %H:%M}" if moment else None
