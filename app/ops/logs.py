"""One log line per request, with a request id the response sends back as ``X-Request-ID``.

A line holds the request id, method, path (never the query string), status, duration and
the staff account's id when one is signed in; nothing a visitor typed, no IP address, no
cookie. ``LOG_FORMAT=json`` writes JSON lines (the app's other log records too), anything
else a readable line. The id comes from the proxy's ``X-Request-ID`` only when the proxy
is trusted (``TRUST_PROXY``), so one id follows a request from the proxy's log to ours.

Logging is set up once per process (the last app built decides the format), as a
deployment has one app per process.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, current_app, g, has_request_context, request
from flask.logging import default_handler, wsgi_errors_stream
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from app.sessions import session_loaded

HEADER = "X-Request-ID"
# What a proxy's id may look like; anything else (too long, spaces, newlines) is replaced.
PROXY_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")

logger = logging.getLogger("app.requests")
_handler = logging.StreamHandler(wsgi_errors_stream)


class JsonLines(logging.Formatter):
    """A record as one JSON object: time (UTC), level, logger, message, the request's fields
    (an error logged during a request carries its request id)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if hasattr(record, "request"):
            line.update(record.request)
        elif has_request_context():
            line.update(request_id=request_id(), method=request.method, path=request.path)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class Readable(logging.Formatter):
    """A record as ``time level message``; a request's line spells out its fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "request", None)
        if fields:
            staff = f" staff={fields['staff_id']}" if fields["staff_id"] is not None else ""
            message = (
                f"{fields['request_id']} {fields['method']} {_printable(fields['path'])} "
                f"{fields['status']} {fields['duration_ms']}ms{staff}"
            )
        else:
            message = record.getMessage()
        text = f"{_timestamp(record)} {record.levelname} {message}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _printable(text: str) -> str:
    """``text`` with control characters escaped, so a path cannot forge a second line."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)


def request_id() -> str:
    """This request's id: the trusted proxy's, or a new one."""
    if "request_id" not in g:
        g.request_id = _new_request_id()
    return g.request_id


def _new_request_id() -> str:
    if current_app.config["TRUST_PROXY"]:
        sent = request.headers.get(HEADER, "")
        if PROXY_ID.fullmatch(sent):
            return sent
    return uuid.uuid4().hex


def _staff_id() -> int | None:
    """The signed-in staff account, asked only when the request read its session anyway:
    reading it here would add ``Vary: Cookie`` to static files and media, and cost every
    public page a session and an account to load."""
    if not session_loaded():
        return None
    try:
        return current_user.id if current_user.is_authenticated else None
    except SQLAlchemyError:  # the database is down: the line still gets written
        return None


def _start() -> None:
    g.log_started = time.perf_counter()
    g.request_id = _new_request_id()


def _log_request(response: Response) -> Response:
    started = g.get("log_started")
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    identifier = request_id()
    response.headers[HEADER] = identifier
    if logger.isEnabledFor(logging.INFO):
        method, path, status = request.method, request.path, response.status_code
        fields = {
            "request_id": identifier,
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": duration,
            "staff_id": _staff_id(),
        }
        # makeRecord and handle, not logger.info: the same record and handlers, without
        # looking up the caller's file and line in the stack, which no line shows.
        record = logger.makeRecord(
            logger.name, logging.INFO, __file__, 0, "%s %s %s", (method, path, status),
            None, extra={"request": fields},
        )  # fmt: skip
        logger.handle(record)
    return response


def configure(log_format: str) -> None:
    """Send request lines (and, for JSON, the app's own records) to stderr in ``log_format``."""
    _handler.setFormatter(JsonLines() if log_format == "json" else Readable())
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if _handler not in logger.handlers:
        logger.addHandler(_handler)
    app_logger = logging.getLogger("app")
    if log_format == "json":
        app_logger.removeHandler(default_handler)
        if _handler not in app_logger.handlers:
            app_logger.addHandler(_handler)
    elif _handler in app_logger.handlers:
        app_logger.removeHandler(_handler)
        app_logger.addHandler(default_handler)


def init_app(app: Flask) -> None:
    """Give every request an id and write its line when the response is ready."""
    configure(str(app.config["LOG_FORMAT"]).lower())
    app.before_request(_start)
    app.after_request(_log_request)
