"""Staff accounts and their roles: argon2id password hashes and timing-safe sign-in."""

from __future__ import annotations

import enum
import re
import secrets
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import enum_type, utcnow

# argon2-cffi's defaults are RFC 9106's low-memory profile: argon2id, 64 MiB, t=3, p=4.
hasher = PasswordHasher()

USERNAME_PATTERN = re.compile(r"^[\w.\-]{2,50}$")
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024


def new_session_token() -> str:
    """A random token naming the user in sessions; a new one signs out every session."""
    return secrets.token_urlsafe(24)


class Role(enum.StrEnum):
    """What a staff account may do; one account may hold several roles."""

    ADMIN = "admin"  # 系统管理员: staff accounts, sections, the word list
    EDITOR = "editor"  # 编辑: articles and media
    RESPONDER = "responder"  # 负责人: consultation messages

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {Role.ADMIN: "系统管理员", Role.EDITOR: "编辑", Role.RESPONDER: "负责人"}


class RoleGrant(db.Model):
    """One role held by one account."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_type(Role), primary_key=True)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(50), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    # What the session cookie holds instead of the id, so a new password ends old sessions.
    session_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=new_session_token
    )
    # A disabled account cannot sign in, and its sessions end at once.
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Set for a one-time password given by a 系统管理员: the next sign-in must choose a new one.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    grants: Mapped[set[RoleGrant]] = relationship(
        collection_class=set, cascade="all, delete-orphan", lazy="selectin"
    )

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(grant.role for grant in self.grants)

    @roles.setter
    def roles(self, wanted) -> None:
        wanted = {Role(role) for role in wanted}
        for grant in list(self.grants):
            if grant.role not in wanted:
                self.grants.remove(grant)
        for role in wanted - self.roles:
            self.grants.add(RoleGrant(role=role))

    def has_role(self, *roles: Role) -> bool:
        """True when the account holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)

    @property
    def role_labels(self) -> str:
        return "、".join(role.label for role in Role if role in self.roles)

    def end_sessions(self) -> None:
        """Make every session cookie of this account useless, on every worker and server.

        Cookies name the account by its current token (``get_id``); a new token leaves
        every cookie issued before naming nobody. 退出, a new password, 停用 and
        退出所有登录 call it.
        """
        self.session_token = new_session_token()

    def set_password(self, password: str) -> None:
        """Store an argon2id hash of ``password`` and end the sessions opened before."""
        self.password_hash = hasher.hash(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        """Tell whether ``password`` matches; upgrade the hash when the parameters changed."""
        if not _verify(self.password_hash, password):
            return False
        if hasher.check_needs_rehash(self.password_hash):
            self.password_hash = hasher.hash(password)
        return True


def normalize_username(username: str) -> str:
    """Usernames are compared without surrounding spaces and without case."""
    return username.strip().lower()


def username_problem(username: str) -> str | None:
    """Why ``username`` cannot name an account, or None when it can."""
    if not USERNAME_PATTERN.match(normalize_username(username)):
        return "用户名须为 2–50 个字母、数字、下划线、点或连字符。"
    return None


def password_problem(password: str) -> str | None:
    """Why ``password`` is too weak to use, or None when it will do."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"密码至少需要 {PASSWORD_MIN_LENGTH} 个字符。"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"密码不能超过 {PASSWORD_MAX_LENGTH} 个字符。"
    return None


def find_user(username: str) -> User | None:
    """The account called ``username`` (any case), or None."""
    return db.session.scalar(sa.select(User).where(User.username == normalize_username(username)))


def user_by_session_token(token: str) -> User | None:
    """The account a session cookie names, or None once its password changed or it was disabled."""
    return db.session.scalar(sa.select(User).where(User.session_token == token, User.active))


def authenticate(username: str, password: str) -> User | None:
    """Return the account when the credentials match, else None.

    An unknown username still costs one hash verification, so the response time does
    not tell which accounts exist.
    """
    user = find_user(username)
    if user is None or not user.active:
        _verify(_dummy_hash(), password)
        return None
    return user if user.check_password(password) else None


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return hasher.hash(secrets.token_hex(16))
