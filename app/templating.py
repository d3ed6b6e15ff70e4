"""Template filters and the values every page needs: navigation, the site frame, 长者模式."""

import re
from datetime import datetime

from flask import Flask, Response, current_app, g, request, url_for

from app.models.base import to_local
from app.models.content import section_links

ELDER_COOKIE = "elder_mode"  # "1": 长者模式 on; static/js/site.js writes the same cookie
ELDER_COOKIE_MAX_AGE = 365 * 24 * 3600
ELDER_SHORTCUT = "Alt+Shift+E"  # also handled in static/js/site.js
PSB_REGISTRY = "https://beian.mps.gov.cn/#/query/webSearch"
ICP_REGISTRY = "https://beian.miit.gov.cn/"


def local_date(moment: datetime | None) -> str:
    """Format a stored UTC time as a Beijing-time date, e.g. 2026-03-06."""
    return to_local(moment).strftime("%Y-%m-%d") if moment else ""


def local_datetime(moment: datetime | None) -> str:
    """Format a stored UTC time as Beijing time to the minute."""
    return to_local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def elder_mode() -> bool:
    """Whether this visitor turned 长者模式 on; the page then depends on the cookie."""
    g.reads_elder_cookie = True
    return request.cookies.get(ELDER_COOKIE) == "1"


def current_path() -> str:
    """The path and query of this request, for a switch that comes back here."""
    return request.full_path.removesuffix("?") if request.query_string else request.path


def logo_url() -> str:
    """The address of the council's logo: a file under static/, or an address as given."""
    logo = current_app.config["SITE_LOGO"]
    if logo.startswith(("/", "http://", "https://")):
        return logo
    return url_for("static", filename=logo)


def psb_registry_url(number: str) -> str:
    """The public-security registry's page for a 公安机关备案号 (its digits are the code)."""
    code = "".join(re.findall(r"\d+", number))
    return f"{PSB_REGISTRY}?code={code}" if code else PSB_REGISTRY


def init_app(app: Flask) -> None:
    """Register the filters, the navigation and the frame's helpers for every template."""
    app.add_template_filter(local_date)
    app.add_template_filter(local_datetime)
    app.add_template_filter(psb_registry_url)

    @app.context_processor
    def frame() -> dict:
        return {
            "nav_sections": section_links,
            "elder_mode": elder_mode,
            "elder_shortcut": ELDER_SHORTCUT,
            "current_path": current_path,
            "logo_url": logo_url,
            "icp_registry": ICP_REGISTRY,
        }

    @app.after_request
    def vary_on_elder_cookie(response: Response) -> Response:
        # A page rendered for 长者模式 differs only by the cookie: shared caches must key on it.
        if g.get("reads_elder_cookie"):
            response.vary.add("Cookie")
        return response
