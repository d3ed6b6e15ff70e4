"""URLs from outside: ids and page numbers the database can hold, paths safe to go back to.

``<id:…>`` and ``<page:…>`` in a rule, ``id_arg`` and ``page_arg`` for the query string.
A number out of range is a page that does not exist (404): it never reaches the database,
where ``/articles/99999999999999999999`` would overflow the column and end in a 500.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

# Primary keys are PostgreSQL ``integer`` columns (SQLite's hold more).
ID_MAX = 2**31 - 1
# Past this many pages a listing's OFFSET is no page anybody asked for.
PAGE_MAX = 100_000


class IdConverter(IntegerConverter):
    """``<id:name>``: a row id, 1 to ``ID_MAX``; any other number does not match (404)."""

    regex = r"\d{1,10}"

    def __init__(self, map) -> None:  # noqa: A002 (werkzeug's name)
        super().__init__(map, min=1, max=ID_MAX)


class PageConverter(IntegerConverter):
    """``<page:name>``: a page number, 1 to ``PAGE_MAX``; any other number does not match."""

    regex = r"\d{1,6}"

    def __init__(self, map) -> None:  # noqa: A002 (werkzeug's name)
        super().__init__(map, min=1, max=PAGE_MAX)


def as_id(value: str | None) -> int | None:
    """``value`` as a row id, or None when it is not a number from 1 to ``ID_MAX``."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= ID_MAX else None


def id_arg(name: str) -> int | None:
    """The query-string argument ``name`` as a row id; None when missing or out of range."""
    return as_id(request.args.get(name))


def ids_of(values: Iterable[str]) -> list[int]:
    """The row ids among ``values`` (e.g. ``request.form.getlist(…)``); others are left out."""
    return [number for number in map(as_id, values) if number is not None]


def page_arg(name: str = "page") -> int:
    """The page asked for with ``?page=``: 1 when missing or not a number, 404 out of range."""
    text = (request.args.get(name) or "").strip()
    if not text.lstrip("-").isascii() or not text.lstrip("-").isdigit():
        return 1
    if len(text) > 7 or not 1 <= int(text) <= PAGE_MAX:
        abort(404)
    return int(text)


def local_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site to send someone back to, else None.

    Refuses other sites in every spelling browsers accept: ``//evil``, ``/\\evil`` (``\\``
    reads as ``/``), ``https://evil``, ``javascript:…``, and paths hiding spaces, tabs or
    newlines that browsers strip (``/\\t/evil`` becomes ``//evil``).
    """
    if not target or len(target) > 2000 or not target.startswith("/") or "\\" in target:
        return None
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target


def init_app(app: Flask) -> None:
    """Register the converters; call before any blueprint adds its rules."""
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["page"] = PageConverter
