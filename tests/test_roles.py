"""Every admin URL × every role (and anonymous): allowed, 403, or the login page.

The expected roles are written here, apart from the marks on the views, so a view that
changes or forgets its mark fails this test.
"""

import urllib.parse

import pytest

from app.models import Role
from tests.helpers import routes

ADMIN, EDITOR, RESPONDER = Role.ADMIN, Role.EDITOR, Role.RESPONDER
ANY = {ADMIN, EDITOR, RESPONDER}

# First path segment under /admin/ → who may use it. Exceptions by endpoint below.
AREAS = {
    "": ANY,  # /admin/ sends each account to its first area
    "password": ANY,
    "logout": ANY,
    "messages": {RESPONDER},
    "replies": {RESPONDER},
    "report": {RESPONDER, ADMIN},
    "mail": {RESPONDER, ADMIN},
    "audit": {ADMIN},
    "articles": {EDITOR},
    "media": {EDITOR},
    "users": {ADMIN},
    "sections": {ADMIN},
    "wording": {ADMIN},
}
ENDPOINTS = {"wording.check": {EDITOR, ADMIN}}  # editors see the check while they write


ROUTES = [
    (r.endpoint, r.method, r.url)
    for r in routes(path_prefix="/admin")
    if r.endpoint != "admin.login"
]


def expected_roles(endpoint: str, url: str) -> set:
    if endpoint in ENDPOINTS:
        return ENDPOINTS[endpoint]
    area = urllib.parse.urlsplit(url).path.removeprefix("/admin").strip("/").split("/")[0]
    return AREAS[area]


def test_every_admin_area_is_in_the_table():
    areas = {urllib.parse.urlsplit(url).path.split("/")[2] for _, _, url in ROUTES}
    assert areas <= set(AREAS), areas - set(AREAS)
    assert {"articles", "users", "sections", "wording", "media", "messages"} <= areas
    assert len(ROUTES) >= 30


CASES = [
    pytest.param(endpoint, method, url, role, id=f"{role or 'anonymous'} {method} {url}")
    for endpoint, method, url in ROUTES
    for role in [None, *Role]
]


@pytest.mark.parametrize(("endpoint", "method", "url", "role"), CASES)
def test_role_matrix(auth, client, endpoint, method, url, role):
    if role is not None:
        auth.login(f"only-{role.value}", roles=[role])
    response = client.open(url, method=method)
    if role is None:
        assert response.status_code in (302, 303)
        assert urllib.parse.urlsplit(response.headers["Location"]).path == "/admin/login"
    elif role in expected_roles(endpoint, url):
        assert response.status_code != 403, response.get_data(as_text=True)[:300]
        # Signing out ends on the login page, as it should (account 1 is the one signed in,
        # so its 退出所有登录 signs it out too).
        if endpoint not in ("admin.logout", "staff.sign_out"):
            assert "/admin/login" not in response.headers.get("Location", "")
    else:
        assert response.status_code == 403
        if response.is_json:  # the upload endpoint answers the editor's script in JSON
            assert "没有权限" in response.get_json()["error"]
        else:
            assert "无权访问" in response.get_data(as_text=True)


def test_forbidden_for_htmx_is_a_message_in_place_not_a_login_form(auth, client):
    auth.login("only-editor", roles=[EDITOR])
    response = client.get("/admin/messages", headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#admin-alert"
    html = response.get_data(as_text=True)
    assert "没有权限" in html and "<form" not in html and "<html" not in html
    page = client.get("/admin/messages").get_data(as_text=True)
    assert "无权访问" in page and "您的账号没有权限使用此功能" in page


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (EDITOR, ["文章"], ["留言", "账号", "栏目", "审计日志", "用语词表"]),
        (RESPONDER, ["留言"], ["文章", "账号", "栏目", "审计日志"]),
        (ADMIN, ["账号", "栏目", "用语词表", "审计日志"], ["留言<", "文章<"]),
    ],
)
def test_the_admin_navigation_shows_only_what_the_account_may_use(
    auth, client, role, shown, hidden
):
    auth.login(f"only-{role.value}", roles=[role])
    page = client.get("/admin/password").get_data(as_text=True)
    nav = page.split('aria-label="后台导航"')[1].split("</nav>")[0]
    for label in shown:
        assert f">{label}</a>" in nav
    for label in hidden:
        assert f">{label.rstrip('<')}</a>" not in nav


def test_each_role_lands_on_its_own_area(auth, client):
    auth.login("only-editor", roles=[EDITOR])
    assert client.get("/admin/").headers["Location"] == "/admin/articles/"
