"""The site search index (站内搜索): segmentation, keeping the index current, and queries.

Chinese has no spaces between words, so text is cut into overlapping character bigrams:
each run of Chinese characters, 出口退税 say, becomes the tokens 出口 口退 退税 税 (each character
starts exactly one token; the last one stands alone). A two-character word is then one
token, a longer one a phrase of consecutive bigrams, and a single character a prefix
(``税*``): every article that contains the typed characters is found, whatever word they
belong to. Latin words and numbers are tokens of their own, case-folded (``RCEP`` → rcep).
The README ("站内搜索") gives the figures behind this choice over word segmentation.

The same token string feeds both databases:

- SQLite: an FTS5 table ``search_index`` (rowid = the article's id; the ``ascii``
  tokenizer only splits the tokens on their spaces), ranked with BM25;
- PostgreSQL: ``search_documents``, a ``tsvector`` per article written with the positions
  and weights computed here (no text-search parser, so no locale can change a token), a
  GIN index, ranked with ``ts_rank``.

Only text is indexed. Whether visitors may see an article (已发布, 发布日期 come, section
not hidden) is decided by each query with the site's own condition, so a scheduled
article appears at its time without any job. A session hook (``follow_articles``) rewrites
an article's entry in the same flush, hence the same transaction, as any change to it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import nh3
import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.orm import Session, defer, joinedload

from app.extensions import db
from app.models.content import Article, ArticleStatus, Section, is_public

INDEX_TABLE = "search_index"  # SQLite: the FTS5 table (and its shadow tables search_index_*)
DOCUMENTS_TABLE = "search_documents"  # PostgreSQL: one tsvector per article
MAX_QUERY_CHARS = 50  # longer queries are cut to this many characters (the page says so)
MAX_WORD_CHARS = 60  # a longer Latin "word" (a pasted hash, say) is indexed by its start
TITLE_WEIGHT = 5.0  # a match in the title counts this many times one in the text (BM25)
RELATED_TERMS = 16  # title tokens a "related articles" query uses at most
RELATED_CANDIDATES = 300  # the newest articles sharing a term that related() ranks
SNIPPET_CHARS = 90  # about how long a result's excerpt is
RANKED_MATCHES = 1000  # the newest matches a search ranks and lists (50 pages of 20)
INDEX_CHUNK = 2000  # articles written per statement when the whole index is rebuilt
PG_MAX_POSITION = 16383  # tsvector positions stop here: later words share the last one

# Scripts written without spaces: cut into bigrams. Han (with extensions), kana, hangul.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af\U00020000-\U0003134f"
_RUNS = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]")
_BLOCK_END = re.compile(r"<(?:br|/p|/h\d|/li|/td|/th|/tr|/blockquote|/figcaption)\b[^>]*>", re.I)

_tables = {
    INDEX_TABLE: sa.table(INDEX_TABLE, sa.column("rowid", sa.Integer)),
    DOCUMENTS_TABLE: sa.table(
        DOCUMENTS_TABLE, sa.column("article_id", sa.Integer), sa.column("document", TSVECTOR)
    ),
}


# Segmentation -------------------------------------------------------------------------------


def plain_text(body_html: str) -> str:
    """The text of an article body without its markup; blocks end in a line break."""
    return html.unescape(nh3.clean(_BLOCK_END.sub("\n", body_html or ""), tags=set())).strip()


def _runs(text: str) -> list[str]:
    """Runs of CJK characters, and words of other letters and digits, normalised."""
    return _RUNS.findall(unicodedata.normalize("NFKC", text).casefold())


def _is_cjk(run: str) -> bool:
    return bool(_CJK_RUN.match(run))


def tokens(text: str) -> list[str]:
    """The index tokens of ``text``: bigrams of each CJK run (its last character alone), words."""
    found = []
    for run in _runs(text):
        if _is_cjk(run):
            found += [run[i : i + 2] for i in range(len(run) - 1)]
            found.append(run[-1])
        else:
            found.append(run[:MAX_WORD_CHARS])
    return found


@dataclass(frozen=True)
class Document:
    """What the index holds for one article."""

    article_id: int
    title: list[str]
    text: list[str]  # summary and body

    @classmethod
    def of(cls, article_id: int, title: str, summary: str, body: str) -> Document:
        return cls(article_id, tokens(title), tokens(f"{summary}\n{plain_text(body)}"))

    def tsvector(self) -> str:
        """A ``tsvector`` literal: title tokens weighted A, the text after a gap, weight D."""
        positions: dict[str, list[str]] = defaultdict(list)
        for n, token in enumerate(self.title, start=1):
            positions[token].append(f"{min(n, PG_MAX_POSITION)}A")
        start = len(self.title) + 2  # a gap, so no phrase runs from the title into the text
        for n, token in enumerate(self.text, start=start):
            positions[token].append(str(min(n, PG_MAX_POSITION)))
        return " ".join(f"'{token}':{','.join(at)}" for token, at in positions.items())


# Queries --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One thing every result must contain: a token, a phrase of bigrams or a prefix."""

    parts: tuple[str, ...]
    prefix: bool = False

    def fts5(self) -> str:
        return f'"{" ".join(self.parts)}"' + ("*" if self.prefix else "")

    def tsquery(self) -> str:
        return " <-> ".join(f"'{part}'" for part in self.parts) + (":*" if self.prefix else "")


def _joined(terms: Iterable[Term], dialect: str, every: bool = True) -> str:
    """The terms as one FTS5 MATCH or tsquery expression: all of them, or any."""
    if dialect == "postgresql":
        return (" & " if every else " | ").join(f"({term.tsquery()})" for term in terms)
    return (" AND " if every else " OR ").join(term.fts5() for term in terms)


@dataclass(frozen=True)
class SearchQuery:
    """A visitor's query, cut to ``MAX_QUERY_CHARS`` and turned into index terms.

    Each CJK run of three characters or more must appear as whole two-character pieces
    (出口退税政策: 出口, 退税, 政策, in any order); articles holding the whole run come first.
    Everything the visitor typed becomes tokens of our own, so no search syntax
    (quotes, ``*``, ``NEAR``, ``OR``…) ever reaches the database.
    """

    text: str
    cut: bool = False
    runs: tuple[str, ...] = ()
    terms: tuple[Term, ...] = ()  # all must match
    phrases: tuple[Term, ...] = ()  # whole long runs: matching them ranks first

    @classmethod
    def parse(cls, raw: str) -> SearchQuery:
        clean = "".join(c for c in raw or "" if c.isprintable() or c == " ")
        clean = " ".join(clean.split())
        text = clean[:MAX_QUERY_CHARS].strip()
        runs = tuple(dict.fromkeys(_runs(text)))
        terms, phrases = [], []
        for run in runs:
            if not _is_cjk(run):
                terms.append(Term((run,)))
            elif len(run) == 1:
                terms.append(Term((run,), prefix=True))
            elif len(run) == 2:
                terms.append(Term((run,)))
            else:
                pieces = [run[i : i + 2] for i in range(0, len(run) - 1, 2)]
                if len(run) % 2:
                    pieces.append(run[-2:])
                terms += [Term((piece,)) for piece in dict.fromkeys(pieces)]
                phrases.append(Term(tuple(run[i : i + 2] for i in range(len(run) - 1))))
        return cls(text, len(clean) > MAX_QUERY_CHARS, runs, tuple(terms), tuple(phrases))

    def __bool__(self) -> bool:
        return bool(self.terms)

    def words(self) -> list[str]:
        """What to highlight: whole runs first, then the pieces the match allowed."""
        pieces = {part for term in self.terms for part in term.parts}
        return sorted({*self.runs, *pieces}, key=len, reverse=True)


PERIODS = {  # the time-range filter: value → (label, how far back)
    "": ("不限", None),
    "week": ("一周内", timedelta(days=7)),
    "month": ("一月内", timedelta(days=31)),
    "year": ("一年内", timedelta(days=366)),
}
ORDERS = {"": "相关度", "newest": "最新"}


@dataclass
class Filters:
    """What the results page narrows and orders by, as the visitor chose it."""

    section: Section | None = None
    period: str = ""
    order: str = ""


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _matching(expression: str, dialect: str):
    """Index rows matching ``expression``: (their article id, the condition, a score).

    A higher score is a better match on both databases (BM25 is negated).
    """
    if dialect == "postgresql":
        docs = _tables[DOCUMENTS_TABLE]
        tsquery = sa.cast(sa.literal(expression), TSQUERY)
        return (
            docs.c.article_id,
            docs.c.document.op("@@")(tsquery),
            sa.func.ts_rank(docs.c.document, tsquery),
        )
    condition = sa.literal_column(INDEX_TABLE).op("MATCH")(sa.literal(expression))
    score = -sa.func.bm25(sa.literal_column(INDEX_TABLE), TITLE_WEIGHT, 1.0)
    return _tables[INDEX_TABLE].c.rowid, condition, score


def not_public(now: datetime) -> sa.Select:
    """The ids of articles visitors cannot see at ``now``: the complement of the site's rule.

    Written as three index lookups (status, a 发布日期 to come, a hidden section) because
    articles that are not public are few; testing each match against this small set costs
    less than looking every match up in ``articles``.
    """
    hidden = sa.select(Section.id).where(Section.hidden)
    other = [status for status in ArticleStatus if status is not ArticleStatus.PUBLISHED]
    published = Article.status == ArticleStatus.PUBLISHED
    return sa.union_all(  # each part a range of an index; no OR, which would scan the table
        sa.select(Article.id).where(Article.status.in_(other)),
        sa.select(Article.id).where(published, Article.published_at > now),
        sa.select(Article.id).where(published, Article.published_at.is_(None)),
        sa.select(Article.id).where(Article.section_id.in_(hidden)),
    )


def _may_show(key, filters: Filters, now: datetime):
    """The condition on an index row's article id: public now, and in the chosen 栏目 and time."""
    back = PERIODS.get(filters.period, PERIODS[""])[1]
    if filters.section is None and back is None:
        return key.not_in(not_public(now))
    chosen = sa.select(Article.id).join(Article.section)
    chosen = chosen.where(is_public(now), sa.not_(Section.hidden))
    if filters.section is not None:
        chosen = chosen.where(Article.section_id == filters.section.id)
    if back is not None:
        chosen = chosen.where(Article.published_at >= now - back)
    # ``+ 0``: tested row by row against the set; a bare ``rowid IN`` would make SQLite
    # run the whole FTS5 query once per chosen id (measured: seconds at 100,000 articles).
    return (key + 0).in_(chosen)


@dataclass
class Results:
    """What a search found: one page of articles, and how many match in all."""

    page: object  # a flask-sqlalchemy pagination over at most ``RANKED_MATCHES`` articles
    matched: int  # the public articles that match, counted up to ``RANKED_MATCHES`` + 1

    @property
    def capped(self) -> bool:
        return self.matched > RANKED_MATCHES


def search(query: SearchQuery, filters: Filters, page: int, per_page: int, now: datetime):
    """One page of the public articles matching ``query`` under ``filters``, and their count.

    The newest ``RANKED_MATCHES`` matches (by id, which grows with creation) are counted,
    ranked and listed: articles holding each long run whole first, then by score, then
    newest. A word found in more articles than that ranks only those, and the page says
    so: ranking and counting all of them would cost ~1.4 µs a match (120 ms for a word in
    80,000 articles) where a query should take a few milliseconds.
    """
    dialect = _dialect()
    key, condition, score = _matching(_joined(query.terms, dialect), dialect)
    allowed = _may_show(key, filters, now)
    enough = sa.select(key).where(condition, allowed).limit(RANKED_MATCHES + 1).subquery()
    matched = db.session.scalar(sa.select(sa.func.count()).select_from(enough))
    matches = (
        sa.select(key.label("article_id"), score.label("score"))
        .where(condition, allowed)
        .order_by(key.desc())
        .limit(RANKED_MATCHES)
        .cte("matches")
    )
    if dialect != "postgresql":
        matches = matches.prefix_with("MATERIALIZED")  # FTS5 first, articles after
    statement = (
        sa.select(Article)
        .join(matches, matches.c.article_id == Article.id)
        .options(joinedload(Article.section, innerjoin=True))
    )
    newest = (Article.published_at.desc(), Article.id.desc())
    if filters.order == "newest":
        statement = statement.order_by(*newest)
    else:
        tier = _whole_phrases_first(query, matches.c.article_id, dialect)
        ranking = [tier] if tier is not None else []
        statement = statement.order_by(*ranking, matches.c.score.desc(), *newest)
    found = db.paginate(
        statement, page=page, per_page=per_page, max_per_page=per_page, error_out=False,
        count=False,
    )  # fmt: skip
    found.total = min(matched, RANKED_MATCHES)
    return Results(found, matched)


def _whole_phrases_first(query: SearchQuery, article_id, dialect: str):
    """0 for an article holding every long run whole, else 1; None when there is no long run."""
    if not query.phrases:
        return None
    phrase_key, holds, _score = _matching(_joined(query.phrases, dialect), dialect)
    # Only the candidates' id range: the index skips older articles instead of reading them.
    oldest = sa.select(sa.func.min(article_id)).scalar_subquery()
    holding = sa.select(phrase_key).where(holds, phrase_key >= oldest)
    return sa.case((article_id.in_(holding), 0), else_=1)


def related(article: Article, limit: int = 5, now: datetime | None = None) -> list[Article]:
    """Up to ``limit`` public articles of ``article``'s section sharing its title's terms.

    Ranked by how much they share (BM25 / ``ts_rank``), then newest, among the newest
    ``RELATED_CANDIDATES`` articles sharing any term (the index is read once, the section and
    the public rule checked on those); never the article itself. Title bigrams and words
    stand for what the article is about.
    """
    from app.models.base import utcnow

    now = now or utcnow()
    wanted = [token for token in dict.fromkeys(tokens(article.title)) if len(token) > 1]
    if not wanted:
        return []
    dialect = _dialect()
    terms = [Term((token,)) for token in wanted[:RELATED_TERMS]]
    key, condition, score = _matching(_joined(terms, dialect, every=False), dialect)
    candidates = (
        sa.select(key.label("article_id"), score.label("score"))
        .where(condition)
        .order_by(key.desc())
        .limit(RELATED_CANDIDATES)
        .cte("candidates")
    )
    if dialect != "postgresql":
        candidates = candidates.prefix_with("MATERIALIZED")
    statement = (
        sa.select(Article)
        .join(candidates, candidates.c.article_id == Article.id)
        .join(Article.section)
        .where(
            is_public(now),
            sa.not_(Section.hidden),
            Article.section_id == article.section_id,
            Article.id != article.id,
        )
        .options(defer(Article.body))
        .order_by(candidates.c.score.desc(), Article.published_at.desc(), Article.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(statement))


# Showing results ----------------------------------------------------------------------------


def _pattern(query: SearchQuery) -> re.Pattern | None:
    words = query.words()
    return re.compile("|".join(map(re.escape, words)), re.I) if words else None


def highlight(text: str, query: SearchQuery) -> Markup:
    """``text`` escaped, with the query's words wrapped in ``<mark>``."""
    pattern = _pattern(query)
    if pattern is None:
        return escape(text)
    out, last = [], 0
    for match in pattern.finditer(text):
        out += [escape(text[last : match.start()]), Markup("<mark>%s</mark>") % match.group()]
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def snippet(article: Article, query: SearchQuery, width: int = SNIPPET_CHARS) -> Markup:
    """An excerpt of the article's text around the first match, highlighted."""
    text = " ".join(f"{article.summary}\n{plain_text(article.body)}".split())
    pattern = _pattern(query)
    found = pattern.search(text) if pattern else None
    start = max(0, found.start() - width // 3) if found else 0
    excerpt = text[start : start + width]
    before = "…" if start > 0 else ""
    after = "…" if start + width < len(text) else ""
    return Markup("").join([before, highlight(excerpt, query), after])


# Keeping the index current --------------------------------------------------------------------


def _write(connection: sa.Connection, documents: list[Document]) -> None:
    if not documents:
        return
    ids = [{"id": d.article_id} for d in documents]
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text(
                f"INSERT INTO {DOCUMENTS_TABLE} (article_id, document)"
                " VALUES (:id, CAST(:document AS tsvector))"
                " ON CONFLICT (article_id) DO UPDATE SET document = excluded.document"
            ),
            [{"id": d.article_id, "document": d.tsvector()} for d in documents],
        )
        return
    connection.execute(sa.text(f"DELETE FROM {INDEX_TABLE} WHERE rowid = :id"), ids)
    connection.execute(
        sa.text(f"INSERT INTO {INDEX_TABLE} (rowid, title, body) VALUES (:id, :title, :body)"),
        [
            {"id": d.article_id, "title": " ".join(d.title), "body": " ".join(d.text)}
            for d in documents
        ],
    )


def _forget(connection: sa.Connection, article_ids: list[int]) -> None:
    if not article_ids:
        return
    table, key = (
        (DOCUMENTS_TABLE, "article_id")
        if connection.dialect.name == "postgresql"
        else (INDEX_TABLE, "rowid")
    )
    connection.execute(
        sa.text(f"DELETE FROM {table} WHERE {key} = :id"), [{"id": i} for i in article_ids]
    )


def follow_articles(session: Session, _flush_context) -> None:
    """After each flush: index the articles it wrote, forget the ones it deleted.

    Runs inside the flush's transaction, so the index commits or rolls back with the
    change itself, whichever code path (editor, command line, import) made it.
    """
    written = [
        a for a in (*session.new, *session.dirty)
        if isinstance(a, Article) and (a in session.new or session.is_modified(a))
    ]  # fmt: skip
    deleted = [a.id for a in session.deleted if isinstance(a, Article)]
    if not (written or deleted):
        return
    connection = session.connection()
    _forget(connection, deleted)
    _write(connection, [Document.of(a.id, a.title, a.summary, a.body) for a in written])


def rebuild(connection: sa.Connection) -> int:
    """Empty the index and write every article into it again; return how many were written.

    Articles of every status are indexed (queries decide what is public), a few thousand
    per statement.
    """
    table = DOCUMENTS_TABLE if connection.dialect.name == "postgresql" else INDEX_TABLE
    connection.execute(sa.text(f"DELETE FROM {table}"))
    articles = Article.__table__
    rows = connection.execute(
        sa.select(articles.c.id, articles.c.title, articles.c.summary, articles.c.body)
        .order_by(articles.c.id)
        .execution_options(yield_per=INDEX_CHUNK)
    )
    written = 0
    for chunk in rows.partitions():
        documents = [Document.of(*row) for row in chunk]
        _write_new(connection, documents)
        written += len(documents)
    return written


def _write_new(connection: sa.Connection, documents: list[Document]) -> None:
    """Insert entries known to be absent (after emptying the index)."""
    if connection.dialect.name == "postgresql":
        _write(connection, documents)
        return
    connection.execute(
        sa.text(f"INSERT INTO {INDEX_TABLE} (rowid, title, body) VALUES (:id, :title, :body)"),
        [
            {"id": d.article_id, "title": " ".join(d.title), "body": " ".join(d.text)}
            for d in documents
        ],
    )


def outside_models(name: str | None, type_: str, _parent_names: dict) -> bool:
    """False for the index tables, which no model describes (Alembic's ``include_name``).

    An FTS5 table (and the shadow tables SQLite keeps for it) cannot be a model, so the
    migration creates the index and the schema comparison leaves it alone.
    """
    return not (
        type_ == "table" and name is not None and name.startswith((INDEX_TABLE, DOCUMENTS_TABLE))
    )
