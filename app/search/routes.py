"""The results page of the site search: a plain GET form, enhanced by htmx as one types."""

from flask import Blueprint, current_app, request

from app.models.base import utcnow
from app.models.content import visible_sections
from app.rendering import render_page, wants_fragment
from app.search import index, searched
from app.urls import page_arg

bp = Blueprint("search", __name__)

RESULTS_ID = "search-results"  # the element of the results page that its own requests swap


def _filters(sections: list) -> index.Filters:
    """The 栏目, time range and order the visitor chose; anything unknown means 不限."""
    chosen = request.args.get("section", "")
    period = request.args.get("period", "")
    return index.Filters(
        section=next((s for s in sections if s.slug == chosen), None),
        period=period if period in index.PERIODS else "",
        order="newest" if request.args.get("order") == "newest" else "",
    )


def _page_args(query: index.SearchQuery, filters: index.Filters) -> dict:
    """The query arguments page links keep (those with a value)."""
    args = {
        "q": query.text,
        "section": filters.section.slug if filters.section else "",
        "period": filters.period,
        "order": filters.order,
    }
    return {name: value for name, value in args.items() if value}


@bp.get("/search")
def results():
    """Public articles matching ``q``: by relevance or newest first, 20 a page."""
    query = index.SearchQuery.parse(request.args.get("q", ""))
    sections = visible_sections()
    filters = _filters(sections)
    found = None
    if query:
        number = page_arg()
        per_page = current_app.config["ARTICLES_PER_PAGE"]
        found = index.search(query, filters, number, per_page, utcnow())
        searched.send(current_app._get_current_object(), query=query.text, results=found.matched)
    # The results page's own box and links swap the list; the header's box, typed into on
    # any page, swaps the whole main area (it asks for #main) and so gets the whole page.
    fragment = wants_fragment() and request.headers.get("HX-Target") == RESULTS_ID
    return render_page(
        "search/results.html", "results" if fragment else None, query=query, filters=filters,
        sections=sections, found=found, page=found.page if found else None, fragment=fragment,
        page_args=_page_args(query, filters), periods=index.PERIODS, orders=index.ORDERS,
        highlight=index.highlight, snippet=index.snippet, max_chars=index.MAX_QUERY_CHARS,
        ranked=index.RANKED_MATCHES,
    )  # fmt: skip
