"""The accounts page: list, create with a one-time password, roles, disable, reset, last admin."""

import re
import threading
import time
import urllib.parse

import pytest
import sqlalchemy as sa
from markupsafe import escape

from app.admin.auth import WRONG_CREDENTIALS
from app.extensions import db
from app.models import AuditAction, AuditEvent, Role, User
from app.models.accounts import find_user
from app.models.audit import events_for
from app.models.base import to_local
from app.staff import accounts
from app.staff.accounts import (
    LAST_ADMIN,
    ONE_TIME_ALPHABET,
    ONE_TIME_LENGTH,
    one_time_password,
    set_active,
    update_account,
)
from tests.conftest import STAFF_PASSWORD, AuthActions
from tests.helpers import page_token, route_params

USERS = "/admin/users"
NEW = "/admin/users/new"


STAFF_ROUTES = route_params("staff.")


@pytest.fixture
def boss(auth):
    """The test client, signed in as ``boss``, who holds every role."""
    auth.login()
    return auth._client


def signed_in(app, username, roles=(Role.EDITOR,), password=STAFF_PASSWORD):
    """Another browser: a new client signed in as ``username`` (created with ``roles``)."""
    other = app.test_client()
    response = AuthActions(app, other).login(username, password, roles=roles)
    assert response.status_code == 303
    return other


def account(app, username) -> User:
    with app.app_context():
        return find_user(username)  # its roles are loaded with it (selectin)


def details(app, username) -> list[str]:
    """What the audit log says was done to the account ``username``, oldest first."""
    with app.app_context():
        return [e.detail for e in events_for(username) if e.action == AuditAction.ACCOUNT]


def shown_password(page: str) -> str:
    return re.search(r'<p class="one-time__password"><code>([^<]+)</code>', page).group(1)


def create(client, username="wang.wu", roles=("editor",), email=""):
    return client.post(NEW, data={"username": username, "email": email, "roles": list(roles)})


# The list


def test_the_list_shows_every_account(app, boss, auth):
    auth.create("clerk", roles=[Role.EDITOR, Role.RESPONDER], email="clerk@ccpit.example.org")
    auth.create("retired", roles=[Role.RESPONDER], active=False)
    page = boss.get(USERS).get_data(as_text=True)
    for heading in ("用户名", "邮箱", "角色", "状态", "最近登录"):
        assert f'<th scope="col">{heading}</th>' in page
    clerk = page[page.index(">clerk</a>") : page.index(">retired</a>")]
    assert "clerk@ccpit.example.org" in clerk and "编辑、负责人" in clerk
    assert "正常" in clerk and "从未登录" in clerk
    retired = page[page.index(">retired</a>") :]
    assert "已停用" in retired.split("</tr>")[0]
    signed = to_local(account(app, "boss").last_login_at).strftime("%Y-%m-%d %H:%M")
    assert signed in page  # Beijing time
    assert f'href="/admin/users/{account(app, "clerk").id}"' in page
    assert "系统管理员、编辑、负责人" in page


def test_the_admin_navigation_links_to_the_accounts_page(boss):
    assert f'href="{USERS}"' in boss.get("/admin/audit").get_data(as_text=True)


# Creating an account


def test_one_time_passwords_are_readable_and_random():
    made = {one_time_password() for _ in range(50)}
    assert len(made) == 50
    for password in made:
        assert len(password) == ONE_TIME_LENGTH == 12
        assert set(password) <= set(ONE_TIME_ALPHABET)
    assert not set("0Oo1lI") & set(ONE_TIME_ALPHABET)


def test_create_shows_the_one_time_password_once(app, boss):
    response = create(
        boss, "Wang.Wu", roles=["editor", "responder"], email="wang@ccpit.example.org"
    )
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "请将此一次性密码告知 wang.wu，首次登录后须修改。" in page
    password = shown_password(page)
    assert len(password) == 12
    cookies = " ".join(response.headers.getlist("Set-Cookie"))
    assert password not in cookies
    created = account(app, "wang.wu")
    assert created.roles == {Role.EDITOR, Role.RESPONDER}
    assert created.email == "wang@ccpit.example.org"
    assert created.must_change_password
    assert password not in created.password_hash and created.check_password(password)
    assert details(app, "wang.wu") == ["创建账号(角色：编辑、负责人)"]
    # Never shown again.
    for url in (USERS, f"{USERS}/{created.id}"):
        assert password not in boss.get(url).get_data(as_text=True)


def test_the_new_account_must_change_the_one_time_password_first(app, boss):
    password = shown_password(create(boss, "newcomer").get_data(as_text=True))
    newcomer = app.test_client()
    login = newcomer.post("/admin/login", data={"username": "newcomer", "password": password})
    assert login.headers["Location"] == "/admin/password"
    assert newcomer.get("/admin/messages").headers["Location"] == "/admin/password"
    changed = newcomer.post(
        "/admin/password",
        data={"current": password, "new": "my-own-password", "repeat": "my-own-password"},
    )
    assert changed.headers["Location"] == "/admin/"
    assert not account(app, "newcomer").must_change_password
    assert newcomer.get("/admin/messages").status_code == 403  # an 编辑 is not a 负责人


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"username": "", "roles": ["editor"]}, "请输入用户名。"),
        ({"username": "a b", "roles": ["editor"]}, "用户名须为 2–50 个字母"),
        ({"username": "BOSS", "roles": ["editor"]}, "用户名 boss 已被使用。"),
        ({"username": "clerk", "roles": []}, "请至少选择一个角色。"),
        ({"username": "clerk", "roles": ["editor"], "email": "clerk@"}, "请输入有效的邮箱地址"),
    ],
)
def test_create_explains_what_is_wrong(app, boss, data, error):
    response = boss.post(NEW, data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error in page and 'class="field__error"' in page
    assert "一次性密码告知" not in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_the_create_form_has_labels_and_role_checkboxes(boss):
    page = boss.get(NEW).get_data(as_text=True)
    assert '<label for="username">用户名</label>' in page
    assert '<label for="email">邮箱</label>' in page
    assert "<legend>角色</legend>" in page
    for value, label in (("admin", "系统管理员"), ("editor", "编辑"), ("responder", "负责人")):
        assert re.search(rf'<input [^>]*type="checkbox" value="{value}"> {label}</label>', page)


# Roles and e-mail


def test_roles_change_what_the_account_can_open(app, boss, auth):
    clerk = signed_in(app, "clerk", roles=[Role.EDITOR])
    assert clerk.get("/admin/messages").status_code == 403
    user_id = account(app, "clerk").id
    saved = boss.post(f"{USERS}/{user_id}", data={"email": "", "roles": ["editor", "responder"]})
    assert saved.status_code == 303 and saved.headers["Location"] == f"{USERS}/{user_id}"
    assert "已保存" in boss.get(saved.headers["Location"]).get_data(as_text=True)
    assert clerk.get("/admin/messages").status_code == 200  # the open session, at once
    boss.post(f"{USERS}/{user_id}", data={"email": "", "roles": ["editor"]})
    assert clerk.get("/admin/messages").status_code == 403
    assert details(app, "clerk") == ["修改角色 编辑→编辑、负责人", "修改角色 编辑、负责人→编辑"]


def test_the_email_address_can_be_changed_and_cleared(app, boss, auth):
    user_id = auth.create("clerk", roles=[Role.EDITOR])
    page = f"{USERS}/{user_id}"
    boss.post(page, data={"email": " clerk@CCPIT.example.org ", "roles": ["editor"]})
    assert account(app, "clerk").email == "clerk@ccpit.example.org"
    refused = boss.post(page, data={"email": "nobody", "roles": ["editor"]})
    assert "请输入有效的邮箱地址" in refused.get_data(as_text=True)
    assert account(app, "clerk").email == "clerk@ccpit.example.org"
    boss.post(page, data={"email": "", "roles": ["editor"]})
    assert account(app, "clerk").email == ""
    assert details(app, "clerk") == ["修改邮箱", "修改邮箱"]
    assert "clerk@" not in " ".join(details(app, "clerk"))


def test_the_account_page_shows_the_stored_values(app, boss, auth):
    user_id = auth.create("clerk", roles=[Role.RESPONDER], email="clerk@ccpit.example.org")
    page = boss.get(f"{USERS}/{user_id}").get_data(as_text=True)
    assert 'value="clerk@ccpit.example.org"' in page
    assert re.search(r'checked[^>]*value="responder"|value="responder"[^>]*checked', page)
    assert not re.search(r'checked[^>]*value="editor"|value="editor"[^>]*checked', page)
    assert "停用账号" in page and "重置密码" in page


def test_an_unknown_account_is_404(boss):
    assert boss.get(f"{USERS}/999").status_code == 404


# Disable and enable


def test_disabling_ends_an_open_session_at_once(app, boss, auth):
    clerk = signed_in(app, "clerk", roles=[Role.RESPONDER])
    assert clerk.get("/admin/messages").status_code == 200
    user_id = account(app, "clerk").id
    confirm = boss.get(f"{USERS}/{user_id}/disable").get_data(as_text=True)
    assert "确定停用账号 clerk?" in confirm and "确认停用" in confirm
    assert account(app, "clerk").active  # asking is not doing
    done = boss.post(f"{USERS}/{user_id}/disable")
    assert done.headers["Location"] == f"{USERS}/{user_id}"
    assert "已停用" in boss.get(done.headers["Location"]).get_data(as_text=True)
    assert not account(app, "clerk").active
    next_request = clerk.get("/admin/messages")
    assert urllib.parse.urlsplit(next_request.headers["Location"]).path == "/admin/login"
    again = app.test_client().post(
        "/admin/login", data={"username": "clerk", "password": STAFF_PASSWORD}
    )
    assert WRONG_CREDENTIALS in again.get_data(as_text=True)


def test_enabling_lets_the_account_sign_in_again_but_not_revive_old_sessions(app, boss):
    clerk = signed_in(app, "clerk", roles=[Role.RESPONDER])
    user_id = account(app, "clerk").id
    boss.post(f"{USERS}/{user_id}/disable")
    assert "启用账号" in boss.get(f"{USERS}/{user_id}").get_data(as_text=True)
    boss.post(f"{USERS}/{user_id}/enable")
    assert account(app, "clerk").active
    assert clerk.get("/admin/messages").status_code == 302  # the old session stays ended
    assert signed_in(app, "clerk").get("/admin/messages").status_code == 200
    assert details(app, "clerk") == ["停用", "启用"]


def test_an_administrator_cannot_disable_or_reset_their_own_account(app, boss):
    user_id = account(app, "boss").id
    page = boss.get(f"{USERS}/{user_id}").get_data(as_text=True)
    assert "停用账号" not in page and "修改密码" in page
    refused = boss.post(f"{USERS}/{user_id}/disable", follow_redirects=True)
    assert "不能停用您自己正在使用的账号。" in refused.get_data(as_text=True)
    refused = boss.post(f"{USERS}/{user_id}/reset", follow_redirects=True)
    assert "您自己的密码请通过“修改密码”更改。" in refused.get_data(as_text=True)
    assert account(app, "boss").active
    assert boss.get(USERS).status_code == 200  # still signed in


# Reset password


def test_reset_password_shows_a_new_one_time_password_and_ends_sessions(app, boss):
    clerk = signed_in(app, "clerk", roles=[Role.RESPONDER])
    user_id = account(app, "clerk").id
    confirm = boss.get(f"{USERS}/{user_id}/reset").get_data(as_text=True)
    assert "确定重置 clerk 的密码?" in confirm
    assert account(app, "clerk").check_password(STAFF_PASSWORD)  # asking is not doing
    response = boss.post(f"{USERS}/{user_id}/reset")
    assert response.status_code == 200 and "Location" not in response.headers
    page = response.get_data(as_text=True)
    assert "请将此一次性密码告知 clerk，首次登录后须修改。" in page
    password = shown_password(page)
    assert clerk.get("/admin/messages").status_code == 302
    assert not account(app, "clerk").check_password(STAFF_PASSWORD)
    login = app.test_client().post("/admin/login", data={"username": "clerk", "password": password})
    assert login.headers["Location"] == "/admin/password"
    assert details(app, "clerk") == ["重置密码"]


# The last administrator


def test_the_last_administrator_cannot_lose_the_role(app, boss):
    user_id = account(app, "boss").id
    response = boss.post(f"{USERS}/{user_id}", data={"email": "", "roles": ["editor"]})
    assert response.status_code == 200
    assert escape(LAST_ADMIN) in response.get_data(as_text=True)
    assert Role.ADMIN in account(app, "boss").roles
    assert details(app, "boss") == []
    assert boss.get(USERS).status_code == 200


def test_an_administrator_may_give_up_the_role_while_another_remains(app, boss, auth):
    auth.create("chief", roles=[Role.ADMIN])
    user_id = account(app, "boss").id
    response = boss.post(f"{USERS}/{user_id}", data={"email": "", "roles": ["responder"]})
    assert response.headers["Location"] == "/admin/"  # the account page is no longer theirs
    assert account(app, "boss").roles == {Role.RESPONDER}
    assert boss.get(USERS).status_code == 403


def test_the_check_counts_only_enabled_administrators(app, boss, auth):
    auth.create("former", roles=[Role.ADMIN], active=False)
    user_id = account(app, "boss").id
    boss.post(f"{USERS}/{user_id}", data={"email": "", "roles": ["editor"]})
    assert Role.ADMIN in account(app, "boss").roles


def test_two_administrators_cannot_remove_each_other_one_after_the_other(app, auth):
    """The second request was past the guard before the first one changed anything."""
    auth.create("one", roles=[Role.ADMIN])
    auth.create("two", roles=[Role.ADMIN])
    with app.app_context():
        one, two = find_user("one"), find_user("two")
        assert set_active(two, False, actor=one) is None
        assert set_active(one, False, actor=two) == LAST_ADMIN
        assert update_account(one, "", [Role.EDITOR], actor=two) == LAST_ADMIN
    assert account(app, "one").active and account(app, "one").roles == {Role.ADMIN}
    assert details(app, "one") == []


@pytest.mark.parametrize("change", ["disable", "take-role"])
def test_concurrent_removals_leave_one_administrator(app, auth, monkeypatch, change):
    """Each request counts the administrators slowly; the lock still lets only one pass."""
    auth.create("one", roles=[Role.ADMIN])
    auth.create("two", roles=[Role.ADMIN])
    counted = accounts.active_admin_count

    def slow_count() -> int:
        found = counted()
        time.sleep(0.3)  # without the lock, the other request would count meanwhile too
        return found

    monkeypatch.setattr(accounts, "active_admin_count", slow_count)
    start, results = threading.Barrier(2), {}

    def remove(me: str, other: str) -> None:
        with app.app_context():
            actor, target = find_user(me), find_user(other)
            start.wait()
            if change == "disable":
                results[me] = set_active(target, False, actor=actor)
            else:
                results[me] = update_account(target, "", [Role.EDITOR], actor=actor)
            db.session.remove()

    threads = [
        threading.Thread(target=remove, args=pair) for pair in [("one", "two"), ("two", "one")]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results.values(), key=str) == [None, LAST_ADMIN]
    with app.app_context():
        assert accounts.active_admin_count() == 1


# Audit, access, CSRF


def test_every_change_is_in_the_audit_log_without_passwords(app, boss):
    page = create(boss, "clerk", roles=["editor"]).get_data(as_text=True)
    first = shown_password(page)
    user_id = account(app, "clerk").id
    boss.post(f"{USERS}/{user_id}", data={"email": "c@ccpit.example.org", "roles": ["editor"]})
    boss.post(
        f"{USERS}/{user_id}",
        data={"email": "c@ccpit.example.org", "roles": ["editor", "responder"]},
    )
    boss.post(f"{USERS}/{user_id}/disable")
    boss.post(f"{USERS}/{user_id}/enable")
    second = shown_password(boss.post(f"{USERS}/{user_id}/reset").get_data(as_text=True))
    with app.app_context():
        entries = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.target == "clerk").order_by(AuditEvent.id)
        ).all()
        everything = " ".join(
            f"{e.target} {e.detail}" for e in db.session.scalars(sa.select(AuditEvent))
        )
    assert [e.detail for e in entries] == [
        "创建账号(角色：编辑)",
        "修改邮箱",
        "修改角色 编辑→编辑、负责人",
        "停用",
        "启用",
        "重置密码",
    ]
    assert {(e.action, e.actor, e.ip) for e in entries} == {
        (AuditAction.ACCOUNT, "boss", "127.0.0.1")
    }
    assert first not in everything and second not in everything
    log = boss.get("/admin/audit").get_data(as_text=True)
    assert "修改角色 编辑→编辑、负责人" in log


@pytest.mark.parametrize(("method", "url"), STAFF_ROUTES)
def test_only_a_system_administrator_may_use_the_accounts_page(app, auth, method, url):
    auth.create("clerk")  # user 1 exists, so the URLs name a real account
    others = signed_in(app, "helper", roles=[Role.EDITOR, Role.RESPONDER])
    response = others.open(url, method=method, data={"username": "x", "roles": ["admin"]})
    assert response.status_code == 403
    assert "无权访问" in response.get_data(as_text=True)
    assert account(app, "helper").roles == {Role.EDITOR, Role.RESPONDER}
    assert account(app, "clerk").active and find_user_count(app) == 2
    anonymous = app.test_client().open(url, method=method)
    assert urllib.parse.urlsplit(anonymous.headers["Location"]).path == "/admin/login"


def find_user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(User.id)))


def test_the_accounts_page_has_the_expected_routes():
    assert {case.id for case in STAFF_ROUTES} == {
        "GET /admin/users",
        "GET /admin/users/new",
        "POST /admin/users/new",
        "GET /admin/users/<id:user_id>",
        "POST /admin/users/<id:user_id>",
        "GET /admin/users/<id:user_id>/disable",
        "POST /admin/users/<id:user_id>/disable",
        "POST /admin/users/<id:user_id>/enable",
        "GET /admin/users/<id:user_id>/reset",
        "POST /admin/users/<id:user_id>/reset",
        "POST /admin/users/<id:user_id>/sign-out",
    }


def test_forms_need_the_csrf_token(staff_app):
    app = staff_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = page_token(client.get("/admin/login").get_data(as_text=True))
    client.post(
        "/admin/login", data={"username": "boss", "password": STAFF_PASSWORD, "csrf_token": token}
    )
    data = {"username": "clerk", "email": "", "roles": ["editor"]}
    assert client.post(NEW, data=data).status_code == 400
    assert find_user_count(app) == 1
    token = page_token(client.get(NEW).get_data(as_text=True))
    created = client.post(NEW, data={**data, "csrf_token": token})
    assert "一次性密码告知 clerk" in created.get_data(as_text=True)
