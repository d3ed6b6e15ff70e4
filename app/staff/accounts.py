"""Staff accounts as a 系统管理员 manages them: create, roles, e-mail, disable, reset password.

Each function writes its change and its audit entry in one transaction and commits it.
One-time passwords are returned to the caller to show once; only their hash is stored.

The last active 系统管理员 must stay: a change that would leave none is refused. Two
administrators acting at once must not both pass that check, so the check runs after the
change is written, inside a transaction that holds a lock (see ``_lock_admins``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from app.extensions import db
from app.models.accounts import Role, RoleGrant, User, normalize_username
from app.models.audit import AuditAction, audit

# Letters and digits that cannot be mistaken for one another when read out or copied
# by hand: no 0/O/o, 1/l/I, 5/S/s, 2/Z/z, 8/B, u/v, 9/g/q.
ONE_TIME_ALPHABET = "ACDEFGHJKLMNPQRTUWXYabcdefhijkmnprtwxy34679"
ONE_TIME_LENGTH = 12
EMAIL_MAX_LENGTH = 254

LAST_ADMIN = (
    "系统至少需要一位在用的系统管理员：不能停用最后一位系统管理员，"
    "也不能取消其“系统管理员”角色。请先为其他账号授予该角色。"
)
NOT_YOURSELF = "不能停用您自己正在使用的账号。"
OWN_PASSWORD = "您自己的密码请通过“修改密码”更改。"
NO_ROLE = "无"

# Any fixed number names the lock; this one is "staff" in ASCII.
ADMINS_LOCK_ID = 0x7374616666


def one_time_password() -> str:
    """A random password of ``ONE_TIME_LENGTH`` characters that is easy to read out."""
    return "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(ONE_TIME_LENGTH))


def email_problem(email: str) -> str | None:
    """Why ``email`` is not a usable address, or None (an empty address is allowed)."""
    if not email:
        return None
    if len(email) > EMAIL_MAX_LENGTH:
        return f"邮箱地址不能超过 {EMAIL_MAX_LENGTH} 个字符。"
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return "请输入有效的邮箱地址，例如 name@example.com。"
    return None


def normalize_email(email: str) -> str:
    """The address as stored: trimmed, the domain in lower case; empty stays empty."""
    email = email.strip()
    if not email:
        return ""
    return validate_email(email, check_deliverability=False).normalized


def roles_text(roles: Iterable[Role]) -> str:
    """Role labels in the usual order, joined with 、 (``无`` for none)."""
    chosen = set(roles)
    return "、".join(role.label for role in Role if role in chosen) or NO_ROLE


def all_accounts() -> list[User]:
    """Every staff account, by username."""
    return list(db.session.scalars(sa.select(User).order_by(User.username)))


def active_admin_count() -> int:
    """How many enabled accounts hold the 系统管理员 role."""
    query = (
        sa.select(sa.func.count(User.id))
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(User.active, RoleGrant.role == Role.ADMIN)
    )
    return db.session.scalar(query)


def create_account(
    username: str, email: str, roles: Iterable[Role], actor: User, ip: str = ""
) -> tuple[User, str]:
    """Create an account with a one-time password; return it and the password to show once.

    The caller has checked the username (``username_problem``, ``find_user``) and e-mail.
    """
    roles = frozenset(roles)
    password = one_time_password()
    user = User(username=normalize_username(username), email=normalize_email(email))
    user.set_password(password)
    user.must_change_password = True
    user.roles = roles
    db.session.add(user)
    detail = f"创建账号(角色：{roles_text(roles)})"
    audit(AuditAction.ACCOUNT, actor=actor.username, target=user.username, ip=ip, detail=detail)
    db.session.commit()
    return user, password


def update_account(
    user: User, email: str, roles: Iterable[Role], actor: User, ip: str = ""
) -> str | None:
    """Change the e-mail address and roles of ``user``; return why not, or None when saved."""
    roles, email = frozenset(roles), normalize_email(email)
    _lock_admins(user)
    changes = []
    if email != user.email:
        changes.append("修改邮箱")
        user.email = email
    if roles != user.roles:
        changes.append(f"修改角色 {roles_text(user.roles)}→{roles_text(roles)}")
        takes_admin_away = user.active and Role.ADMIN in user.roles - roles
        user.roles = roles
        if takes_admin_away and not _an_admin_remains():
            return LAST_ADMIN
    _save(changes, user, actor, ip)
    return None


def set_active(user: User, active: bool, actor: User, ip: str = "") -> str | None:
    """Disable (ending its sessions at once) or enable ``user``; return why not, or None."""
    if not active and user.id == actor.id:
        return NOT_YOURSELF
    _lock_admins(user)
    if user.active == active:
        db.session.rollback()
        return None
    user.active = active
    if not active:
        # A new token signs out every session, and keeps them out after a later 启用.
        user.end_sessions()
        if Role.ADMIN in user.roles and not _an_admin_remains():
            return LAST_ADMIN
    _save(["启用" if active else "停用"], user, actor, ip)
    return None


def sign_out_everywhere(user: User, actor: User, ip: str = "") -> None:
    """退出所有登录: end every session of ``user`` (the actor's own ones too, if it is them)."""
    user.end_sessions()
    _save(["退出所有登录"], user, actor, ip)


def reset_password(user: User, actor: User, ip: str = "") -> tuple[str | None, str]:
    """Give ``user`` a new one-time password, ending its sessions.

    Returns ``(password, "")`` to show once, or ``(None, why)`` when it is refused.
    """
    if user.id == actor.id:
        return None, OWN_PASSWORD
    password = one_time_password()
    user.set_password(password)
    user.must_change_password = True
    _save(["重置密码"], user, actor, ip)
    return password, ""


def _save(changes: list[str], user: User, actor: User, ip: str) -> None:
    """Audit each change to ``user`` and commit them together."""
    for detail in changes:
        audit(AuditAction.ACCOUNT, actor=actor.username, target=user.username, ip=ip, detail=detail)
    db.session.commit()


def _lock_admins(user: User) -> None:
    """Let changes that may remove a 系统管理员 be decided one after another, on fresh data.

    PostgreSQL: a transaction-scoped advisory lock, held until the commit or rollback.
    SQLite: its single writer lock, which the change's own write takes (in
    ``_an_admin_remains``) before counting; reads outside a write transaction hold nothing.
    Either way ``user`` is reloaded, so the change applies to what is stored now.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(ADMINS_LOCK_ID)))
    db.session.refresh(user)


def _an_admin_remains() -> bool:
    """Write the pending change, then count; roll it back when no 系统管理员 would be left."""
    db.session.flush()  # the transaction's first write: on SQLite, the writer lock
    if active_admin_count() > 0:
        return True
    db.session.rollback()
    return False
