"""Signing staff in and out: sessions, the login wall, safe return targets."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, flash, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import login_user

from app.admin import throttle
from app.extensions import db
from app.models.accounts import User, authenticate, normalize_username, user_by_session_token
from app.models.audit import AuditAction, audit
from app.models.base import utcnow

WRONG_CREDENTIALS = "用户名或密码错误。"
TOO_MANY_ATTEMPTS = "登录尝试过于频繁,请 15 分钟后再试。"
LOGIN_REQUIRED = "请先登录。"


def client_ip() -> str:
    """The client's address (ProxyFix makes it the real one when TRUST_PROXY is set)."""
    return request.remote_addr or ""


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path inside the admin area of this site, else None.

    Refuses other sites in every spelling browsers accept: ``//evil``, ``/\\evil``,
    ``https://evil``, ``javascript:…``, and paths hiding tabs or newlines that browsers
    strip (``/\\t/evil`` becomes ``//evil``).
    """
    if not target or len(target) > 2000 or "\\" in target:
        return None
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    admin_root = url_for("admin.index")
    return target if target.startswith(admin_root) else None


def page_asked_for() -> str | None:
    """Where to return after login: the page, not the fragment or form post that needed it."""
    if request.headers.get("HX-Request"):
        asked = request.headers.get("HX-Current-URL", "")
    elif request.method == "GET":
        asked = request.full_path.removesuffix("?")
    else:
        asked = request.referrer or ""
    parts = urlsplit(asked)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path)


def unauthorized():
    """Send a visitor without a session to the login page; htmx gets ``HX-Redirect``."""
    login_url = url_for("admin.login", next=page_asked_for())
    if request.headers.get("HX-Request"):
        return "", 401, {"HX-Redirect": login_url}
    flash(LOGIN_REQUIRED, "info")
    return redirect(login_url)


def load_user(session_token: str) -> User | None:
    """Flask-Login's loader: the account whose current session token the cookie holds."""
    return user_by_session_token(session_token)


def sign_in(username: str, password: str) -> tuple[User | None, str]:
    """Check credentials under the throttle; return the user, or None and a neutral error."""
    account, ip = normalize_username(username)[:50], client_ip()
    if not throttle.begin_attempt(account, ip):
        audit(AuditAction.LOGIN_REFUSED, actor=None, target=account, ip=ip)
        db.session.commit()
        return None, TOO_MANY_ATTEMPTS
    user = authenticate(username, password)
    if user is None:
        audit(AuditAction.LOGIN_FAILED, actor=None, target=account, ip=ip)
        db.session.commit()
        return None, WRONG_CREDENTIALS
    throttle.forgive(account, ip)
    user.last_login_at = utcnow()
    audit(AuditAction.LOGIN, actor=user.username, target=user.username, ip=ip)
    db.session.commit()
    return user, ""


def start_session(user: User) -> None:
    """Log ``user`` in on a brand-new session (new CSRF token too): no fixation."""
    session.clear()
    g.pop("csrf_token", None)
    login_user(user)
    session.permanent = True


class StaffSessionInterface(SecureCookieSessionInterface):
    """Cookie sessions that background polls do not keep alive.

    Flask renews a permanent session on every request; a poll every few seconds would
    then keep an abandoned admin tab signed in forever. Views mark polls with
    ``g.passive_request``; those only save a session they changed.
    """

    def should_set_cookie(self, app: Flask, session) -> bool:
        if g.get("passive_request"):
            return session.modified
        return super().should_set_cookie(app, session)
