"""``/metrics`` for Prometheus: what happened (counters) and where the promise stands now.

Counters and the latency histogram count events in each process. Under gunicorn
(``gunicorn.conf.py`` sets ``PROMETHEUS_MULTIPROC_DIR`` to a fresh directory per start)
prometheus-client keeps them in files there, and a scrape adds up every worker's. Figures
that describe *now* (messages 待处理 and 已超时, the oldest open message, the outbox) are
read from the database at scrape time with the queries the admin pages use, so the two
always agree, whichever worker answers.

The page is for the operator's Prometheus only: it answers addresses in ``METRICS_ALLOW``
(loopback by default) or a request carrying ``Authorization: Bearer <METRICS_TOKEN>``,
403 to everyone else, and is never cached.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from sqlalchemy.exc import SQLAlchemyError

from app.consult import messages
from app.extensions import db
from app.models import content
from app.models.base import utcnow
from app.models.consult import Message, MessageStatus
from app.ops.figures import figures
from app.search import searched

bp = Blueprint("metrics", __name__)

NOT_ALLOWED = "此地址无权读取运行指标。"

REQUESTS = Counter(
    "portal_http_requests", "HTTP requests answered, by endpoint and status",
    ["method", "endpoint", "status"],
)  # fmt: skip
LATENCY = Histogram(
    "portal_http_request_duration_seconds", "Time to answer a request, by endpoint",
    ["endpoint"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)  # fmt: skip
VIEWS_COUNTED = Counter("portal_views_counted", "Article views counted")
VIEWS_MISSED = Counter(
    "portal_views_missed", "Article views that could not be counted (the database was busy)"
)
CONSULTATIONS = Counter(
    "portal_consultations_received", "Consultations stored as 待处理 for staff to answer"
)
REFUSED = Counter(
    "portal_consultations_refused",
    "Consultations not taken into the inbox, by reason: validation, too_fast (asked to send "
    "again), rate_limit, spam (honeypot; filed in the spam folder)",
    ["reason"],
)
SEARCHES = Counter("portal_search_queries", "Site search queries")


# What happened: counted as it happens, in each process


def _on_view_counted(_article_id, **_details) -> None:
    VIEWS_COUNTED.inc()


def _on_view_missed(_article_id, **_details) -> None:
    VIEWS_MISSED.inc()


def _on_message_created(message: Message, **_details) -> None:
    if message.status == MessageStatus.SPAM:
        REFUSED.labels("spam").inc()
    else:
        CONSULTATIONS.inc()


def _on_refused(_sender, reason: str, **_details) -> None:
    REFUSED.labels(reason.replace("-", "_")).inc()


def _on_searched(_sender, **_details) -> None:
    SEARCHES.inc()


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


# The labelled children met so far (prometheus-client keeps them too, behind a lock and a
# check of the label values on every call); an endpoint or status is a handful of values.
_counted: dict[tuple[str, str, int], Counter] = {}
_timed: dict[str, Histogram] = {}


def _count_request(response: Response) -> Response:
    endpoint = request.endpoint or "none"
    key = (request.method, endpoint, response.status_code)
    counter = _counted.get(key)
    if counter is None:
        counter = _counted[key] = REQUESTS.labels(key[0], endpoint, str(key[2]))
    counter.inc()
    started = g.pop("metrics_started", None)
    if started is not None:
        histogram = _timed.get(endpoint)
        if histogram is None:
            histogram = _timed[endpoint] = LATENCY.labels(endpoint)
        histogram.observe(time.perf_counter() - started)
    return response


# Where things stand now: read from the database at each scrape


class DatabaseFigures:
    """The inbox and outbox figures, asked at scrape time (needs an app context)."""

    def collect(self):
        up = GaugeMetricFamily("portal_database_up", "1 when the database answered the scrape")
        try:
            now = list(_database_figures())
        except SQLAlchemyError:
            db.session.rollback()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from now


def _database_figures():
    now = utcnow()
    found = figures(now)
    yield GaugeMetricFamily("portal_messages_pending", "Messages 待处理 now", value=found.pending)
    yield GaugeMetricFamily(
        "portal_messages_overdue", "Messages 已超时 now: 待处理 past the deadline",
        value=found.overdue,
    )  # fmt: skip
    yield GaugeMetricFamily(
        "portal_oldest_open_message_age_seconds",
        "How long the oldest 待处理 message has waited (0: none waits)",
        value=found.oldest_wait.total_seconds() if found.oldest_wait else 0,
    )
    outbox = GaugeMetricFamily(
        "portal_outbox_mails", "Mail in the outbox, by state", labels=["state"]
    )
    outbox.add_metric(["pending"], found.mail_pending)
    outbox.add_metric(["failed"], found.mail_failed)
    yield outbox


class ThisProcess:
    """Everything in the default registry: the metrics above and the process's own."""

    def collect(self):
        yield from REGISTRY.collect()


def exposition(accept: str | None) -> tuple[bytes, str]:
    """The text a scrape gets, and its content type (OpenMetrics when Prometheus asks)."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(ThisProcess())
    registry.register(DatabaseFigures())
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type


# Who may read it


def _networks(setting) -> list:
    items = setting.replace(",", " ").split() if isinstance(setting, str) else setting
    return [ipaddress.ip_network(item, strict=False) for item in items]


def may_read() -> bool:
    """The client's address is in ``METRICS_ALLOW``, or it sent the ``METRICS_TOKEN``."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in _networks(current_app.config["METRICS_ALLOW"]))


@bp.get("/metrics")
def metrics():
    """The Prometheus exposition, for allowed addresses and the bearer token only."""
    if may_read():
        body, content_type = exposition(request.headers.get("Accept"))
        response = Response(body, content_type=content_type)
    else:
        response = Response(NOT_ALLOWED, 403, content_type="text/plain; charset=utf-8")
    response.cache_control.no_store = True
    return response


def init_app(app: Flask) -> None:
    """Serve ``/metrics``, time every request, and listen to the signals counted."""
    _networks(app.config["METRICS_ALLOW"])  # a mistyped address fails at start, not at scrape
    app.register_blueprint(bp)
    app.before_request(_start_timer)
    app.after_request(_count_request)
    content.view_counted.connect(_on_view_counted)
    content.view_missed.connect(_on_view_missed)
    messages.created.connect(_on_message_created)
    messages.refused.connect(_on_refused)
    searched.connect(_on_searched)
