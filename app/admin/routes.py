"""Routes of the admin area: sign-in, password, the inbox, messages, the report, 常用答复,
export and the audit log."""

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
    NoteForm,
    PeriodForm,
    ReplyForm,
    ReplyTemplateForm,
)
from app.admin.inbox import first_line, inbox_counts, inbox_page, inbox_query, next_pending
from app.admin.report import promise_report
from app.consult import messages
from app.database import BUSY_TEXT, DATABASE_BUSY, RETRY_AFTER_SECONDS
from app.extensions import db
from app.models.accounts import Role
from app.models.audit import AuditAction, AuditEvent, audit
from app.models.base import to_local, utcnow
from app.models.consult import Message, ReplyTemplate
from app.rendering import render_page, wants_fragment
from app.urls import id_arg, page_arg

bp = staff_blueprint("admin", __name__, url_prefix="/admin")

MESSAGES_PER_PAGE = 20
EVENTS_PER_PAGE = 50
# Where an account lands after signing in: the first of these its roles allow.
START_PAGES = ["admin.inbox", "articles.index", "staff.users"]


@bp.context_processor
def message_helpers() -> dict:
    return {"first_line": first_line, "promise_text": messages.promise_text()}


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
        try:
            user, error = sign_in(form.username.data, form.password.data)
        except DATABASE_BUSY:  # locked or read-only: say so, keep the username typed
            db.session.rollback()
            page = render_template(
                "admin/login.html", form=form, error=BUSY_TEXT, next_page=next_page
            )
            return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
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
    """退出: end the account's sessions on the server and go back to the sign-in page."""
    user = actor()
    user.end_sessions()  # a copy of the cookie taken before is useless from now on
    audit(AuditAction.LOGOUT, actor=user.username, target=user.username, ip=client_ip())
    db.session.commit()
    logout_user()
    session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("admin.login"), 303)


@bp.get("/messages")
@allow(Role.RESPONDER)
def inbox():
    """The inbox: filters in the URL, 20 a page, the most urgent first (or 最新)."""
    filters = InboxFilterForm(request.args)
    page = inbox_page(filters.selected(), utcnow(), page_arg(), MESSAGES_PER_PAGE)
    if not page.items and page.page > 1:
        abort(404)  # past the last page, as db.paginate answers
    filter_args = filters.args()
    back = dict(filter_args, page=page.page) if page.page > 1 else filter_args
    return render_page(
        "admin/inbox.html",
        "inbox_list",
        filters=filters,
        filter_args=filter_args,
        back_args=back,
        page=page,
    )


@bp.get("/report")
@allow(Role.RESPONDER, Role.ADMIN)
def report():
    """报告: how the messages of a period (the last 30 days by default) kept the promise."""
    period_form, now = PeriodForm(request.args), utcnow()
    report = promise_report(period_form.period(now), now)
    return render_template("admin/report.html", period_form=period_form, report=report)


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
    found = db.session.scalars(inbox_query(chosen, utcnow())).all()
    audit(
        AuditAction.EXPORT,
        actor=current_user.username,
        ip=client_ip(),
        detail=f"{chosen.describe()};共 {len(found)} 条",
    )
    db.session.commit()
    filename = f"messages-{to_local(utcnow()):%Y%m%d-%H%M}.csv"
    return Response(
        messages_csv(found),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def back_args() -> dict[str, str | int]:
    """The inbox filters and page a message was opened from, carried in its URLs' query
    string; only valid filters pass, so the way back always leads into the inbox."""
    args: dict[str, str | int] = InboxFilterForm(request.args).args()
    page = page_arg()
    if page > 1:
        args["page"] = page
    return args


def chosen_template() -> ReplyTemplate | None:
    """The 常用答复 picked with ``?template=`` to fill the reply box, if any."""
    template_id = id_arg("template")
    return db.session.get(ReplyTemplate, template_id) if template_id else None


def show_message(
    message: Message,
    form: ReplyForm | None = None,
    notice: str = "",
    error: str = "",
    note_form: NoteForm | None = None,
    confirm_update: bool = False,
) -> Response:
    """The message page, or just its panel for htmx: the reply form, the actions, the
    notes and the timeline, with 下一条待处理."""
    if form is None:
        # A 常用答复 picked to insert, else the draft an htmx action sent along (claiming or
        # noting something must not wipe what is being typed), else the answer sent.
        template, draft = chosen_template(), request.form.get("reply")
        text = template.text if template else message.reply if draft is None else draft
        form = ReplyForm(formdata=None, data={"reply": text, "version": message.version})
    return render_page(
        "admin/message.html",
        "message_panel",
        message=message,
        form=form,
        note_form=note_form or NoteForm(formdata=None),
        actions=messages.available_actions(message),
        action_form=ConfirmForm(),
        timeline=messages.timeline(message),
        templates=messages.reply_templates(),
        next_message=next_pending(utcnow(), actor(), after=message),
        back=back_args(),
        confirm_update=confirm_update,
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
    return go("admin.message", message_id=message.id, **back_args())


@bp.get("/messages/<id:message_id>")
@allow(Role.RESPONDER)
def message(message_id: int):
    """One message: every field, the reply form, the actions, the notes and the timeline."""
    return show_message(db.get_or_404(Message, message_id))


@bp.post("/messages/<id:message_id>/reply")
@allow(Role.RESPONDER)
def reply(message_id: int):
    """Answer a message (status 已答复); replacing an answer already sent asks to confirm."""
    found = db.get_or_404(Message, message_id)
    form = ReplyForm()
    if not form.validate():
        return show_message(found, form=form)
    seen = form.seen_version()
    if found.reply and not form.confirmed() and seen == found.version:
        return show_message(found, form=form, confirm_update=True)
    answer = messages.update_reply if found.reply else messages.reply
    error = answer(found, form.reply.data.strip(), actor(), ip=client_ip(), seen_version=seen)
    if error:
        # Keep what was typed; it now stands against the version on screen.
        found = db.get_or_404(Message, message_id)
        form.version.data, form.confirm.data = found.version, ""
        return show_message(found, form=form, error=error), 200 if wants_fragment() else 409
    return after_action(found, "答复已保存，访客可凭回执号查看。", None)


@bp.post("/messages/<id:message_id>/status")
@allow(Role.RESPONDER)
def status(message_id: int):
    """Close, reopen, or mark a message as spam or not spam."""
    found = db.get_or_404(Message, message_id)
    action = request.form.get("action", "")
    if action not in messages.TRANSITIONS:
        abort(400)
    error = messages.change_status(found, action, actor(), ip=client_ip())
    if error:
        found = db.get_or_404(Message, message_id)  # as it is now, if it changed meanwhile
    return after_action(found, f"已{messages.TRANSITIONS[action].label}。", error)


@bp.post("/messages/<id:message_id>/claim")
@allow(Role.RESPONDER)
def claim(message_id: int):
    """认领: the signed-in 负责人 takes the message on."""
    found = db.get_or_404(Message, message_id)
    error = messages.claim(found, actor(), ip=client_ip())
    if error:
        found = db.get_or_404(Message, message_id)
    return after_action(found, "已认领，列表中将显示您为处理人。", error)


@bp.post("/messages/<id:message_id>/unclaim")
@allow(Role.RESPONDER)
def unclaim(message_id: int):
    """取消认领: the message is nobody's again."""
    found = db.get_or_404(Message, message_id)
    error = messages.unclaim(found, actor(), ip=client_ip())
    if error:
        found = db.get_or_404(Message, message_id)
    return after_action(found, "已取消认领。", error)


@bp.post("/messages/<id:message_id>/notes")
@allow(Role.RESPONDER)
def add_note(message_id: int):
    """内部备注: a note that only staff see, added to the timeline."""
    found = db.get_or_404(Message, message_id)
    form = NoteForm()
    if not form.validate():
        return show_message(found, note_form=form)
    messages.add_note(found, form.note.data.strip(), actor(), ip=client_ip())
    return after_action(found, "备注已添加。", None)


@bp.route("/messages/<id:message_id>/delete", methods=["GET", "POST"])
@allow(Role.RESPONDER)
def delete(message_id: int):
    """Delete a message after a confirmation step; the audit log keeps a tombstone."""
    found = db.get_or_404(Message, message_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        receipt = found.receipt
        error = messages.delete(found, actor(), ip=client_ip())
        if error:
            return after_action(db.get_or_404(Message, message_id), "", error)
        flash(f"留言 {receipt} 已删除。", "success")
        return go("admin.inbox", **back_args())
    return render_page(
        "admin/delete.html", "confirm_delete", message=found, form=form, back=back_args()
    )


@bp.get("/replies")
@allow(Role.RESPONDER)
def reply_templates():
    """常用答复: the saved answers 负责人 insert into the reply box."""
    return render_template("admin/reply_templates.html", templates=messages.reply_templates())


def edit_template(template: ReplyTemplate | None) -> Response | str:
    """The form of a new or an existing 常用答复; a valid POST saves it."""
    form = ReplyTemplateForm(obj=template)
    if form.validate_on_submit():
        title = form.title.data.strip()
        if messages.template_title_taken(title, keep=template):
            form.title.errors.append("已有同名的常用答复，请换一个标题。")
        else:
            messages.save_template(template, title, form.text.data.strip(), actor(), ip=client_ip())
            flash(f"常用答复“{title}”已保存。", "success")
            return go("admin.reply_templates")
    return render_template("admin/reply_template.html", form=form, template=template)


@bp.route("/replies/new", methods=["GET", "POST"])
@allow(Role.RESPONDER)
def new_reply_template():
    """新建常用答复."""
    return edit_template(None)


@bp.route("/replies/<id:template_id>", methods=["GET", "POST"])
@allow(Role.RESPONDER)
def edit_reply_template(template_id: int):
    """修改常用答复."""
    return edit_template(db.get_or_404(ReplyTemplate, template_id))


@bp.route("/replies/<id:template_id>/delete", methods=["GET", "POST"])
@allow(Role.RESPONDER)
def delete_reply_template(template_id: int):
    """删除常用答复, after a confirmation step."""
    template = db.get_or_404(ReplyTemplate, template_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        messages.delete_template(template, actor(), ip=client_ip())
        flash(f"常用答复“{template.title}”已删除。", "success")
        return go("admin.reply_templates")
    return render_template("admin/reply_template_delete.html", template=template, form=form)


@bp.get("/audit")
@allow(Role.ADMIN)
def audit_log():
    """The audit log, newest first: sign-ins, replies, status changes, exports, deletions."""
    query = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    page = db.paginate(
        query,
        page=page_arg(),
        per_page=EVENTS_PER_PAGE,
        max_per_page=EVENTS_PER_PAGE,
    )
    return render_page("admin/audit.html", "audit_list", page=page)
