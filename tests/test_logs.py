"""Request logs: one line per request with its id (sent back as X-Request-ID), JSON lines on
request, and nothing personal: no phone, name, password, session cookie or query string."""

import json
import re

import pytest

from app.extensions import db
from app.models import Message
from tests.conftest import STAFF_PASSWORD
from tests.helpers import LiveBrowser
from tests.live import live_server


def request_lines(text: str) -> list[dict]:
    """The JSON request lines in captured output (other lines, gunicorn's, are left out)."""
    return [json.loads(line) for line in text.splitlines() if '"request_id"' in line]


@pytest.fixture
def json_app(staff_app):
    return staff_app(LOG_FORMAT="json")


def test_each_request_is_one_json_line_whose_id_the_response_echoes(json_app, capsys):
    response = json_app.test_client().get("/?page=2&q=13912345678")
    lines = request_lines(capsys.readouterr().err)
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"])
    assert (line["method"], line["path"], line["status"]) == ("GET", "/", 200)
    assert line["duration_ms"] >= 0 and line["staff_id"] is None
    assert line["level"] == "INFO" and line["time"].endswith("Z")


def test_an_error_is_a_json_line_with_the_request_id_and_the_traceback(json_app, capsys):
    def broken():
        raise RuntimeError("模拟的故障")

    json_app.add_url_rule("/broken", "broken", broken)
    json_app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500 as in production
    response = json_app.test_client().get("/broken")
    assert response.status_code == 500
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    (error,) = [line for line in lines if line["level"] == "ERROR"]
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert error["path"] == "/broken" and "RuntimeError: 模拟的故障" in error["exception"]


def test_the_staff_account_id_is_logged_when_signed_in(json_app, capsys):
    client = json_app.test_client()
    client.post("/admin/login", data={"username": "boss", "password": STAFF_PASSWORD})
    capsys.readouterr()
    client.get("/admin/")
    (line,) = request_lines(capsys.readouterr().err)
    with json_app.app_context():
        from app.models.accounts import find_user

        assert line["staff_id"] == find_user("boss").id


@pytest.mark.parametrize(
    ("trust_proxy", "sent", "kept"),
    [
        (0, "lb-4711", False),
        (1, "lb-4711", True),
        (1, "bad id; forged=1", False),
        (1, "x" * 200, False),
    ],
)
def test_the_proxys_request_id_is_used_only_when_the_proxy_is_trusted(
    staff_app, capsys, trust_proxy, sent, kept
):
    app = staff_app(LOG_FORMAT="json", TRUST_PROXY=trust_proxy)
    response = app.test_client().get("/", headers={"X-Request-ID": sent})
    (line,) = request_lines(capsys.readouterr().err)
    assert (response.headers["X-Request-ID"] == sent) is kept
    assert line["request_id"] == response.headers["X-Request-ID"]


def test_readable_lines_without_json(staff_app, capsys):
    client = staff_app(LOG_FORMAT="text").test_client()
    response = client.get("/privacy?from=13912345678")
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if response.headers["X-Request-ID"] in line]
    assert re.search(r"Z INFO [0-9a-f]{32} GET /privacy 200 [\d.]+ms$", line)
    assert "13912345678" not in err


def test_a_live_server_logs_no_personal_data(database_url):
    """A consultation, a failed sign-in and a search with a phone in the URL, then grep
    everything gunicorn and the app wrote."""
    name, phone, password = "欧阳娜娜", "13912345678", "Not-The-Password-42"
    with live_server(database_url, LOG_FORMAT="json", CONSULT_MIN_FILL_SECONDS=0) as server:
        server.flask("create-admin", "duty", "--password", "correct-horse-battery")
        visitor = LiveBrowser(server.url)
        status, _page = visitor.consult(name=name, phone=phone, email="ouyang@example.org.cn")
        assert status == 200
        assert visitor.sign_in("duty", password)[0] in (200, 422)
        visitor.open(f"/?q={phone}")
        cookies = [cookie.value for cookie in visitor.cookies]
        output = server.output()
        stored = stored_phones(server)

    assert phone in stored  # the consultation did arrive
    lines = request_lines(output)
    assert {(line["method"], line["path"]) for line in lines} >= {
        ("POST", "/consult"), ("POST", "/admin/login"), ("GET", "/"),
    }  # fmt: skip
    for secret in (name, phone, password, "ouyang", "duty", *cookies):
        assert secret not in output, secret


def stored_phones(server) -> list[str]:
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": server.env["DATABASE_URL"], "SECRET_KEY": "x"})
    with app.app_context():
        phones = list(db.session.scalars(db.select(Message.phone)))
        db.engine.dispose()
    return phones
