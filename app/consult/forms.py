"""Forms of the consultation widget, and the phone numbers they accept."""

from __future__ import annotations

import re
import unicodedata

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional, ValidationError

from app.forms import Required
from app.models.consult import CATEGORIES

NAME_MAX = 50
COMPANY_MAX = 100
EMAIL_MAX = 254
CONTENT_MIN = 10
CONTENT_MAX = 2000

PHONE_ERROR = "联系电话格式不正确，请填写手机号码或带区号的固定电话，如 13812345678 或 010-62345678"

# Digits and plus signs typed with a Chinese input method, and what may separate groups.
_FULLWIDTH = str.maketrans("０１２３４５６７８９＋", "0123456789+")
_SEPARATORS = str.maketrans(dict.fromkeys(" \u3000-－‐‑–—()（）", None))
_EXTENSION = re.compile(r"(.+?)\s*(?:转|分机|ext\.?|x|#)\s*(\d{1,5})", re.IGNORECASE)
_PREFIX = r"(?:\+86|0086|86)"
_MOBILE = re.compile(_PREFIX + r"?(1[3-9]\d{9})")
# Area codes: 010 and 02X, or 0 + three digits from 03XX on; local numbers start with 2–9.
_LANDLINE = re.compile(r"(?:" + _PREFIX + r"0?|0)(10|2\d|[3-9]\d\d)([2-9]\d{6,7})")

# Characters that change how surrounding text is displayed: embeddings, overrides, isolates.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def normalise_phone(raw: str) -> str | None:
    """Return a phone number in its stored form, or None when it is not one.

    Mobiles become 11 digits (``13812345678``); landlines ``0XX-XXXXXXXX``, with
    ``转NNN`` for an extension. Spaces, dashes and brackets between groups are ignored,
    as are a ``+86``/``0086`` prefix and full-width digits.
    """
    text = raw.translate(_FULLWIDTH).strip()
    if len(text) > 40:
        return None
    extension = ""
    if match := _EXTENSION.fullmatch(text):
        text, extension = match.groups()
    digits = text.translate(_SEPARATORS)
    if not extension and (mobile := _MOBILE.fullmatch(digits)):
        return mobile.group(1)
    if landline := _LANDLINE.fullmatch(digits):
        area, local = landline.groups()
        return f"0{area}-{local}" + (f"转{extension}" if extension else "")
    return None


def has_control_characters(text: str, multi_line: bool = False) -> bool:
    """True when ``text`` holds characters that have no place in it.

    Control characters never do (a database may even refuse NUL). A one-line field also
    refuses line and paragraph separators and the bidi controls that could make a name
    display as something else; multi-line text keeps line breaks, tabs and bidi marks,
    which right-to-left writing needs, and is shown isolated.
    """
    for ch in text:
        category = unicodedata.category(ch)
        if multi_line:
            if category in {"Cc", "Cs"} and ch not in "\n\t":
                return True
        elif category in {"Cc", "Cs", "Zl", "Zp"} or ch in BIDI_CONTROLS:
            return True
    return False


def single_line(form, field) -> None:
    """Refuse control characters and text-direction overrides in a one-line field."""
    if field.data and has_control_characters(field.data):
        raise ValidationError(f"{field.label.text}包含无法识别的控制字符，请删除后重试")


def multi_line(form, field) -> None:
    """Refuse control characters other than line breaks and tabs."""
    if field.data and has_control_characters(field.data, multi_line=True):
        raise ValidationError(f"{field.label.text}包含无法识别的控制字符，请删除后重试")


def phone_number(form, field) -> None:
    """Accept a mainland mobile or landline number, and keep its normalised form."""
    normalised = normalise_phone(field.data)
    if normalised is None:
        raise ValidationError(PHONE_ERROR)
    field.data = normalised


def strip(value):
    return value.strip() if isinstance(value, str) else value


def text_block(value):
    """Trim a textarea's text and turn the CRLF line breaks that forms send into LF."""
    return strip(value.replace("\r\n", "\n")) if isinstance(value, str) else value


class ConsultForm(FlaskForm):
    """A visitor's question, with a honeypot and the time the form was handed out."""

    name = StringField(
        "姓名",
        id="consult-name",
        filters=[strip],
        validators=[
            Required("请填写姓名"),
            Length(max=NAME_MAX, message="姓名不能超过%(max)d个字(现为%(length)d个字)"),
            single_line,
        ],
        render_kw={"autocomplete": "name"},
    )
    phone = TelField(
        "联系电话",
        id="consult-phone",
        filters=[strip],
        validators=[Required("请填写联系电话"), single_line, phone_number],
        render_kw={"autocomplete": "tel"},
    )
    email = EmailField(
        "电子邮箱",
        id="consult-email",
        filters=[strip],
        validators=[
            Optional(),
            single_line,
            Length(max=EMAIL_MAX, message="电子邮箱不能超过%(max)d个字符"),
            Email("电子邮箱格式不正确，请填写如 name@example.com 的地址"),
        ],
        render_kw={"autocomplete": "email"},
    )
    company = StringField(
        "单位名称",
        id="consult-company",
        filters=[strip],
        validators=[
            Length(max=COMPANY_MAX, message="单位名称不能超过%(max)d个字(现为%(length)d个字)"),
            single_line,
        ],
        render_kw={"autocomplete": "organization"},
    )
    category = SelectField(
        "咨询类别",
        id="consult-category",
        choices=[SelectChoice("", "请选择"), *(SelectChoice(c, c) for c in CATEGORIES)],
        validate_choice=False,
        validators=[DataRequired("请选择咨询类别"), AnyOf(CATEGORIES, "请从列表中选择咨询类别")],
    )
    content = TextAreaField(
        "咨询内容",
        id="consult-content",
        filters=[text_block],
        validators=[
            Required("请填写咨询内容"),
            Length(
                min=CONTENT_MIN,
                message="咨询内容至少需要%(min)d个字(现为%(length)d个字)",
            ),
            Length(
                max=CONTENT_MAX,
                message="咨询内容不能超过%(max)d个字(现为%(length)d个字)，请精简后再提交",
            ),
            multi_line,
        ],
    )
    # Hidden from people and screen readers: only bots fill it in.
    website = StringField("网址(请勿填写)", id="consult-website", filters=[strip])
    # When the form was handed out, signed so that it cannot be backdated.
    started = HiddenField(id="consult-started")
    # Names this submission: sent twice, it is stored once (see ``service.submit``).
    idempotency_key = HiddenField(id="consult-key")


class StatusForm(FlaskForm):
    """The receipt lookup: a receipt number and the phone number left with it.

    Posted, with a CSRF token, so that neither ever appears in a URL.
    """

    receipt = StringField(
        "回执号",
        filters=[strip],
        validators=[Required("请填写回执号"), single_line],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    phone = TelField(
        "联系电话",
        filters=[strip],
        validators=[Required("请填写联系电话"), single_line, phone_number],
        render_kw={"autocomplete": "tel"},
    )
