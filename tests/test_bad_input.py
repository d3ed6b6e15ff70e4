"""Input the database or Python cannot hold gets 404 or a field error, never a 500."""

import http.client
import re

import pytest

from app import create_app
from app.urls import ID_MAX, IdConverter, PageConverter
from tests.live import live_server

HUGE = "99999999999999999999"
TOO_BIG_ID = str(ID_MAX + 1)
PAGE_2_63 = str(2**63)


@pytest.fixture
def boss(auth, client):
    auth.login()
    return client


def test_every_number_in_a_url_uses_the_id_or_the_page_converter(app):
    """No route takes a bare <int:…>, which accepts numbers the database cannot hold."""
    checked = 0
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            if name.endswith("_id") or name == "page":
                assert isinstance(converter, IdConverter | PageConverter), rule.rule
                checked += 1
            assert type(converter).__name__ != "IntegerConverter", rule.rule
    assert checked > 20


def numbered_urls() -> list[str]:
    """Every GET route with a number in its path, with a huge number in each place."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    found = set()
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods:
            found.add(re.sub(r"<(?:id|page):[^>]+>", HUGE, rule.rule))
    return sorted(url for url in found if HUGE in url and "<" not in url)


@pytest.mark.parametrize("url", numbered_urls())
def test_huge_numbers_in_any_url_are_404(boss, url):
    assert boss.get(url, follow_redirects=True).status_code == 404


@pytest.mark.parametrize("number", [HUGE, TOO_BIG_ID, "0", "1" * 5000])
def test_an_article_number_out_of_range_is_404(client, number):
    assert client.get(f"/articles/{number}").status_code == 404
    assert client.get(f"/articles/{number}/views").status_code == 404


def test_the_largest_id_is_an_ordinary_404(client):
    assert client.get(f"/articles/{ID_MAX}").status_code == 404


@pytest.mark.parametrize("page", [PAGE_2_63, HUGE, "100001", "-1", "0"])
@pytest.mark.parametrize("url", ["/news/", "/admin/messages", "/admin/audit", "/admin/articles/"])
def test_a_page_number_out_of_range_is_404(boss, url, page):
    assert boss.get(url, query_string={"page": page}).status_code == 404


def test_a_page_that_is_no_number_is_the_first_page(boss):
    assert boss.get("/admin/messages", query_string={"page": "abc"}).status_code == 200


def test_a_huge_message_page_number_in_a_message_link_is_404(boss, make_message):
    message_id = make_message()
    response = boss.get(f"/admin/messages/{message_id}", query_string={"page": PAGE_2_63})
    assert response.status_code == 404


@pytest.mark.parametrize("number", [HUGE, TOO_BIG_ID, "-5"])
def test_a_huge_template_number_is_ignored(boss, make_message, number):
    message_id = make_message()
    response = boss.get(f"/admin/messages/{message_id}", query_string={"template": number})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("start", "end"),
    [("9999-12-31", ""), ("", "9999-12-31"), ("0001-01-01", ""), ("0001-01-01", "9999-12-31")],
)
def test_report_dates_out_of_range_are_a_field_error(boss, start, end):
    response = boss.get("/admin/report", query_string={"start": start, "end": end})
    assert response.status_code == 200
    assert "日期须在 2000-01-01 至 2099-12-31 之间。" in response.get_data(as_text=True)


INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200c\u200d",  # zero-width non-joiner and joiner
    "\ufe0f\ufe0e",  # variation selectors
    "\u2060\ufeff",  # word joiner, zero-width no-break space
    " \u3000\u200b ",  # spaces around a zero-width space
    "\U000e0101",  # a variation selector supplement
    "\u00ad\u034f",  # soft hyphen, combining grapheme joiner
    "\u3164\u115f",  # Hangul fillers, which render blank
]


@pytest.mark.parametrize("name", INVISIBLE)
def test_a_consultation_name_of_invisible_characters_is_refused(client, name):
    data = {
        "name": name,
        "phone": "13812345678",
        "category": "贸易指南",
        "content": "请问出口许可证怎么办理?",
    }
    response = client.post("/consult", data=data)
    assert response.status_code == 422
    assert "请填写姓名" in response.get_data(as_text=True)


@pytest.mark.parametrize("name", ["王\u200d小明", "👩\u200d💼", "Zoë"])
def test_names_with_joiners_between_letters_are_accepted(name):
    from app.forms import is_blank

    assert not is_blank(name)


@pytest.mark.parametrize("text", INVISIBLE)
def test_invisible_replies_and_notes_are_refused_like_empty_ones(boss, make_message, text):
    message_id = make_message()
    reply = boss.post(f"/admin/messages/{message_id}/reply", data={"reply": text, "version": "1"})
    assert "请填写答复内容。" in reply.get_data(as_text=True)
    note = boss.post(f"/admin/messages/{message_id}/notes", data={"note": text})
    assert "请填写备注内容。" in note.get_data(as_text=True)


def send_chunked(port: int, path: str, body: bytes) -> tuple[int, bytes]:
    """POST ``body`` with Transfer-Encoding: chunked (no Content-Length), as the probe did."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest("POST", path)
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    for start in range(0, len(body), 8192):
        part = body[start : start + 8192]
        connection.send(b"%x\r\n" % len(part) + part + b"\r\n")
    connection.send(b"0\r\n\r\n")
    response = connection.getresponse()
    return response.status, response.read()


def test_a_chunked_body_over_the_limit_gets_413_under_gunicorn(database_url):
    with live_server(database_url, workers=1, seed=False, WTF_CSRF_ENABLED="false") as server:
        port = int(server.url.rsplit(":", 1)[1])
        form = b"phone=13812345678&receipt=ABCDEFGHJK&filler="
        status, page = send_chunked(port, "/consult/status", form + b"a" * 200_000)
        assert status == 413
        assert "提交的内容过大" in page.decode()
        status, _page = send_chunked(port, "/consult/status", form + b"a" * (64 * 1024 - 100))
        assert status == 200
