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

from app.consult import messages
from app.consult.forms import ConsultForm, StatusForm
from app.consult.retention import purge_command
from app.consult.service import (
    find_message,
    lookup_limit_text,
    new_idempotency_key,
    public_status,
    rate_limit_text,
    seconds_since,
    sent_too_fast,
    spam_reason,
    start_token,
    submission_key,
    submit,
    within_lookup_limit,
)
from app.database import BUSY_TEXT, DATABASE_BUSY, RETRY_AFTER_SECONDS
from app.extensions import db
from app.rendering import render_page, wants_fragment

# cli_group=None: the blueprint's commands are top-level, ``flask --app wsgi purge``.
bp = Blueprint("consult", __name__, url_prefix="/consult", cli_group=None)
bp.cli.add_command(purge_command)

FORM = "consult/form.html"
SENT = "consult/sent.html"
STATUS = "consult/status.html"
# The session keeps the last receipt: for the confirmation after a redirect, and to fill in
# the lookup form, so that the receipt never has to travel in a URL.
SENT_KEY = "consult_receipt"
MESSAGE_FIELDS = ("name", "phone", "email", "company", "category", "content")
CONFIRM_AGAIN = (
    "请确认后再次提交：为防止自动程序批量留言，本次提交尚未保存。"
    "请核对下方填写的内容，确认无误后再点击一次“提交”。"
)
LOOKUP_EXPIRED = "页面停留时间较长，安全验证已过期。请再次点击“查询”。"


@bp.context_processor
def promises() -> dict:
    return {
        "reply_promise": messages.promise_text(),
        "retention_days": current_app.config["RETENTION_DAYS"],
    }


@bp.route("", methods=["GET", "POST"])
def form():
    """The question form; a valid POST stores the message and shows its receipt."""
    form = ConsultForm()
    if not form.validate_on_submit():
        if form.is_submitted():
            messages.refused.send(reason="validation")
        invalid = form.is_submitted() and not wants_fragment()
        return show_form(form, status=422 if invalid else 200)
    spam = spam_reason(form.website.data)
    if not spam and sent_too_fast(form.started.data):
        form.started.data = start_token()  # the minimum time counts again from now
        messages.refused.send(reason="too-fast")
        return show_form(form, alert=CONFIRM_AGAIN)
    fields = {name: getattr(form, name).data or "" for name in MESSAGE_FIELDS}
    try:
        message = submit(
            fields,
            ip=request.remote_addr or "",
            user_agent=request.user_agent.string,
            spam=spam,
            key=submission_key(form.idempotency_key.data),
        )
    except DATABASE_BUSY:
        db.session.rollback()
        return busy(form)
    if message is None:
        messages.refused.send(reason="rate-limit")
        alert = f"提交过于频繁({rate_limit_text()})，请稍后再试。您填写的内容仍保留在下方。"
        return show_form(form, alert=alert, status=429)
    session[SENT_KEY] = message.receipt
    if wants_fragment():
        response = render_page(SENT, "panel", receipt=message.receipt, in_dialog=True)
        response.headers["HX-Trigger"] = "consult-sent"
        return response
    return redirect(url_for(".sent"), code=303)


def show_form(form: ConsultForm, alert: str = "", status: int = 200):
    """The form as a page, or as the dialog's content for htmx, with a fill-time stamp
    and the key that makes sending it twice store it once."""
    if seconds_since(form.started.data) is None:
        form.started.data = start_token()
    if submission_key(form.idempotency_key.data) is None:
        form.idempotency_key.data = new_idempotency_key()
    page = render_page(FORM, "panel", form=form, alert=alert, in_dialog=wants_fragment())
    return page, status


def busy(form: ConsultForm):
    """503 when the database cannot store the message now; nothing typed is lost.

    In the dialog only the alert is replaced (the form stays as typed); without
    JavaScript the form comes back filled in. ``Retry-After`` tells when to try again.
    """
    alert = f"{BUSY_TEXT}您填写的内容没有丢失，请稍后再次点击“提交”。"
    if wants_fragment():
        response = make_response(render_template("consult/_alert.html", alert=alert), 503)
        response.headers["HX-Retarget"] = "#consult-alert"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        response = make_response(*show_form(form, alert=alert, status=503))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@bp.get("/sent")
def sent():
    """The confirmation after a form posted without JavaScript (post/redirect/get)."""
    receipt = session.get(SENT_KEY)
    if not receipt:
        return redirect(url_for(".form"))
    response = make_response(render_template(SENT, receipt=receipt, in_dialog=False))
    response.cache_control.no_store = True
    return response


@bp.route("/status", methods=["GET", "POST"])
def status():
    """Receipt lookup, posted so that receipt and phone stay out of URLs and access logs."""
    form = StatusForm()
    if request.method == "GET":
        form.receipt.data = session.get(SENT_KEY, "")
    searched = form.validate_on_submit()
    if searched and not within_lookup_limit(request.remote_addr or ""):
        alert = f"查询过于频繁({lookup_limit_text()})，请稍后再试。"
        return show_status(form, alert=alert, code=429)
    message = find_message(form.receipt.data, form.phone.data) if searched else None
    return show_status(form, searched=searched, message=message)


def show_status(form: StatusForm, searched=False, message=None, alert="", code=200):
    """The lookup page, never stored by a browser or a proxy: it may show a visitor's answer."""
    shown_status = public_status(message) if message else None
    page = render_template(
        STATUS, form=form, searched=searched, message=message, shown_status=shown_status,
        alert=alert,
    )  # fmt: skip
    response = make_response(page, code)
    response.cache_control.no_store = True
    return response


@bp.errorhandler(CSRFError)
def csrf_failed(_error):
    """A missing or expired CSRF token: the form again, as typed, with a fresh token."""
    if request.endpoint == "consult.status":
        return show_status(StatusForm(), alert=LOOKUP_EXPIRED, code=400)
    alert = "页面停留时间较长，安全验证已过期。请核对内容后再次点击“提交”。"
    return show_form(ConsultForm(), alert=alert, status=400)


@bp.errorhandler(413)
def too_large(_error):
    """A body over MAX_CONTENT_LENGTH: say so in the dialog (keeping the form) or on the page."""
    kib = current_app.config["MAX_CONTENT_LENGTH"] // 1024
    alert = f"提交的内容过大(超过 {kib} KB)，请精简咨询内容后重试。"
    if wants_fragment():
        response = make_response(render_template("consult/_alert.html", alert=alert), 413)
        response.headers["HX-Retarget"] = "#consult-alert"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    alert += "可使用浏览器的“后退”返回修改您填写的内容。"
    return show_form(ConsultForm(formdata=None), alert=alert, status=413)
