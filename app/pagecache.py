"""Public pages kept by each worker, keyed by the content version.

A public page is the same for every reader until an editor changes something it shows (an
article, a section, the navigation) or a scheduled article's time comes. So each worker
keeps the bytes it rendered, compressed once, under the request's address and variant
(长者模式, htmx fragment), together with the content version they were rendered at and
the moment they stop being current (the next scheduled publication). Every request reads
the content version from the database (one indexed row): an edit committed by any worker
or app server changes it, and the next request on every worker renders afresh. Nothing
is ever served stale by time.

Pages that count nothing (:func:`kept_page`: home, sections, feeds, site maps) carry an
``ETag`` and ``Cache-Control: no-cache``, so a browser or a reverse proxy revalidates and
gets ``304 Not Modified`` while nothing changed. The article page (:func:`counted_page`)
counts a view on every request, so it is never answered with 304: it keeps its rendering
cut around the view count and puts the new count in (see :func:`gzip_around`).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import brotli
import sqlalchemy as sa
from cachetools import LRUCache
from flask import Flask, Response, current_app, g, request
from markupsafe import Markup
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.content import (
    Counted,
    content_version,
    follow_content,
    follow_content_statements,
    next_publication,
)
from app.rendering import wants_fragment
from app.templating import ELDER_COOKIE

# Rendered once per content version, so the strongest settings that stay quick: brotli 5
# makes an 11 KB article 4.0 KB in ~0.6 ms (quality 11: 3.6 KB in 26 ms), gzip 9 4.7 KB.
BROTLI_QUALITY = 5
GZIP_LEVEL = 9
# Stands for the view count while an article page is rendered; random per process, so no
# article text can contain it.
VIEWS_MARK = f"\ue000{secrets.token_hex(8)}\ue000"
REVALIDATE = "no-cache"  # keep, but ask the server each time (ETag → 304)


@dataclass
class Kept:
    """A page as rendered at ``version``: current until ``until`` (or a new version)."""

    version: int
    until: datetime | None
    content_type: str
    vary: frozenset[str]
    reads_elder_cookie: bool
    parts: list[bytes]  # the page, cut where the view count goes (one part: no count)
    etag: str = ""
    encoded: dict[str, bytes] = field(default_factory=dict)  # the whole page, br and gzip
    deflated: list[bytes] = field(default_factory=list)  # or each part (see gzip_around)

    @property
    def size(self) -> int:
        kept = [*self.parts, *self.encoded.values(), *self.deflated]
        return sum(map(len, kept)) + 512

    def current(self, version: int | None, now: datetime) -> bool:
        return version == self.version and (self.until is None or now < self.until)


def _key() -> tuple:
    """What a kept page is filed under: its address and the variants a request can ask for."""
    elder = request.cookies.get(ELDER_COOKIE) == "1"
    return request.path, request.query_string, elder, wants_fragment()


def _cache() -> PageCache:
    return current_app.extensions["page_cache"]


class PageCache:
    """A worker's kept pages: least recently used first out, bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self._pages: LRUCache = LRUCache(maxsize=max_bytes, getsizeof=lambda page: page.size)
        self._lock = threading.Lock()  # a worker may serve in threads (tests, gthread)

    def get(self, key: tuple) -> Kept | None:
        with self._lock:
            return self._pages.get(key)

    def put(self, key: tuple, page: Kept) -> None:
        if page.size > self._pages.maxsize:
            return
        with self._lock:
            self._pages[key] = page


def _keep(response: Response, version: int, now: datetime, cut: str | None = None) -> Kept:
    body = response.get_data()
    parts = body.split(cut.encode()) if cut else [body]
    return Kept(
        version=version,
        until=next_publication(now),
        content_type=response.headers["Content-Type"],
        vary=frozenset(response.vary),
        reads_elder_cookie=bool(g.get("reads_elder_cookie")),
        parts=parts,
    )


def _encoding(offered: tuple[str, ...]) -> str | None:
    """The first of ``offered`` the client accepts, or None for the plain bytes."""
    accepted = request.accept_encodings
    return next((name for name in offered if accepted[name]), None)


def _headers(page: Kept, response: Response) -> Response:
    response.vary.update(page.vary)
    response.vary.add("Accept-Encoding")
    if page.reads_elder_cookie:
        g.reads_elder_cookie = True  # the page's Vary: Cookie, as if rendered now
    response.headers["Cache-Control"] = REVALIDATE
    return response


def kept_page(view: Callable) -> Callable:
    """Serve the view's page from this worker's copy while the content version holds.

    For pages that count nothing: an unchanged page is not rendered nor compressed again,
    and a client holding its ``ETag`` gets ``304``. Only 200 answers are kept.
    """

    @functools.wraps(view)
    def serve(*args, **kwargs):
        now, version, key = utcnow(), content_version(), _key()
        page = _cache().get(key)
        if page is None or not page.current(version, now):
            response = current_app.make_response(view(*args, **kwargs))
            if version is None or response.status_code != 200 or response.direct_passthrough:
                return response
            page = _keep(response, version, now)
            (body,) = page.parts
            page.etag = hashlib.blake2b(body, digest_size=12).hexdigest()
            page.encoded = {
                "br": brotli.compress(body, quality=BROTLI_QUALITY),
                "gzip": zlib.compress(body, GZIP_LEVEL, wbits=31),
            }
            _cache().put(key, page)
        return _send_kept(page)

    return serve


def _send_kept(page: Kept) -> Response:
    encoding = _encoding(("br", "gzip"))
    etag = f"{page.etag}-{encoding}" if encoding else page.etag
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(
            page.encoded[encoding] if encoding else page.parts[0], content_type=page.content_type
        )
        if encoding:
            response.headers["Content-Encoding"] = encoding
    response.set_etag(etag)
    return _headers(page, response)


def counted_page(counted: Counted, render: Callable[[Markup], object]) -> Response:
    """The article page for a counted view: kept per content version, the count put in.

    ``render(views)`` renders the page with ``views`` where the count goes; it runs only
    when this worker has no current copy. No ``ETag``: every request must reach the
    server, since every view counts.
    """
    now, key = utcnow(), _key()
    page = _cache().get(key)
    if page is None or not page.current(counted.content_version, now):
        response = current_app.make_response(render(Markup(VIEWS_MARK)))
        if counted.content_version is None or response.status_code != 200:
            response.set_data(response.get_data().replace(VIEWS_MARK.encode(), _digits(counted)))
            return response
        page = _keep(response, counted.content_version, now, cut=VIEWS_MARK)
        page.deflated = deflate_parts(page.parts)
        _cache().put(key, page)
    views = _digits(counted)
    if _encoding(("gzip",)):
        body = gzip_around(page.parts, page.deflated, views)
        response = Response(body, content_type=page.content_type)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(views.join(page.parts), content_type=page.content_type)
    return _headers(page, response)


def _digits(counted: Counted) -> bytes:
    return str(counted.views).encode()


# gzip member framing (RFC 1952): magic, deflate, no flags, no time, no extra flags, unknown OS.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


def deflate_parts(parts: list[bytes]) -> list[bytes]:
    """Each part compressed on its own into raw deflate data that later parts can follow.

    All but the last end with ``Z_FULL_FLUSH``: their output stops on a byte boundary and
    nothing after it refers back across it, so the streams can be joined with other deflate
    blocks in between.
    """
    streams = []
    for i, part in enumerate(parts):
        compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
        ending = zlib.Z_FINISH if i == len(parts) - 1 else zlib.Z_FULL_FLUSH
        streams.append(compressor.compress(part) + compressor.flush(ending))
    return streams


def gzip_around(parts: list[bytes], deflated: list[bytes], filling: bytes) -> bytes:
    """``filling.join(parts)`` gzip-compressed, reusing ``deflate_parts(parts)``.

    The filling goes in as a stored (uncompressed) deflate block between the compressed
    parts, so a request costs a CRC-32 of the page (microseconds), where compressing the
    11 KB article page costs 0.1–0.4 ms (brotli 0 to gzip 6), most of the request.
    """
    stored = b"\x00" + struct.pack("<HH", len(filling), len(filling) ^ 0xFFFF) + filling
    plain = filling.join(parts)
    trailer = struct.pack("<II", zlib.crc32(plain), len(plain) & 0xFFFFFFFF)
    return GZIP_HEADER + stored.join(deflated) + trailer


def init_app(app: Flask) -> None:
    """Give the app its page cache and keep the content version following every change."""
    app.extensions["page_cache"] = PageCache(app.config["PAGE_CACHE_MAX_BYTES"])
    # Every ORM session, not only Flask-SQLAlchemy's: no code path can skip the version.
    for event, hook in (
        ("after_flush", follow_content),
        ("do_orm_execute", follow_content_statements),
    ):
        if not sa.event.contains(Session, event, hook):
            sa.event.listen(Session, event, hook)
