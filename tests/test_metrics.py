"""/metrics: Prometheus's text format, series that move with what happens, figures that agree
with the admin, multiprocess under gunicorn, and only for the operator."""

import http.client
import re
import urllib.parse
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.extensions import db
from app.models import Outbox, OutboxKind
from app.models.base import utcnow
from tests.helpers import LiveBrowser, started_token
from tests.live import live_server

LOCAL = {"REMOTE_ADDR": "127.0.0.1"}


def series(text: str) -> dict:
    """Every sample of an exposition, keyed by (name, labels)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(client) -> dict:
    response = client.get("/metrics", environ_base=LOCAL)
    assert response.status_code == 200
    return series(response.get_data(as_text=True))


def test_the_exposition_parses_and_names_every_figure(client):
    client.get("/")
    samples = scrape(client)
    names = {name for name, _labels in samples}
    for wanted in (
        "portal_http_requests_total", "portal_http_request_duration_seconds_bucket",
        "portal_views_counted_total", "portal_views_missed_total",
        "portal_consultations_received_total", "portal_search_queries_total",
        "portal_messages_pending", "portal_messages_overdue",
        "portal_oldest_open_message_age_seconds", "portal_outbox_mails", "portal_database_up",
    ):  # fmt: skip
        assert wanted in names, wanted
    assert value(samples, "portal_http_requests_total", method="GET", endpoint="public.home",
                 status="200") >= 1  # fmt: skip
    assert value(samples, "portal_database_up") == 1


def test_figures_of_now_agree_with_the_admin_header(app, client, auth, make_message):
    now = utcnow()
    make_message(created_at=now - timedelta(hours=30), reply_due_at=now - timedelta(hours=6))
    make_message(created_at=now - timedelta(hours=2), reply_due_at=now + timedelta(hours=22))
    make_message(created_at=now - timedelta(hours=1), reply_due_at=now + timedelta(hours=23))
    with app.app_context():
        for n, given_up in enumerate([None, None, now]):
            db.session.add(Outbox(kind=OutboxKind.NEW_MESSAGE, recipient=f"r{n}@example.org",
                                  subject="s", body="b", given_up_at=given_up))  # fmt: skip
        db.session.commit()
    auth.login()
    header = client.get("/admin/messages/counts").get_data(as_text=True)
    shown = {
        kind: int(re.search(rf'inbox-counts__{kind}">(\d+)<', header).group(1))
        for kind in ("pending", "overdue")
    }

    samples = scrape(client)

    assert value(samples, "portal_messages_pending") == shown["pending"] == 3
    assert value(samples, "portal_messages_overdue") == shown["overdue"] == 1
    age = value(samples, "portal_oldest_open_message_age_seconds")
    assert 30 * 3600 <= age < 30 * 3600 + 60
    assert value(samples, "portal_outbox_mails", state="pending") == 2
    assert value(samples, "portal_outbox_mails", state="failed") == 1


@pytest.fixture
def consult_client(staff_app):
    app = staff_app(CONSULT_MIN_FILL_SECONDS=0, CONSULT_RATE_LIMIT="2 per minute")
    return app.test_client()


def question(client, **fields) -> dict:
    asked = {
        "name": "王先生",
        "phone": "13800138000",
        "category": "其他",
        "content": "请问办理原产地证书需要哪些材料?",
    }
    return asked | {"started": started_token(client)} | fields


def test_a_counted_view_and_each_refused_consultation_move_their_own_series(
    client, make_article, consult_client
):
    article = make_article()
    before = scrape(client)
    assert client.get(f"/articles/{article}").status_code == 200
    assert client.get(f"/articles/{article}/views").status_code == 200  # a poll counts nothing
    consult_client.post("/consult", data=question(consult_client, name=""))
    consult_client.post("/consult", data=question(consult_client, started="forged"))
    assert consult_client.post("/consult", data=question(consult_client)).status_code == 303
    consult_client.post("/consult", data=question(consult_client, website="http://spam"))
    assert consult_client.post("/consult", data=question(consult_client)).status_code == 429

    after = scrape(client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("portal_views_counted_total") == 1
    assert moved("portal_consultations_received_total") == 1
    for reason in ("validation", "too_fast", "spam", "rate_limit"):
        assert moved("portal_consultations_refused_total", reason=reason) == 1, reason


def test_a_view_that_could_not_be_counted_moves_the_missed_series(app, client):
    from app.models.content import view_missed

    before = value(scrape(client), "portal_views_missed_total")
    with app.test_request_context():
        view_missed.send(1)
    assert value(scrape(client), "portal_views_missed_total") == before + 1


def test_search_queries_are_counted(client):
    from app.search import searched

    before = value(scrape(client), "portal_search_queries_total")
    searched.send(None, query="原产地证", results=0)
    assert value(scrape(client), "portal_search_queries_total") == before + 1


@pytest.mark.parametrize(
    ("address", "headers", "config", "status"),
    [
        ("127.0.0.1", {}, {}, 200),
        ("::1", {}, {}, 200),
        ("192.0.2.7", {}, {}, 403),
        ("192.0.2.7", {"Authorization": "Bearer s3cret"}, {"METRICS_TOKEN": "s3cret"}, 200),
        ("192.0.2.7", {"Authorization": "Bearer wrong"}, {"METRICS_TOKEN": "s3cret"}, 403),
        ("192.0.2.7", {"Authorization": "Bearer "}, {}, 403),
        ("10.1.2.3", {}, {"METRICS_ALLOW": "127.0.0.1, 10.0.0.0/8"}, 200),
        ("127.0.0.1", {"X-Forwarded-For": "192.0.2.7"}, {"TRUST_PROXY": 1}, 403),
    ],
)  # fmt: skip
def test_only_allowed_addresses_or_the_token_may_read_and_nothing_is_cached(
    staff_app, address, headers, config, status
):
    client = staff_app(**config).test_client()
    response = client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": address})
    assert response.status_code == status
    assert response.cache_control.no_store
    if status == 403:
        assert "portal_" not in response.get_data(as_text=True)


def fetch_metrics(url: str, source: str, headers: dict | None = None) -> tuple[int, str]:
    """GET /metrics from ``source`` (a loopback address of this machine)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=30, source_address=(source, 0)
    )
    try:
        connection.request("GET", "/metrics", headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_under_gunicorn_every_worker_counts_and_other_addresses_get_403(database_url):
    views = 20
    with live_server(
        database_url, workers=2, CONSULT_MIN_FILL_SECONDS=0, METRICS_TOKEN="live-token"
    ) as server:
        visitor = LiveBrowser(server.url)
        for _ in range(views):
            assert visitor.open("/articles/1")[0] == 200
        assert visitor.consult(name="")[0] == 422
        scrapes = [fetch_metrics(server.url, "127.0.0.1") for _ in range(6)]
        other = fetch_metrics(server.url, "127.0.0.2")
        with_token = fetch_metrics(server.url, "127.0.0.2", {"Authorization": "Bearer live-token"})

    for status, text in scrapes:  # whichever worker answers, it adds up every worker's
        assert status == 200
        samples = series(text)
        assert value(samples, "portal_views_counted_total") == views
        assert value(samples, "portal_consultations_refused_total", reason="validation") == 1
        assert value(samples, "portal_http_requests_total", method="GET",
                     endpoint="public.article", status="200") == views  # fmt: skip
    assert other[0] == 403 and "portal_" not in other[1]
    assert with_token[0] == 200 and "portal_views_counted_total" in with_token[1]
