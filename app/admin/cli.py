"""Account commands: ``flask --app wsgi create-admin NAME`` and ``set-password NAME``.

There is no default account; the first one is made here. Without ``--password`` the
password is asked for twice, hidden. Without ``--role`` the account holds every role.
"""

import click
from flask import Flask
from flask.cli import with_appcontext

from app.cli import init_db
from app.extensions import db
from app.models.accounts import (
    Role,
    User,
    find_user,
    normalize_username,
    password_problem,
    username_problem,
)
from app.models.audit import AuditAction, audit
from app.staff.accounts import email_problem, normalize_email, roles_text

password_option = click.option(
    "--password",
    prompt="密码",
    hide_input=True,
    confirmation_prompt="再次输入密码",
    help="The new password; asked for (hidden, twice) when left out.",
)


def _check_password(password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise click.ClickException(problem)


def _checked_email(_context, _param, email: str) -> str:
    """Refuse a malformed address before the password is asked for."""
    email = email.strip()
    problem = email_problem(email)
    if problem:
        raise click.BadParameter(problem)
    return normalize_email(email)


@click.command("create-admin")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([role.value for role in Role]),
    help="A role to give (repeatable): admin 系统管理员, editor 编辑, responder 负责人. "
    "Every role when left out.",
)
@click.option(
    "--email",
    default="",
    callback=_checked_email,
    help="The account's e-mail address (optional).",
)
@password_option
@with_appcontext
def create_admin_command(username: str, roles: tuple[str, ...], email: str, password: str) -> None:
    """Create a staff account that can sign in to /admin/."""
    init_db()
    problem = username_problem(username)
    if problem:
        raise click.ClickException(problem)
    if find_user(username):
        raise click.ClickException(f"用户 {normalize_username(username)} 已存在。")
    _check_password(password)
    user = User(username=normalize_username(username), email=email)
    user.set_password(password)
    user.roles = roles or Role
    db.session.add(user)
    given = roles_text(user.roles)
    audit(
        AuditAction.ACCOUNT,
        actor=None,
        target=user.username,
        detail=f"命令行创建账号(角色：{given})",
    )
    db.session.commit()
    click.echo(f"已创建管理员 {user.username}(角色：{given})。")


@click.command("set-password")
@click.argument("username")
@password_option
@with_appcontext
def set_password_command(username: str, password: str) -> None:
    """Give a staff account a new password; its open sessions end."""
    user = find_user(username)
    if user is None:
        raise click.ClickException(f"用户 {normalize_username(username)} 不存在。")
    _check_password(password)
    user.set_password(password)
    audit(AuditAction.ACCOUNT, actor=None, target=user.username, detail="命令行重设密码")
    db.session.commit()
    click.echo(f"已更新 {user.username} 的密码。")


def init_app(app: Flask) -> None:
    """Register the account commands."""
    app.cli.add_command(create_admin_command)
    app.cli.add_command(set_password_command)
