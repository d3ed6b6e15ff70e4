"""Staff sessions end on the server: 退出, 退出所有登录, the absolute lifetime, the cookie."""

import time
import urllib.parse

import pytest

from app.models import AuditAction
from app.models.accounts import find_user
from app.models.audit import events_for
from tests.conftest import STAFF_PASSWORD, AuthActions

INBOX = "/admin/messages"


def cookie_of(client) -> str:
    return client.get_cookie("session").value


def with_cookie(app, value: str):
    """Another browser holding a copy of a session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", value)
    return thief


def lands_on_login(response) -> bool:
    return (
        response.status_code == 302
        and urllib.parse.urlsplit(response.headers["Location"]).path == "/admin/login"
    )


def test_a_cookie_copied_before_logout_opens_nothing_after_it(app, client, auth):
    auth.login()
    copied = cookie_of(client)
    assert with_cookie(app, copied).get(INBOX).status_code == 200
    assert auth.logout().status_code == 303
    assert lands_on_login(with_cookie(app, copied).get(INBOX))


def test_logout_ends_the_sessions_of_the_account_in_every_browser(app, client, auth):
    auth.login()
    other = app.test_client()
    AuthActions(app, other).login()
    auth.logout()
    assert lands_on_login(other.get(INBOX))


def test_an_administrator_signs_a_colleague_out_everywhere(app, client, auth):
    auth.login()
    clerk = app.test_client()
    AuthActions(app, clerk).login("clerk", roles=["responder"])
    assert clerk.get(INBOX).status_code == 200
    with app.app_context():
        clerk_id = find_user("clerk").id
    page = client.get(f"/admin/users/{clerk_id}").get_data(as_text=True)
    assert "退出所有登录" in page
    done = client.post(f"/admin/users/{clerk_id}/sign-out")
    assert done.status_code == 303
    assert "已退出所有登录" in client.get(done.headers["Location"]).get_data(as_text=True)
    assert lands_on_login(clerk.get(INBOX))
    assert client.get(INBOX).status_code == 200  # the administrator stays signed in
    with app.app_context():
        assert "退出所有登录" in [e.detail for e in events_for("clerk")]
    # the colleague may sign in again with the same password
    assert AuthActions(app, clerk).login("clerk").status_code == 303


def test_signing_oneself_out_everywhere_ends_this_session_too(app, client, auth):
    auth.login()
    laptop = app.test_client()
    AuthActions(app, laptop).login()
    with app.app_context():
        boss_id = find_user("boss").id
    assert "退出所有登录" in client.get(f"/admin/users/{boss_id}").get_data(as_text=True)
    done = client.post(f"/admin/users/{boss_id}/sign-out")
    assert lands_on_login(client.get(INBOX))
    assert done.headers["Location"] == "/admin/login"
    assert lands_on_login(laptop.get(INBOX))


def test_a_password_change_ends_a_copied_cookie(app, client, auth):
    auth.login()
    copied = cookie_of(client)
    new = "another-long-password"
    form = {"current": STAFF_PASSWORD, "new": new, "repeat": new}
    assert client.post("/admin/password", data=form).status_code == 303
    assert client.get(INBOX).status_code == 200  # the browser that changed it stays in
    assert lands_on_login(with_cookie(app, copied).get(INBOX))


def test_a_session_ends_after_its_absolute_lifetime_however_busy(staff_app, auth):
    app = staff_app(SESSION_ABSOLUTE_HOURS=12)
    client = app.test_client()
    AuthActions(app, client).login()
    assert client.get(INBOX).status_code == 200
    with client.session_transaction() as session:
        session["signed_in_at"] -= 12 * 3600 - 5  # signed in 11 h 59 min 55 s ago
    assert client.get(INBOX).status_code == 200
    with client.session_transaction() as session:
        session["signed_in_at"] -= 10
    assert lands_on_login(client.get(INBOX))


def test_a_session_without_its_sign_in_time_is_refused(app, client, auth):
    auth.login()
    with client.session_transaction() as session:
        del session["signed_in_at"]
    assert lands_on_login(client.get(INBOX))


def set_cookie_header(response) -> str:
    return next(v for k, v in response.headers.items() if k == "Set-Cookie")


def https_login(app, **kwargs):
    client = app.test_client()
    data = {"username": "boss", "password": STAFF_PASSWORD}
    return client, client.post("/admin/login", data=data, **kwargs)


@pytest.mark.parametrize(
    ("config", "request_kwargs"),
    [
        ({"PREFERRED_URL_SCHEME": "https"}, {"base_url": "https://localhost"}),
        ({"TRUST_PROXY": 1}, {"headers": {"X-Forwarded-Proto": "https"}}),
        ({"SESSION_COOKIE_SECURE": True}, {"base_url": "https://localhost"}),
    ],
    ids=["preferred-https", "trusted-proxy-https", "explicit"],
)
def test_over_https_the_cookie_is_host_prefixed_and_secure(staff_app, config, request_kwargs):
    app = staff_app(**config)
    client, response = https_login(app, **request_kwargs)
    assert response.status_code == 303
    cookie = set_cookie_header(response)
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    follow = {"base_url": "https://localhost"} if "base_url" in request_kwargs else request_kwargs
    assert client.get(INBOX, **follow).status_code == 200


def test_an_untrusted_forwarded_proto_does_not_change_the_cookie(staff_app):
    app = staff_app()
    _client, response = https_login(app, headers={"X-Forwarded-Proto": "https"})
    cookie = set_cookie_header(response)
    assert cookie.startswith("session=") and "Secure" not in cookie


def test_session_cookie_secure_false_keeps_plain_http_cookies(staff_app):
    app = staff_app(SESSION_COOKIE_SECURE=False, PREFERRED_URL_SCHEME="https")
    _client, response = https_login(app, base_url="https://localhost")
    cookie = set_cookie_header(response)
    assert cookie.startswith("session=") and "Secure" not in cookie


def test_a_session_works_after_the_idle_limit_is_renewed(staff_app):
    """The sign-in time survives the renewal of the cookie on every request."""
    app = staff_app(PERMANENT_SESSION_LIFETIME=3)
    client = app.test_client()
    AuthActions(app, client).login()
    for _ in range(3):
        time.sleep(1)
        assert client.get(INBOX).status_code == 200


def test_logout_is_audited_once_and_sign_out_everywhere_is_not_a_get(app, client, auth):
    auth.login()
    with app.app_context():
        boss_id = find_user("boss").id
    assert client.get(f"/admin/users/{boss_id}/sign-out").status_code == 405
    auth.logout()
    with app.app_context():
        assert [e.action for e in events_for("boss")].count(AuditAction.LOGOUT) == 1
