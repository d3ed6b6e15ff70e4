"""Security headers on admin pages, fragments and errors; cookies; the admin layout."""

import pytest

from app import create_app
from app.security import CSP
from tests.conftest import STAFF_PASSWORD

HTMX = {"HX-Request": "true"}
EXPECTED_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; manifest-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def assert_security_headers(response, admin=True):
    headers = response.headers
    assert headers["Content-Security-Policy"] == EXPECTED_CSP
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "unsafe-eval" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    if admin:
        assert headers["Cache-Control"] == "no-store"


def test_the_csp_is_the_one_the_site_promises():
    assert CSP == EXPECTED_CSP


@pytest.fixture
def staff(auth):
    auth.login()
    return auth._client


def test_headers_on_an_admin_page(staff):
    response = staff.get("/admin/messages")
    assert response.status_code == 200
    assert_security_headers(response)


def test_headers_on_an_admin_fragment(staff):
    response = staff.get("/admin/messages/counts", headers=HTMX)
    assert response.status_code == 200 and b"<html" not in response.data
    assert_security_headers(response)


def test_headers_on_the_login_page_and_the_login_redirect(client):
    assert_security_headers(client.get("/admin/login"))
    assert_security_headers(client.get("/admin/messages"))
    assert_security_headers(client.get("/admin/messages/counts", headers=HTMX))


@pytest.mark.parametrize("url", ["/admin/messages/999", "/admin/no-such-page"])
def test_headers_on_an_admin_404(staff, url):
    response = staff.get(url)
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)
    assert_security_headers(response)


def test_headers_on_a_500(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "PROPAGATE_EXCEPTIONS": False,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'boom.db'}",
        }
    )

    @app.get("/admin/boom")
    def boom():
        raise RuntimeError("a bug")

    response = app.test_client().get("/admin/boom")
    assert response.status_code == 500
    assert "服务器内部错误" in response.get_data(as_text=True)
    assert_security_headers(response)


def test_public_pages_keep_their_own_caching(client):
    response = client.get("/")
    assert_security_headers(response, admin=False)
    assert response.headers.get("Cache-Control") != "no-store"


def test_session_cookie_is_httponly_and_lax_but_not_secure_by_default(auth):
    response = auth.login()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # login must work at http://127.0.0.1
    assert "Strict-Transport-Security" not in response.headers


def test_https_deployment_gets_secure_cookies_and_hsts(staff_app):
    client = staff_app(SESSION_COOKIE_SECURE=True).test_client()
    response = client.post(
        "/admin/login",
        data={"username": "boss", "password": STAFF_PASSWORD},
        base_url="https://localhost",
    )
    assert response.status_code == 303
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_admin_layout_turns_off_the_htmx_history_cache_and_has_no_visitor_widget(staff):
    page = staff.get("/admin/messages").get_data(as_text=True)
    assert '"historyCacheSize": 0' in page and '"refreshOnHistoryMiss": true' in page
    assert '"allowEval": false' in page and '"allowScriptTags": false' in page
    assert "consult" not in page and "立即咨询" not in page
    assert "<script>" not in page and " style=" not in page and "hx-on" not in page
