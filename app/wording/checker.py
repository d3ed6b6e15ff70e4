"""The Advertising-Law wording check (广告法用语检查) and the word list it reads.

Editors are told about listed words while they write; nothing is ever masked on public
pages. The list lives in the database and is read on every check, so a 系统管理员's edit
takes effect at once on every worker and every app server.

Matching is plain ``str.find`` over a few hundred phrases, which takes well under a
millisecond per field. An Aho–Corasick library (pyahocorasick) would add a compiled
dependency and would have to rebuild its automaton on every check, since the list is
read afresh each time; it only pays off with many thousands of phrases.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.audit import AuditAction, audit
from app.models.content import Article, ArticleStatus
from app.models.wording import WordEntry, WordLevel

DEFAULT_WORDS = Path(__file__).with_name("default_words.toml")
CONTEXT_CHARS = 12
FIELDS = ("标题", "摘要", "正文")
SEVERITY = {WordLevel.FORBIDDEN: 0, WordLevel.CAUTION: 1}

# Folding keeps every offset: A-Z to a-z, full-width ASCII (ＴＯＰ１) to half-width.
_FOLD = {code: code + 0x20 for code in range(ord("A"), ord("Z") + 1)}
_FOLD.update({code: ord(chr(code - 0xFEE0).lower()) for code in range(0xFF01, 0xFF5F)})
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")
_ANY_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Flag:
    """One listed word found in one field of an article.

    ``phrase`` is the text as written (it differs from the listed phrase only in letter
    case or width); ``start`` is its offset in the field's plain text (``html_text`` of
    the body); ``before`` and ``after`` are up to 12 characters around it.
    """

    field: str
    phrase: str
    level: WordLevel
    start: int
    before: str
    after: str


@dataclass(frozen=True)
class WordList:
    """The phrases of each level, as the check needs them."""

    forbidden: tuple[str, ...] = ()
    caution: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()


def fold(text: str) -> str:
    """``text`` with Latin letters in one case and full-width ASCII as half-width."""
    return text.translate(_FOLD)


def current_word_list() -> WordList:
    """The word list as the database holds it now (read on every call, never cached)."""
    rows = db.session.execute(sa.select(WordEntry.phrase, WordEntry.level).order_by(WordEntry.id))
    phrases: dict[WordLevel, list[str]] = {level: [] for level in WordLevel}
    for phrase, level in rows:
        phrases[level].append(phrase)
    return WordList(
        forbidden=tuple(phrases[WordLevel.FORBIDDEN]),
        caution=tuple(phrases[WordLevel.CAUTION]),
        exceptions=tuple(phrases[WordLevel.EXCEPTION]),
    )


def _occurrences(text: str, phrase: str) -> Iterable[tuple[int, int]]:
    """``(start, end)`` of every occurrence of ``phrase`` in ``text``, overlapping ones too."""
    if not phrase:
        return
    start = text.find(phrase)
    while start != -1:
        yield start, start + len(phrase)
        start = text.find(phrase, start + 1)


def _context(text: str) -> str:
    return _ANY_SPACE.sub(" ", text)


def check_text(text: str, words: WordList, field: str = "正文") -> list[Flag]:
    """Every occurrence of a 禁止 or 提示 phrase in ``text``, in text order.

    An occurrence inside an occurrence of an 例外 phrase (最 in 最后) is left out. Where
    flagged occurrences overlap, only the longest is reported, the more severe on equal
    length: 最佳 (禁止) and not also 最 (提示).
    """
    folded = fold(text)
    # reach[i]: the furthest end of an 例外 occurrence starting at or before i.
    reach = [0] * (len(text) + 1)
    for phrase in words.exceptions:
        for start, end in _occurrences(folded, fold(phrase)):
            reach[start] = max(reach[start], end)
    for i in range(1, len(reach)):
        reach[i] = max(reach[i], reach[i - 1])
    hits = [
        (start, end, level)
        for level, phrases in (
            (WordLevel.FORBIDDEN, words.forbidden),
            (WordLevel.CAUTION, words.caution),
        )
        for phrase in phrases
        for start, end in _occurrences(folded, fold(phrase))
        if reach[start] < end
    ]
    taken = [False] * len(text)
    kept = []
    for start, end, level in sorted(hits, key=lambda h: (h[0] - h[1], SEVERITY[h[2]], h[0])):
        if not any(taken[start:end]):
            taken[start:end] = [True] * (end - start)
            kept.append((start, end, level))
    return [
        Flag(
            field=field,
            phrase=text[start:end],
            level=level,
            start=start,
            before=_context(text[max(0, start - CONTEXT_CHARS) : start]),
            after=_context(text[end : end + CONTEXT_CHARS]),
        )
        for start, end, level in sorted(kept)
    ]


BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "ul",
}  # fmt: skip
HIDDEN_TAGS = {"script", "style", "template", "noscript"}


class _TextCollector(HTMLParser):
    """Collects the text a reader sees; block elements end a line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in HIDDEN_TAGS:
            self.hidden += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_TAGS:
            self.hidden = max(0, self.hidden - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(_HTML_SPACE.sub(" ", data))


def html_text(html: str) -> str:
    """The visible text of an article body: no tags, entities decoded, one block a line.

    Whitespace in the markup counts as one space, as a browser shows it; ``&nbsp;`` and
    full-width spaces are kept.
    """
    collector = _TextCollector()
    collector.feed(html or "")
    collector.close()
    lines = (line.strip(" ") for line in "".join(collector.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def check_article(
    title: str, summary: str, body_html: str, words: WordList | None = None
) -> list[Flag]:
    """The flags of an article's 标题, 摘要 and 正文, in that order.

    :param words: the list to check against; read from the database when not given.
    """
    if words is None:
        words = current_word_list()
    texts = (title or "", summary or "", html_text(body_html))
    return [
        flag
        for name, text in zip(FIELDS, texts, strict=True)
        for flag in check_text(text, words, name)
    ]


def forbidden(flags: Iterable[Flag]) -> list[Flag]:
    """The 禁止 flags among ``flags``: these block publishing."""
    return [flag for flag in flags if flag.level == WordLevel.FORBIDDEN]


def describe(flags: Iterable[Flag] | None) -> str:
    """One sentence saying what the check found, e.g. 发现 2 处禁止用语、3 处提示用语。"""
    flags = list(flags or [])
    blocking = len(forbidden(flags))
    counts = [(blocking, "禁止"), (len(flags) - blocking, "提示")]
    found = "、".join(f"{count} 处{label}用语" for count, label in counts if count)
    return f"发现 {found}。" if found else "未发现需要注意的用语。"


def published_flags(words: WordList | None = None) -> Iterator[tuple[Article, list[Flag]]]:
    """Every published article (scheduled ones too) with its flags, in id order.

    The list is read once for the whole run; articles are loaded a batch at a time.
    """
    if words is None:
        words = current_word_list()
    query = sa.select(Article).where(Article.status == ArticleStatus.PUBLISHED)
    for article in db.session.scalars(query.order_by(Article.id).execution_options(yield_per=100)):
        yield article, check_article(article.title, article.summary, article.body, words)


# The word list: the shipped defaults and a 系统管理员's changes.


def default_words() -> list[tuple[str, WordLevel, str]]:
    """``(phrase, level, note)`` of every entry in ``default_words.toml``."""
    with DEFAULT_WORDS.open("rb") as file:
        data = tomllib.load(file)
    return [
        (phrase, WordLevel(level), note)
        for level, entries in data.items()
        for phrase, note in entries.items()
    ]


def ensure_word_list() -> int:
    """Load the shipped defaults when the list is empty; return how many were added.

    Safe to repeat, and safe when two servers start at once (the second adds nothing).
    Once the list holds any entry it belongs to the 系统管理员s: nothing is brought back.
    """
    if db.session.scalar(sa.select(sa.func.count(WordEntry.id))):
        return 0
    entries = [WordEntry(phrase=p, level=level, note=note) for p, level, note in default_words()]
    db.session.add_all(entries)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return 0
    return len(entries)


def same_phrase(phrase: str, except_id: int | None = None) -> WordEntry | None:
    """The entry whose phrase equals ``phrase`` apart from case, width and outer spaces."""
    wanted = fold(phrase.strip())
    query = sa.select(WordEntry).order_by(WordEntry.id)
    if except_id is not None:
        query = query.where(WordEntry.id != except_id)
    return next((e for e in db.session.scalars(query) if fold(e.phrase) == wanted), None)


def duplicate_message(entry: WordEntry) -> str:
    return f"“{entry.phrase}”已在词表中(级别：{entry.level.label})，请直接编辑该词条。"


def _describe_entry(phrase: str, level: WordLevel, note: str) -> str:
    return f"{phrase}({level.label})" + (f"：{note}" if note else "")


def _commit_or_duplicate(phrase: str) -> str | None:
    """Commit; if another request saved the same phrase meanwhile, say so instead."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        clash = same_phrase(phrase)
        return duplicate_message(clash) if clash else "保存失败，请重试。"
    return None


def add_word(phrase: str, level: WordLevel, note: str, *, actor: str, ip: str) -> str | None:
    """Add an entry and audit it; return why it cannot be added (a duplicate), or None."""
    phrase, note = phrase.strip(), note.strip()
    clash = same_phrase(phrase)
    if clash:
        return duplicate_message(clash)
    db.session.add(WordEntry(phrase=phrase, level=level, note=note))
    detail = "新增 " + _describe_entry(phrase, level, note)
    audit(AuditAction.WORD_LIST, actor=actor, target=f"词语 {phrase}", ip=ip, detail=detail)
    return _commit_or_duplicate(phrase)


def change_word(
    entry: WordEntry, phrase: str, level: WordLevel, note: str, *, actor: str, ip: str
) -> str | None:
    """Change an entry and audit it; return why it cannot be changed, or None.

    Saving an entry unchanged writes nothing, not even an audit event.
    """
    phrase, note = phrase.strip(), note.strip()
    clash = same_phrase(phrase, except_id=entry.id)
    if clash:
        return duplicate_message(clash)
    if (entry.phrase, entry.level, entry.note) == (phrase, level, note):
        return None
    before = _describe_entry(entry.phrase, entry.level, entry.note)
    entry.phrase, entry.level, entry.note = phrase, level, note
    detail = f"修改 {before} → {_describe_entry(phrase, level, note)}"
    audit(AuditAction.WORD_LIST, actor=actor, target=f"词语 {phrase}", ip=ip, detail=detail)
    return _commit_or_duplicate(phrase)


def remove_word(entry: WordEntry, *, actor: str, ip: str) -> None:
    """Delete an entry; the audit log keeps what it was."""
    detail = "删除 " + _describe_entry(entry.phrase, entry.level, entry.note)
    audit(AuditAction.WORD_LIST, actor=actor, target=f"词语 {entry.phrase}", ip=ip, detail=detail)
    db.session.delete(entry)
    db.session.commit()


def grouped_entries() -> dict[WordLevel, list[WordEntry]]:
    """Every entry, grouped by level (禁止, 提示, 例外), each group in phrase order."""
    groups: dict[WordLevel, list[WordEntry]] = {level: [] for level in WordLevel}
    for entry in db.session.scalars(sa.select(WordEntry).order_by(WordEntry.phrase)):
        groups[entry.level].append(entry)
    return groups
