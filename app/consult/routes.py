"""Routes of the consultation widget: the form (page or dialog), its confirmation, the lookup."""

from flask import (
    Blueprint,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError

from app.consult.forms import ConsultForm, StatusForm
from app.consult.service import (
    find_message,
    public_status,
    rate_limit_text,
    seconds_since,
    spam_reason,
    start_token,
    store_message,
    within_rate_limit,
)
from app.models.consult import REPLY_PROMISE
from app.rendering import render_page, wants_fragment

bp = Blueprint("consult", __name__, url_prefix="/consult")

FORM = "consult/form.html"
SENT = "consult/sent.html"
STATUS = "consult/status.html"
SENT_KEY = "consult_receipt"  # the session keeps the receipt between POST and redirect
MESSAGE_FIELDS = ("name", "phone", "email", "company", "category", "content")


@bp.context_processor
def reply_promise() -> dict:
    return {"reply_hours": int(REPLY_PROMISE.total_seconds() // 3600)}


@bp.route("", methods=["GET", "POST"])
def form():
    """The question form; a valid POST stores the message and shows its receipt."""
    form = ConsultForm()
    if not form.validate_on_submit():
        invalid = form.is_submitted() and not wants_fragment()
        return show_form(form, status=422 if invalid else 200)
    if not within_rate_limit(request.remote_addr or ""):
        alert = f"提交过于频繁({rate_limit_text()}),请稍后再试。您填写的内容仍保留在下方。"
        return show_form(form, alert=alert, status=429)
    message = store_message(
        {name: getattr(form, name).data or "" for name in MESSAGE_FIELDS},
        ip=request.remote_addr or "",
        user_agent=request.user_agent.string,
        spam=spam_reason(form.website.data, form.started.data),
    )
    if wants_fragment():
        response = render_page(SENT, "panel", receipt=message.receipt, in_dialog=True)
        response.headers["HX-Trigger"] = "consult-sent"
        return response
    session[SENT_KEY] = message.receipt
    return redirect(url_for(".sent"), code=303)


def show_form(form: ConsultForm, alert: str = "", status: int = 200):
    """The form as a page, or as the dialog's content for htmx, with a fill-time stamp."""
    if seconds_since(form.started.data) is None:
        form.started.data = start_token()
    page = render_page(FORM, "panel", form=form, alert=alert, in_dialog=wants_fragment())
    return page, status


@bp.get("/sent")
def sent():
    """The confirmation after a form posted without JavaScript (post/redirect/get)."""
    receipt = session.get(SENT_KEY)
    if not receipt:
        return redirect(url_for(".form"))
    response = make_response(render_template(SENT, receipt=receipt, in_dialog=False))
    response.cache_control.no_store = True
    return response


@bp.get("/status")
def status():
    """Receipt lookup: a message's status, and the reply once there is one."""
    form = StatusForm(request.args)
    searched = "phone" in request.args and form.validate()
    message = find_message(form.receipt.data, form.phone.data) if searched else None
    response = make_response(
        render_template(
            STATUS,
            form=form,
            searched=searched,
            message=message,
            shown_status=public_status(message) if message else None,
        )
    )
    response.cache_control.no_store = True
    return response


@bp.errorhandler(CSRFError)
def csrf_failed(_error):
    """A missing or expired CSRF token: the form again, as typed, with a fresh token."""
    alert = "页面停留时间较长,安全验证已过期。请核对内容后再次点击“提交”。"
    return show_form(ConsultForm(), alert=alert, status=400)


@bp.errorhandler(413)
def too_large(_error):
    """A body over MAX_CONTENT_LENGTH: say so in the dialog (keeping the form) or on the page."""
    kib = current_app.config["MAX_CONTENT_LENGTH"] // 1024
    alert = f"提交的内容过大(超过 {kib} KB),请精简咨询内容后重试。"
    if wants_fragment():
        response = make_response(render_template("consult/_alert.html", alert=alert), 413)
        response.headers["HX-Retarget"] = "#consult-alert"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    alert += "可使用浏览器的“后退”返回修改您填写的内容。"
    return show_form(ConsultForm(formdata=None), alert=alert, status=413)
