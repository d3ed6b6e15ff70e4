"""Who may open which admin URL: one guard for every staff blueprint, one mark per view.

Each admin view says which roles may use it with ``@allow(Role.EDITOR, …)``; the guard
reads that mark before the view runs. A view without a mark is open to nobody (fail
closed), so a new route can't slip through, and the admin navigation asks the same marks
(``may_use``) what to show.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from app.admin.inbox import inbox_counts
from app.admin.report import deadline, duration_text
from app.extensions import csrf, login_manager
from app.models.accounts import Role, User
from app.models.base import utcnow

ANY_STAFF = frozenset(Role)
OPEN_ENDPOINTS = {"admin.login"}
# Reachable while an account still has to replace its one-time password.
PASSWORD_ENDPOINTS = {"admin.change_password", "admin.logout"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
FORBIDDEN = "您的账号没有权限使用此功能。如需开通，请联系系统管理员。"


def allow(*roles: Role) -> Callable:
    """Mark a view as usable by accounts holding any of ``roles``."""

    def mark(view: Callable) -> Callable:
        view.allowed_roles = frozenset(roles)
        return view

    return mark


def takes_uploads(view: Callable) -> Callable:
    """Mark a view whose requests may carry files up to the upload limits (see ``guard``)."""
    view.takes_uploads = True
    return view


def allowed_roles(endpoint: str | None) -> frozenset[Role]:
    """The roles that may use ``endpoint``; empty when it carries no mark."""
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "allowed_roles", frozenset())


def may_use(endpoint: str, user: User | None = None) -> bool:
    """Whether ``user`` (the signed-in account by default) may open ``endpoint``."""
    user = user or current_user
    return bool(user.is_authenticated) and user.has_role(*allowed_roles(endpoint))


def actor() -> User:
    """The signed-in user itself, not Flask-Login's proxy."""
    return current_user._get_current_object()


def go(endpoint: str, **values) -> Response:
    """Redirect after a change: ``HX-Redirect`` for htmx, 303 See Other otherwise."""
    target = url_for(endpoint, **values)
    if request.headers.get("HX-Request"):
        return Response("", 200, {"HX-Redirect": target})
    return redirect(target, 303)


def forbidden() -> Response:
    """403 in Chinese: a page, or for htmx a message put in the page's alert area."""
    if request.headers.get("HX-Request"):
        alert = render_template("admin/_forbidden.html", message=FORBIDDEN)
        headers = {"HX-Retarget": "#admin-alert", "HX-Reswap": "outerHTML"}
        return Response(alert, 403, headers)
    abort(403, FORBIDDEN)


def guard():
    """The login wall, the one-time password, the role check, then CSRF (in that order).

    Checking the session first lets an htmx POST from an expired session get
    ``HX-Redirect`` to the login page rather than a CSRF error nobody sees.
    """
    if request.endpoint not in OPEN_ENDPOINTS:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.must_change_password and request.endpoint not in PASSWORD_ENDPOINTS:
            return go("admin.change_password")
        if not current_user.has_role(*allowed_roles(request.endpoint)):
            return forbidden()
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "takes_uploads", False):
        # Before anything reads the body: the site-wide limit is far smaller than a file's.
        request.max_content_length = current_app.config["UPLOAD_MAX_REQUEST_BYTES"]
    if request.method not in SAFE_METHODS and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    return None


def staff_context() -> dict:
    """What the admin layout needs on every staff page."""
    now = utcnow()
    return {
        "now": now,
        "may_use": may_use,
        "deadline_of": deadline,
        "duration_text": duration_text,
        "live_counts": lambda: inbox_counts(now),
    }


def staff_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A blueprint under /admin/ behind the guard, with the admin layout's context."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    bp.before_request(guard)
    bp.context_processor(staff_context)
    csrf.exempt(bp)  # the guard checks CSRF itself, after the login wall
    return bp
