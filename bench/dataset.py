"""The benchmark's data set: many articles and messages, written with bulk inserts.

Texts are cut from the demo articles, so pages have realistic sizes (bodies of one to two
kilobytes, Chinese titles and summaries). Rows go in with SQLAlchemy core ``insert``
and lists of dicts, a few thousand per statement, which takes seconds instead of the
minutes that one ORM object per row would.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.demo import demo_articles
from app.models import CATEGORIES, Article, ArticleStatus, Message, MessageStatus, Section
from app.models.base import utcnow
from app.models.consult import RECEIPT_ALPHABET, RECEIPT_LENGTH
from app.search import index as search_index

CHUNK = 5000
DRAFT_SHARE = 0.01
STATUS_WEIGHTS = {  # an inbox that has been worked on for months
    MessageStatus.PENDING: 30,
    MessageStatus.REPLIED: 55,
    MessageStatus.CLOSED: 10,
    MessageStatus.SPAM: 5,
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


@dataclass
class Filled:
    """What the benchmark needs to know about the data it was given."""

    articles: int
    messages: int
    hot_article: int  # the article the article-page scenario reads
    big_section: str  # slug of the section the section-page scenarios list
    big_section_articles: int  # its published articles


def _blocks() -> list[str]:
    """Every paragraph and subheading of the demo bodies, to be recombined."""
    blocks = []
    for item in demo_articles():
        blocks += re.findall(r"<(?:p|h2)>.*?</(?:p|h2)>", item.body)
    return blocks


def _article_rows(count: int, sections: list[int], newest: datetime, rng: random.Random):
    blocks = _blocks()
    titles = [item.title for item in demo_articles()]
    summaries = [item.summary for item in demo_articles()]
    for n in range(count):
        # Oldest first, so ids grow with the publication time, as they do on a real site.
        published = newest - timedelta(minutes=47 * (count - 1 - n))
        draft = rng.random() < DRAFT_SHARE
        yield {
            "section_id": sections[n % len(sections)],
            "title": f"{rng.choice(titles)}(第{n + 1}期)",
            "summary": rng.choice(summaries),
            "body": "".join(rng.sample(blocks, rng.randint(4, 7))),
            "source": "市贸促会",
            "author": "市贸促会综合处",
            "status": ArticleStatus.DRAFT if draft else ArticleStatus.PUBLISHED,
            "published_at": None if draft else published,
            "views": rng.randint(0, 5000),
            "created_at": published,
            "updated_at": published,
        }


def _message_rows(count: int, newest: datetime, rng: random.Random):
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    summaries = [item.summary for item in demo_articles()]
    receipts: set[str] = set()
    while len(receipts) < count:
        receipts.add("".join(rng.choices(RECEIPT_ALPHABET, k=RECEIPT_LENGTH)))
    for n, receipt in enumerate(sorted(receipts, key=lambda _: rng.random())):
        created = newest - timedelta(minutes=26 * (count - 1 - n))
        status = rng.choices(statuses, weights)[0]
        replied = status == MessageStatus.REPLIED
        yield {
            "receipt": receipt,
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            "phone": f"13{rng.randrange(10**9):09d}",
            "email": f"user{n}@example.cn",
            "company": f"示例贸易有限公司{n % 700}",
            "category": rng.choice(CATEGORIES),
            "content": "请问" + rng.choice(summaries),
            "status": status,
            "spam_reason": "staff" if status == MessageStatus.SPAM else "",
            "reply": "您好,您反映的问题已转交业务处室办理。" if replied else "",
            "replied_at": created + timedelta(hours=rng.randint(1, 30)) if replied else None,
            "created_at": created,
            "ip": f"10.0.{n // 250 % 250}.{n % 250 + 1}",
            "user_agent": "Mozilla/5.0 (bench)",
        }


def _insert(connection, table: sa.Table, rows) -> int:
    chunk, written = [], 0
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            connection.execute(sa.insert(table), chunk)
            written, chunk = written + len(chunk), []
    if chunk:
        connection.execute(sa.insert(table), chunk)
        written += len(chunk)
    return written


def fill(database_url: str, articles: int, messages: int, seed: int = 5) -> Filled:
    """Add ``articles`` and ``messages`` to a database whose tables and sections exist."""
    rng = random.Random(seed)
    # Up to a few minutes ago, so the inbox and its monthly report see a live site.
    newest = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=5)
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            sections = dict(
                connection.execute(
                    sa.select(Section.slug, Section.id).order_by(Section.position)
                ).all()
            )
            _insert(
                connection,
                Article.__table__,
                _article_rows(articles, list(sections.values()), newest, rng),
            )
            _insert(connection, Message.__table__, _message_rows(messages, newest, rng))
            # Core inserts pass no session hook: the search index is written in bulk.
            search_index.rebuild(connection)
        with engine.connect() as connection:
            big = next(iter(sections))
            listing = (
                sa.select(Article.id)
                .where(
                    Article.section_id == sections[big], Article.status == ArticleStatus.PUBLISHED
                )
                .order_by(Article.published_at.desc(), Article.id.desc())
            )
            # A recent article with neighbours on both sides, as a hot news item has.
            hot = connection.scalar(listing.offset(min(10, articles // 6)).limit(1))
            listed = connection.scalar(sa.select(sa.func.count()).select_from(listing.subquery()))
        if engine.dialect.name == "postgresql":
            # What autovacuum does minutes after a bulk load: planner statistics and the
            # visibility map (without it, counting a section fetches every heap row).
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("VACUUM ANALYZE"))
    finally:
        engine.dispose()
    return Filled(articles, messages, hot, big, listed)
