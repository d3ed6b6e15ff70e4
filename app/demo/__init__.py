"""Demo content: data files in ``articles/``, one per article, imported like an editor's save."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from app.models.base import LOCAL_TZ

ARTICLES = Path(__file__).parent / "articles"
PUBLISH_TIME = time(9, 30)  # demo articles appear at half past nine, Beijing time


@dataclass(frozen=True)
class DemoArticle:
    section: str  # the section's slug
    title: str
    summary: str
    source: str
    author: str
    published: date
    views: int
    body: str

    @property
    def published_at(self) -> datetime:
        """The publication moment as stored: naive UTC."""
        moment = datetime.combine(self.published, PUBLISH_TIME, LOCAL_TZ).astimezone(UTC)
        return moment.replace(tzinfo=None)


def demo_articles(folder: Path = ARTICLES) -> list[DemoArticle]:
    """Every demo article, oldest first, read from its TOML file."""
    items = []
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as file:
            items.append(DemoArticle(**tomllib.load(file)))
    return sorted(items, key=lambda item: item.published)
