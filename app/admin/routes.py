"""Routes of the admin area: sign-in, the inbox, messages, export and the audit log."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user

from app.admin.auth import client_ip, safe_next, sign_in, start_session
from app.admin.export import messages_csv
from app.admin.forms import ConfirmForm, InboxFilterForm, LoginForm, PeriodForm, ReplyForm
from app.admin.inbox import (
    TRANSITIONS,
    available_actions,
    change_status,
    delete_message,
    first_line,
    inbox_counts,
    inbox_query,
    reply_to,
    timeline,
)
from app.admin.report import deadline, duration_text, promise_report
from app.extensions import csrf, db, login_manager
from app.models.audit import AuditAction, AuditEvent, audit
from app.models.base import to_local, utcnow
from app.models.consult import Message
from app.rendering import render_page, wants_fragment

bp = Blueprint("admin", __name__, url_prefix="/admin")

MESSAGES_PER_PAGE = 20
EVENTS_PER_PAGE = 50
OPEN_ENDPOINTS = {"admin.login"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@bp.before_request
def guard():
    """The login wall for every admin URL, then CSRF on every change (in that order).

    Checking the session first lets an htmx POST from an expired session get
    ``HX-Redirect`` to the login page rather than a CSRF error nobody sees.
    """
    if request.endpoint not in OPEN_ENDPOINTS and not current_user.is_authenticated:
        return login_manager.unauthorized()
    if request.method not in SAFE_METHODS and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    return None


@bp.context_processor
def admin_helpers() -> dict:
    now = utcnow()
    return {
        "now": now,
        "deadline_of": deadline,
        "duration_text": duration_text,
        "first_line": first_line,
        "live_counts": lambda: inbox_counts(now),
    }


def actor():
    """The signed-in user itself, not Flask-Login's proxy."""
    return current_user._get_current_object()


def go(endpoint: str, **values) -> Response:
    """Redirect after a change: ``HX-Redirect`` for htmx, 303 See Other otherwise."""
    target = url_for(endpoint, **values)
    if request.headers.get("HX-Request"):
        return Response("", 200, {"HX-Redirect": target})
    return redirect(target, 303)


@bp.get("/")
def index():
    """The admin area starts at the inbox."""
    return redirect(url_for("admin.inbox"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; success opens a fresh session and returns to the page asked for."""
    next_page = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_page or url_for("admin.inbox"))
    form, error = LoginForm(), ""
    if form.validate_on_submit():
        user, error = sign_in(form.username.data, form.password.data)
        if user is not None:
            start_session(user)
            return redirect(next_page or url_for("admin.inbox"), 303)
    return render_template("admin/login.html", form=form, error=error, next_page=next_page)


@bp.post("/logout")
def logout():
    """退出: end the session and go back to the sign-in page."""
    audit(
        AuditAction.LOGOUT,
        actor=current_user.username,
        target=current_user.username,
        ip=client_ip(),
    )
    db.session.commit()
    logout_user()
    session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("admin.login"), 303)


@bp.get("/messages")
def inbox():
    """The inbox: filters in the URL, 20 a page, newest first, with the promise report."""
    filters, period_form = InboxFilterForm(request.args), PeriodForm(request.args)
    page = db.paginate(
        inbox_query(filters.selected()),
        page=request.args.get("page", 1, type=int),
        per_page=MESSAGES_PER_PAGE,
        max_per_page=MESSAGES_PER_PAGE,
    )
    now = utcnow()
    report = None if wants_fragment() else promise_report(period_form.period(now), now)
    return render_page(
        "admin/inbox.html",
        "inbox_list",
        filters=filters,
        filter_args=filters.args(),
        period_args={key: request.args[key] for key in ("start", "end") if request.args.get(key)},
        page=page,
        period_form=period_form,
        report=report,
    )


@bp.get("/messages/counts")
def counts():
    """The live 待处理 / 已超时 counts; read only, and polling does not keep a session alive."""
    g.passive_request = True
    return render_page("admin/_counts.html", counts=inbox_counts(utcnow()))


@bp.get("/messages/export.csv")
def export():
    """The messages of the current filter as CSV (UTF-8 with BOM), written to the audit log."""
    filters = InboxFilterForm(request.args)
    chosen = filters.selected()
    messages = db.session.scalars(inbox_query(chosen)).all()
    audit(
        AuditAction.EXPORT,
        actor=current_user.username,
        ip=client_ip(),
        detail=f"{chosen.describe()};共 {len(messages)} 条",
    )
    db.session.commit()
    filename = f"messages-{to_local(utcnow()):%Y%m%d-%H%M}.csv"
    return Response(
        messages_csv(messages),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def show_message(
    message: Message, form: ReplyForm | None = None, notice: str = "", error: str = ""
) -> Response:
    """The message page, or just its panel for htmx, with the reply form and the timeline."""
    return render_page(
        "admin/message.html",
        "message_panel",
        message=message,
        form=form or ReplyForm(data={"reply": message.reply, "version": message.version}),
        actions=available_actions(message),
        action_form=ConfirmForm(),
        timeline=timeline(message),
        notice=notice,
        error=error,
    )


def after_action(message: Message, done: str, error: str | None) -> Response:
    """Answer a change: the updated panel for htmx, else a redirect to the message page."""
    if wants_fragment():
        response = show_message(message, notice="" if error else done, error=error or "")
        response.headers["HX-Trigger"] = "inbox-changed"
        return response
    flash(error or done, "error" if error else "success")
    return go("admin.message", message_id=message.id)


@bp.get("/messages/<int:message_id>")
def message(message_id: int):
    """One message: every field, the reply form, the actions and the timeline."""
    return show_message(db.get_or_404(Message, message_id))


@bp.post("/messages/<int:message_id>/reply")
def reply(message_id: int):
    """Answer a message: status 已答复, with who answered and when."""
    found = db.get_or_404(Message, message_id)
    form = ReplyForm()
    if not form.validate():
        return show_message(found, form=form)
    error = reply_to(found, form.reply.data.strip(), actor(), client_ip(), form.seen_version())
    if error:
        # Keep what was typed; it now stands against the version on screen.
        found = db.get_or_404(Message, message_id)
        form.version.data = found.version
        return show_message(found, form=form, error=error), 200 if wants_fragment() else 409
    return after_action(found, "答复已保存,访客可凭回执号查看。", None)


@bp.post("/messages/<int:message_id>/status")
def status(message_id: int):
    """Close, reopen, or mark a message as spam or not spam."""
    found = db.get_or_404(Message, message_id)
    action = request.form.get("action", "")
    if action not in TRANSITIONS:
        abort(400)
    error = change_status(found, action, actor(), client_ip())
    if error:
        found = db.get_or_404(Message, message_id)  # as it is now, if it changed meanwhile
    return after_action(found, f"已{TRANSITIONS[action].label}。", error)


@bp.route("/messages/<int:message_id>/delete", methods=["GET", "POST"])
def delete(message_id: int):
    """Delete a message after a confirmation step; the audit log keeps a tombstone."""
    found = db.get_or_404(Message, message_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        receipt = found.receipt
        error = delete_message(found, actor(), client_ip())
        if error:
            return after_action(db.get_or_404(Message, message_id), "", error)
        flash(f"留言 {receipt} 已删除。", "success")
        return go("admin.inbox")
    return render_page("admin/delete.html", "confirm_delete", message=found, form=form)


@bp.get("/audit")
def audit_log():
    """The audit log, newest first: sign-ins, replies, status changes, exports, deletions."""
    query = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    page = db.paginate(
        query,
        page=request.args.get("page", 1, type=int),
        per_page=EVENTS_PER_PAGE,
        max_per_page=EVENTS_PER_PAGE,
    )
    return render_page("admin/audit.html", "audit_list", page=page)
