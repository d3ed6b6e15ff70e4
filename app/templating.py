"""Template filters and the values every page needs."""

from datetime import datetime

from flask import Flask

from app.models.base import to_local
from app.models.content import section_links


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

    @app.context_processor
    def navigation() -> dict:
        return {"nav_sections": section_links}
