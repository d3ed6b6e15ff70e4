"""Signing in: the login wall on every admin URL, throttling, sessions, safe returns."""

import time
import urllib.parse
import urllib.request
from datetime import timedelta
from http.cookiejar import CookieJar

import pytest
import sqlalchemy as sa

from app.admin.auth import TOO_MANY_ATTEMPTS, WRONG_CREDENTIALS, safe_next
from app.extensions import db
from app.models import AuditAction, AuditEvent, RateLimitHit
from app.models import accounts as accounts_module
from tests.conftest import STAFF_PASSWORD
from tests.helpers import page_token, route_params
from tests.live import live_server

LOGIN = "/admin/login"


ADMIN_ROUTES = route_params("admin.", skip={"admin.login"})


def test_the_admin_blueprint_has_the_expected_routes():
    ids = {case.id for case in ADMIN_ROUTES}
    assert {
        "GET /admin/",
        "GET /admin/messages",
        "POST /admin/messages/<id:message_id>/reply",
    } <= ids
    assert len(ADMIN_ROUTES) >= 10


@pytest.mark.parametrize(("method", "url"), ADMIN_ROUTES)
def test_every_admin_url_sends_a_visitor_to_the_login_page(client, method, url):
    response = client.open(url, method=method)
    assert response.status_code in (302, 303)
    location = urllib.parse.urlsplit(response.headers["Location"])
    assert location.path == LOGIN
    if method == "GET":
        assert urllib.parse.parse_qs(location.query)["next"] == [url]


@pytest.mark.parametrize(("method", "url"), ADMIN_ROUTES)
def test_every_admin_url_answers_htmx_with_hx_redirect(client, method, url):
    headers = {"HX-Request": "true", "HX-Current-URL": "http://localhost/admin/messages?q=x"}
    response = client.open(url, method=method, headers=headers)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/admin/login?next=/admin/messages?q%3Dx"
    assert b"<form" not in response.data and b"<input" not in response.data


def test_login_page_asks_for_username_and_password(client):
    page = client.get(LOGIN).get_data(as_text=True)
    assert '<label for="username">用户名</label>' in page
    assert '<label for="password">密码</label>' in page
    assert ">登录</button>" in page
    assert 'autocomplete="current-password"' in page


def test_there_is_no_default_account(app, client):
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(accounts_module.User.id))) == 0
    response = client.post(LOGIN, data={"username": "admin", "password": "admin"})
    assert WRONG_CREDENTIALS in response.get_data(as_text=True)


def test_login_returns_to_the_page_asked_for(client, auth):
    asked = client.get("/admin/messages?status=pending&q=%E8%B4%B8")
    login_url = asked.headers["Location"]
    assert login_url == "/admin/login?next=/admin/messages?status%3Dpending%26q%3D%25E8%25B4%25B8"
    auth.create()
    response = client.post(login_url, data={"username": "boss", "password": STAFF_PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/messages?status=pending&q=%E8%B4%B8"
    assert client.get(response.headers["Location"]).status_code == 200


def test_login_without_next_lands_in_the_inbox(auth, client):
    assert auth.login().headers["Location"] == "/admin/"
    assert client.get("/admin/").headers["Location"] == "/admin/messages"


def test_username_is_not_case_sensitive(auth):
    auth.create("boss")
    assert auth.login(" BOSS ").status_code == 303


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/admin/",
        "/\\evil.example",
        "\\/evil.example",
        "https://evil.example/admin/",
        "http:/admin/messages",
        "javascript:alert(1)",
        "/\t/evil.example",
        "/admin/\n//evil.example",
        " /admin/messages",
        "/articles/1",
        "",
    ],
)
def test_open_redirects_in_next_are_refused(auth, target):
    response = auth.login(next=target)
    assert response.headers["Location"] == "/admin/"


def test_safe_next_keeps_admin_paths_with_their_query(app):
    with app.test_request_context():
        assert (
            safe_next("/admin/messages?status=spam&page=2") == "/admin/messages?status=spam&page=2"
        )
        assert safe_next("/admin/messages/3") == "/admin/messages/3"
        assert safe_next("/admin//evil.example") == "/admin//evil.example"  # a path here
        assert safe_next("//admin/messages") is None


def test_wrong_password_and_unknown_user_get_the_same_neutral_error(app, client, auth):
    auth.create()
    wrong = client.post(LOGIN, data={"username": "boss", "password": "not-the-password"})
    unknown = client.post(LOGIN, data={"username": "nobody", "password": "not-the-password"})
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert WRONG_CREDENTIALS in response.get_data(as_text=True)
    assert client.get("/admin/messages").status_code == 302
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == AuditAction.LOGIN_FAILED)
        ).all()
        assert [(e.target, e.ip, e.actor) for e in events] == [
            ("boss", "127.0.0.1", None),
            ("nobody", "127.0.0.1", None),
        ]
        everything = " ".join(
            f"{e.target} {e.detail}" for e in db.session.scalars(sa.select(AuditEvent))
        )
        assert "not-the-password" not in everything


def test_empty_fields_are_named_in_chinese(client):
    page = client.post(LOGIN, data={"username": "", "password": ""}).get_data(as_text=True)
    assert "请输入用户名。" in page and "请输入密码。" in page
    assert 'aria-invalid="true"' in page


def test_unknown_username_still_costs_a_hash_check(auth, monkeypatch):
    auth.create()
    checked = []
    verify = accounts_module._verify
    monkeypatch.setattr(accounts_module, "_verify", lambda h, p: checked.append(h) or verify(h, p))
    auth._client.post(LOGIN, data={"username": "ghost", "password": "whatever-it-is"})
    assert len(checked) == 1 and checked[0].startswith("$argon2id$")


def fail(client, username, ip, times=1):
    for _ in range(times):
        response = client.post(
            LOGIN,
            data={"username": username, "password": "wrong-password"},
            environ_base={"REMOTE_ADDR": ip},
        )
        assert WRONG_CREDENTIALS in response.get_data(as_text=True)


def login_from(client, ip, username="boss"):
    return client.post(
        LOGIN,
        data={"username": username, "password": STAFF_PASSWORD},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_ten_failures_lock_the_account_at_that_ip_only(app, client, auth):
    auth.create()
    auth.create("other")
    fail(client, "boss", "10.0.0.1", times=10)
    refused = login_from(client, "10.0.0.1")
    assert refused.status_code == 200
    assert TOO_MANY_ATTEMPTS in refused.get_data(as_text=True)
    assert WRONG_CREDENTIALS not in refused.get_data(as_text=True)
    assert client.get("/admin/messages").status_code == 302
    assert login_from(client, "10.0.0.1", "other").status_code == 303
    assert login_from(app.test_client(), "10.0.0.2").status_code == 303
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert AuditAction.LOGIN_REFUSED in actions


def test_nine_failures_still_let_the_right_password_in(client, auth):
    auth.create()
    fail(client, "boss", "10.0.0.1", times=9)
    assert login_from(client, "10.0.0.1").status_code == 303


def test_failures_up_to_the_address_limit_lock_that_ip_for_every_account(client, auth):
    auth.create()
    for n in range(30):
        fail(client, f"guess{n}", "10.0.0.9")
    assert TOO_MANY_ATTEMPTS in login_from(client, "10.0.0.9").get_data(as_text=True)
    assert login_from(client, "10.0.0.10").status_code == 303


def test_the_lock_lifts_when_the_window_has_passed(app, client, auth):
    auth.create()
    fail(client, "boss", "10.0.0.1", times=10)
    with app.app_context():
        for hit in db.session.scalars(sa.select(RateLimitHit)):
            hit.at -= timedelta(minutes=16)
        db.session.commit()
    assert login_from(client, "10.0.0.1").status_code == 303


def session_cookie(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_session_is_renewed_at_login(client, auth):
    auth.create()
    client.get(LOGIN)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        token_before = session["csrf_token"]
    cookie_before = session_cookie(client)
    assert auth.login().status_code == 303
    assert session_cookie(client) != cookie_before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"]
        assert session.permanent
    client.get("/admin/messages")  # the page hands out a CSRF token again
    with client.session_transaction() as session:
        assert session["csrf_token"] != token_before


def test_logout_clears_the_session(client, auth):
    auth.login()
    assert client.get("/admin/messages").status_code == 200
    response = auth.logout()
    assert response.status_code == 303 and response.headers["Location"] == LOGIN
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert client.get("/admin/messages").status_code == 302
    assert client.get("/admin/logout").status_code == 405  # only a POST form signs out


def test_a_new_password_ends_open_sessions(client, auth, runner):
    auth.login()
    result = runner.invoke(args=["set-password", "boss", "--password", "another-long-password"])
    assert result.exit_code == 0, result.output
    assert client.get("/admin/messages").status_code == 302


def test_session_cookie_lasts_the_idle_timeout_and_polls_do_not_extend_it(client, auth):
    auth.login()
    page = client.get("/admin/messages")
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    poll = client.get("/admin/messages/counts", headers={"HX-Request": "true"})
    assert poll.status_code == 200
    assert "Set-Cookie" not in poll.headers


def test_an_idle_session_expires(staff_app, auth):
    app = staff_app(PERMANENT_SESSION_LIFETIME=1)
    client = app.test_client()
    type(auth)(app, client).login()
    assert client.get("/admin/messages").status_code == 200
    time.sleep(2.1)
    assert client.get("/admin/messages").status_code == 302


@pytest.fixture
def csrf_client(staff_app):
    """A client of an app that checks CSRF tokens, with staff account ``boss``."""
    return staff_app(WTF_CSRF_ENABLED=True).test_client()


def test_login_needs_the_csrf_token(csrf_client):
    csrf_client.get(LOGIN)
    data = {"username": "boss", "password": STAFF_PASSWORD}
    assert csrf_client.post(LOGIN, data=data).status_code == 400
    token = page_token(csrf_client.get(LOGIN).get_data(as_text=True))
    assert csrf_client.post(LOGIN, data={**data, "csrf_token": token}).status_code == 303


def sign_in_with_token(client) -> None:
    token = page_token(client.get(LOGIN).get_data(as_text=True))
    client.post(LOGIN, data={"username": "boss", "password": STAFF_PASSWORD, "csrf_token": token})


@pytest.mark.parametrize(
    ("method", "url"), [case for case in ADMIN_ROUTES if case.values[0] == "POST"]
)
def test_every_admin_post_needs_the_csrf_token(csrf_client, method, url):
    sign_in_with_token(csrf_client)
    response = csrf_client.open(url, method=method, data={"reply": "答复", "action": "close"})
    assert response.status_code == 400


def test_a_valid_csrf_token_in_the_htmx_header_is_accepted(csrf_client):
    sign_in_with_token(csrf_client)
    fresh = page_token(csrf_client.get("/admin/messages").get_data(as_text=True))
    assert csrf_client.post("/admin/logout", headers={"X-CSRFToken": fresh}).status_code == 303


def test_login_throttle_holds_across_four_gunicorn_workers(database_url):
    """Ten wrong passwords spread over four workers lock the account for the eleventh."""
    with live_server(database_url, workers=4, seed=False) as server:
        server.flask("create-admin", "boss", "--password", STAFF_PASSWORD)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

        def attempt(password: str) -> tuple[int, str]:
            token = page_token(opener.open(server.url + LOGIN).read().decode())
            form = {"username": "boss", "password": password, "csrf_token": token}
            body = urllib.parse.urlencode(form).encode()
            with opener.open(server.url + LOGIN, data=body) as response:
                return response.status, response.read().decode()

        for _ in range(10):
            assert WRONG_CREDENTIALS in attempt("wrong-password")[1]
        status, page = attempt(STAFF_PASSWORD)
        assert TOO_MANY_ATTEMPTS in page
        assert "管理员登录" in page  # still on the login page
        assert "管理员登录" in opener.open(server.url + "/admin/messages").read().decode()
