"""The account commands: create-admin and set-password."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditAction, AuditEvent, Role, User
from app.models import accounts as accounts_module
from app.models.accounts import find_user

PASSWORD = "a-long-enough-password"


def user(app, username="boss"):
    with app.app_context():
        return find_user(username)


def test_production_hash_is_argon2id_above_the_owasp_minimum():
    hasher = accounts_module.PasswordHasher()
    assert hasher.type.name == "ID"
    assert hasher.memory_cost >= 19 * 1024 and hasher.time_cost >= 2
    assert accounts_module.hasher.hash("x").startswith("$argon2id$")


def test_create_admin_with_a_password_option(app, runner, auth):
    result = runner.invoke(args=["create-admin", "Boss", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "已创建管理员 boss(角色：系统管理员、编辑、负责人)" in result.output
    created = user(app)
    assert created.roles == frozenset(Role)
    assert created.email == ""
    assert created.password_hash.startswith("$argon2id$")
    assert PASSWORD not in created.password_hash
    assert auth.login("boss", PASSWORD).status_code == 303


def test_create_admin_prompts_hidden_and_twice(app, runner):
    result = runner.invoke(args=["create-admin", "boss"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "密码" in result.output and "再次输入密码" in result.output
    assert PASSWORD not in result.output  # the input is not echoed
    assert user(app).check_password(PASSWORD)


def test_create_admin_refuses_a_mismatched_confirmation(app, runner):
    result = runner.invoke(args=["create-admin", "boss"], input=f"{PASSWORD}\nsomething-else\n")
    assert result.exit_code != 0
    assert user(app) is None


def test_create_admin_refuses_duplicates_short_passwords_and_odd_names(app, runner):
    runner.invoke(args=["create-admin", "boss", "--password", PASSWORD])
    again = runner.invoke(args=["create-admin", "BOSS", "--password", PASSWORD])
    assert again.exit_code == 1 and "已存在" in again.output
    short = runner.invoke(args=["create-admin", "clerk", "--password", "short"])
    assert short.exit_code == 1 and "至少需要 10 个字符" in short.output
    odd = runner.invoke(args=["create-admin", "a b<c>", "--password", PASSWORD])
    assert odd.exit_code == 1 and "用户名须为" in odd.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_create_admin_gives_only_the_roles_asked_for(app, runner, auth, client):
    args = ["create-admin", "writer", "--role", "editor", "--role", "responder"]
    result = runner.invoke(args=[*args, "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "角色：编辑、负责人" in result.output
    assert user(app, "writer").roles == {Role.EDITOR, Role.RESPONDER}
    auth.login("writer", PASSWORD)
    assert client.get("/admin/messages").status_code == 200
    assert client.get("/admin/audit").status_code == 403  # 系统管理员 only


def test_create_admin_with_one_role_and_an_email_address(app, runner):
    args = ["create-admin", "clerk", "--role", "responder", "--email", " Clerk@CCPIT.example.org "]
    result = runner.invoke(args=[*args, "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    created = user(app, "clerk")
    assert created.roles == {Role.RESPONDER}
    assert created.email == "Clerk@ccpit.example.org"
    with app.app_context():
        detail = db.session.scalar(sa.select(AuditEvent.detail))
    assert detail == "命令行创建账号(角色：负责人)"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--role", "root", "'root' is not one of 'admin', 'editor', 'responder'"),
        ("--role", "Admin", "'Admin' is not one of"),
        ("--email", "not-an-address", "请输入有效的邮箱地址"),
        ("--email", "someone@localhost", "请输入有效的邮箱地址"),
    ],
)
def test_create_admin_refuses_a_bad_role_or_email(app, runner, option, value, message):
    result = runner.invoke(args=["create-admin", "boss", option, value, "--password", PASSWORD])
    assert result.exit_code == 2
    assert message in result.output
    assert user(app) is None


def test_a_bad_email_is_refused_before_the_password_is_asked_for(app, runner):
    result = runner.invoke(args=["create-admin", "boss", "--email", "x"], input="")
    assert result.exit_code == 2
    assert "密码：" not in result.output
    assert "请输入有效的邮箱地址" in result.output


def test_set_password_replaces_the_old_one(app, runner):
    runner.invoke(args=["create-admin", "boss", "--password", PASSWORD])
    result = runner.invoke(args=["set-password", "boss", "--password", "the-new-password"])
    assert result.exit_code == 0, result.output
    updated = user(app)
    assert updated.check_password("the-new-password")
    assert not updated.check_password(PASSWORD)
    with app.app_context():
        details = db.session.scalars(
            sa.select(AuditEvent.detail).where(AuditEvent.action == AuditAction.ACCOUNT)
        ).all()
    assert details == ["命令行创建账号(角色：系统管理员、编辑、负责人)", "命令行重设密码"]


def test_set_password_for_an_unknown_account_fails(runner):
    result = runner.invoke(args=["set-password", "ghost", "--password", PASSWORD])
    assert result.exit_code == 1 and "不存在" in result.output
