"""Routes of the admin area: sign-in, password, the inbox, messages, export and the audit log."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
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

from app.admin.access import ANY_STAFF, actor, allow, go, may_use, staff_blueprint
from app.admin.auth import client_ip, safe_next, sign_in, start_session
from app.admin.export import messages_csv
from app.admin.forms import (
    ChangePasswordForm,
    ConfirmForm,
    InboxFilterForm,
    LoginForm,
    PeriodForm,
    ReplyForm,
)
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
from app.admin.report import promise_report
from app.extensions import db
from app.models.accounts import Role
from app.models.audit import AuditAction, AuditEvent, audit
from app.models.base import to_local, utcnow
from app.models.consult import Message
from app.rendering import render_page, wants_fragment

bp = staff_blueprint("admin", __name__, url_prefix="/admin")

MESSAGES_PER_PAGE = 20
EVENTS_PER_PAGE = 50
# Where an account lands after signing in: the first of these its roles allow.
START_PAGES = ["admin.inbox", "articles.index", "staff.users"]


@bp.context_processor
def message_helpers() -> dict:
    return {"first_line": first_line}


@bp.get("/")
@allow(*ANY_STAFF)
def index():
    """The admin area starts at the first area the account may use."""
    for endpoint in START_PAGES:
        if endpoint in current_app.view_functions and may_use(endpoint):
            return redirect(url_for(endpoint))
    abort(403)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; success opens a fresh session and returns to the page asked for."""
    next_page = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_page or url_for("admin.index"))
    form, error = LoginForm(), ""
    if form.validate_on_submit():
        user, error = sign_in(form.username.data, form.password.data)
        if user is not None:
            start_session(user)
            if user.must_change_password:
                flash("请先设置您自己的新密码。", "info")
                return redirect(url_for("admin.change_password"), 303)
            return redirect(next_page or url_for("admin.index"), 303)
    return render_template("admin/login.html", form=form, error=error, next_page=next_page)


@bp.route("/password", methods=["GET", "POST"])
@allow(*ANY_STAFF)
def change_password():
    """修改密码: required after signing in with a one-time password; ends other sessions."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = actor()
        if not user.check_password(form.current.data):
            form.current.errors.append("当前密码不正确。")
        else:
            user.set_password(form.new.data)
            user.must_change_password = False
            audit(AuditAction.ACCOUNT, actor=user.username, target=user.username,
                  ip=client_ip(), detail="修改密码")  # fmt: skip
            db.session.commit()
            start_session(user)  # the new session token ends every other session
            flash("密码已修改。", "success")
            return redirect(url_for("admin.index"), 303)
    return render_template("admin/password.html", form=form)


@bp.post("/logout")
@allow(*ANY_STAFF)
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
@allow(Role.RESPONDER)
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
@allow(Role.RESPONDER)
def counts():
    """The live 待处理 / 已超时 counts; read only, and polling does not keep a session alive."""
    g.passive_request = True
    return render_page("admin/_counts.html", counts=inbox_counts(utcnow()))


@bp.get("/messages/export.csv")
@allow(Role.RESPONDER)
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
@allow(Role.RESPONDER)
def message(message_id: int):
    """One message: every field, the reply form, the actions and the timeline."""
    return show_message(db.get_or_404(Message, message_id))


@bp.post("/messages/<int:message_id>/reply")
@allow(Role.RESPONDER)
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
@allow(Role.RESPONDER)
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
@allow(Role.RESPONDER)
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
@allow(Role.ADMIN)
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
