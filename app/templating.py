"""Template filters and the values every page needs."""

import time
from datetime import datetime
from typing import NamedTuple

from flask import Flask

from app.models.base import to_local
from app.models.content import all_sections

NAV_CACHE_SECONDS = 60


class SectionLink(NamedTuple):
    id: int
    slug: str
    name: str


def local_date(moment: datetime | None) -> str:
    """Format a stored UTC time as a Beijing-time date, e.g. 2026-03-06."""
    return to_local(moment).strftime("%Y-%m-%d") if moment else ""


def local_datetime(moment: datetime | None) -> str:
    """Format a stored UTC time as Beijing time to the minute."""
    return to_local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def init_app(app: Flask) -> None:
    """Register the filters and the navigation for every template."""
    app.add_template_filter(local_date)
    app.add_template_filter(local_datetime)

    # Every page shows the sections; they change rarely, so each worker reads them once a minute.
    cache: dict = {"expires": 0.0, "links": []}

    def nav_sections() -> list[SectionLink]:
        if time.monotonic() >= cache["expires"]:
            cache["links"] = [SectionLink(s.id, s.slug, s.name) for s in all_sections()]
            cache["expires"] = time.monotonic() + NAV_CACHE_SECONDS
        return cache["links"]

    @app.context_processor
    def navigation() -> dict:
        return {"nav_sections": nav_sections}
