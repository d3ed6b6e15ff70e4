"""Signing staff in and out: sessions, the login wall, safe return targets."""

from __future__ import annotations

import math
import time
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_login import login_user

from app.admin import throttle
from app.extensions import db
from app.models.accounts import User, authenticate, normalize_username, user_by_session_token
from app.models.audit import AuditAction, audit
from app.models.base import utcnow
from app.security import secure_cookies
from app.sessions import LazyCookieSessionInterface
from app.urls import local_path

WRONG_CREDENTIALS = "用户名或密码错误。"
TOO_MANY_ATTEMPTS = "登录尝试过于频繁"
LOGIN_REQUIRED = "请先登录。"


def client_ip() -> str:
    """The client's address (ProxyFix makes it the real one when TRUST_PROXY is set)."""
    return request.remote_addr or ""


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path inside the admin area of this site, else None."""
    path = local_path(target)
    return path if path and path.startswith(url_for("admin.index")) else None


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


SIGNED_IN_AT = "signed_in_at"


def load_user(session_token: str) -> User | None:
    """Flask-Login's loader: the account whose current session token the cookie holds.

    Refuses a session older than ``SESSION_ABSOLUTE_HOURS`` however busy it was: the idle
    limit alone would let a session renewed by steady use live for ever.
    """
    signed_in_at = session.get(SIGNED_IN_AT)
    lifetime = float(current_app.config["SESSION_ABSOLUTE_HOURS"]) * 3600
    if not isinstance(signed_in_at, int | float) or time.time() - signed_in_at >= lifetime:
        return None
    return user_by_session_token(session_token)


def sign_in(username: str, password: str) -> tuple[User | None, str]:
    """Check credentials under the throttle; return the user, or None and a neutral error."""
    account, ip = normalize_username(username)[:50], client_ip()
    refusal = throttle.begin_attempt(account, ip)
    if refusal is not None:
        if refusal.first_in_window:
            audit(AuditAction.LOGIN_REFUSED, actor=None, target=account, ip=ip)
            db.session.commit()
        return None, f"{TOO_MANY_ATTEMPTS}，请{wait_text(refusal.wait)}后再试。"
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


def wait_text(wait: timedelta) -> str:
    """A wait in words, rounded up: 5 秒, 15 分钟."""
    seconds = math.ceil(wait.total_seconds())
    return f" {seconds} 秒" if seconds < 120 else f" {math.ceil(seconds / 60)} 分钟"


def start_session(user: User) -> None:
    """Log ``user`` in on a brand-new session (new CSRF token too): no fixation."""
    session.clear()
    g.pop("csrf_token", None)
    login_user(user)
    session[SIGNED_IN_AT] = int(time.time())
    session.permanent = True


class StaffSessionInterface(LazyCookieSessionInterface):
    """Cookie sessions named ``__Host-…`` over HTTPS, which background polls do not keep alive,
    decoded only by the requests that use them (``app.sessions``).

    The ``__Host-`` prefix makes browsers refuse the cookie unless it is Secure, for
    path ``/`` and without a Domain, so neither a sibling subdomain nor plain HTTP can
    plant or overwrite it.

    Flask renews a permanent session on every request; a poll every few seconds would
    then keep an abandoned admin tab signed in forever. Views mark polls with
    ``g.passive_request``; those only save a session they changed.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return secure_cookies(app)

    def get_cookie_name(self, app: Flask) -> str:
        name = super().get_cookie_name(app)
        host_only = not app.config["SESSION_COOKIE_DOMAIN"] and self.get_cookie_path(app) == "/"
        return f"__Host-{name}" if host_only and secure_cookies(app) else name

    def should_set_cookie(self, app: Flask, session) -> bool:
        if g.get("passive_request"):
            return session.modified
        return super().should_set_cookie(app, session)
