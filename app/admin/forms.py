"""Forms of the admin area: sign-in, reply, notes, reply templates, inbox filters, the report."""

from __future__ import annotations

from datetime import date, datetime

from flask_wtf import FlaskForm
from wtforms import Form, PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import DateField, HiddenField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length, Optional, ValidationError

from app.admin.inbox import NEWEST, OVERDUE, InboxFilter
from app.admin.report import Period, default_period
from app.forms import Required, date_in_range
from app.models.accounts import PASSWORD_MIN_LENGTH, password_problem
from app.models.consult import CATEGORIES, MessageStatus

REPLY_MAX_LENGTH = 5000


class LoginForm(FlaskForm):
    username = StringField(
        "用户名",
        validators=[InputRequired("请输入用户名。"), Length(max=50, message="用户名过长。")],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "密码",
        validators=[InputRequired("请输入密码。"), Length(max=1024, message="密码过长。")],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("登录")


class ReplyForm(FlaskForm):
    reply = TextAreaField(
        "答复内容",
        validators=[
            Required("请填写答复内容。"),
            Length(max=REPLY_MAX_LENGTH, message=f"答复内容不能超过 {REPLY_MAX_LENGTH} 字。"),
        ],
        render_kw={"rows": 6},
    )
    # The message's version when the form was shown (see ``Message.version``).
    version = HiddenField()
    # "1" once the staff member confirmed replacing an answer already sent (更新答复).
    confirm = HiddenField()
    submit = SubmitField("发送答复")

    def seen_version(self) -> int | None:
        """The version the form was shown with; None when missing or not a number."""
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None

    def confirmed(self) -> bool:
        return self.confirm.data == "1"


NOTE_MAX_LENGTH = 2000
TEMPLATE_TITLE_MAX_LENGTH = 50


class NoteForm(FlaskForm):
    note = TextAreaField(
        "内部备注(仅工作人员可见)",
        validators=[
            Required("请填写备注内容。"),
            Length(max=NOTE_MAX_LENGTH, message=f"备注不能超过 {NOTE_MAX_LENGTH} 字。"),
        ],
        render_kw={"rows": 3},
    )
    submit = SubmitField("添加备注")


class ReplyTemplateForm(FlaskForm):
    title = StringField(
        "标题",
        validators=[
            Required("请填写标题。"),
            Length(
                max=TEMPLATE_TITLE_MAX_LENGTH,
                message=f"标题不能超过 {TEMPLATE_TITLE_MAX_LENGTH} 字。",
            ),
        ],
        description="在答复框上方的“常用答复”列表中显示。",
    )
    text = TextAreaField(
        "答复内容",
        validators=[
            Required("请填写答复内容。"),
            Length(max=REPLY_MAX_LENGTH, message=f"答复内容不能超过 {REPLY_MAX_LENGTH} 字。"),
        ],
        render_kw={"rows": 8},
    )
    submit = SubmitField("保存")


def strong_password(_form, field) -> None:
    """A new password must pass the same rule as the command line's."""
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        "当前密码",
        validators=[InputRequired("请输入当前密码。")],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        "新密码",
        validators=[InputRequired("请输入新密码。"), strong_password],
        render_kw={"autocomplete": "new-password"},
        description=f"至少 {PASSWORD_MIN_LENGTH} 个字符。",
    )
    repeat = PasswordField(
        "再次输入新密码",
        validators=[
            InputRequired("请再次输入新密码。"),
            EqualTo("new", "两次输入的新密码不一致。"),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("修改密码")


class ConfirmForm(FlaskForm):
    """Nothing but the CSRF token: for buttons that change something (status, delete, 退出)."""


class InboxFilterForm(Form):
    """The inbox filters, read from the query string so a filtered inbox can be bookmarked."""

    q = StringField("搜索", validators=[Optional(), Length(max=100)])
    status = SelectField(
        "状态",
        choices=[
            SelectChoice("", "全部(不含垃圾)"),
            SelectChoice(OVERDUE, "已超时"),
            *(SelectChoice(s.value, s.label) for s in MessageStatus),
        ],
        default="",
    )
    category = SelectField(
        "类别",
        choices=[SelectChoice("", "全部类别"), *(SelectChoice(c, c) for c in CATEGORIES)],
        default="",
    )
    sort = SelectField(
        "排序",
        choices=[SelectChoice("", "紧急优先"), SelectChoice(NEWEST, "最新")],
        default="",
    )

    def selected(self) -> InboxFilter:
        """The valid part of the filters; a value that is not offered counts as none."""
        self.validate()
        for field in (self.status, self.category, self.sort):
            if field.errors:
                field.data, field.errors = "", []
        status = self.status.data or ""
        return InboxFilter(
            status=MessageStatus(status) if status and status != OVERDUE else None,
            category=self.category.data or "",
            q=(self.q.data or "").strip()[:100],
            overdue=status == OVERDUE,
            sort=self.sort.data or "",
        )

    def args(self) -> dict[str, str]:
        """The filters as query-string arguments, empty ones left out."""
        chosen = self.selected()
        values = {
            "status": OVERDUE if chosen.overdue else (chosen.status.value if chosen.status else ""),
            "category": chosen.category,
            "q": chosen.q,
            "sort": chosen.sort,
        }
        return {key: value for key, value in values.items() if value}


class PeriodForm(Form):
    """The period of the promise report, in Beijing dates; the last 30 days by default."""

    start = DateField("开始日期", validators=[Optional(), date_in_range], format="%Y-%m-%d")
    end = DateField("结束日期", validators=[Optional(), date_in_range], format="%Y-%m-%d")

    def period(self, now: datetime) -> Period:
        """The chosen period, or the default where a date is missing or invalid."""
        fallback = default_period(now)
        if not self.validate():
            for field in (self.start, self.end):
                if field.errors and field.data is None:  # not a date at all
                    field.errors = ["请输入有效日期，格式为 年-月-日。"]
            return fallback
        start: date = self.start.data or fallback.start
        end: date = self.end.data or fallback.end
        if start > end:
            self.end.errors = ["结束日期不能早于开始日期。"]
            return fallback
        self.start.data, self.end.data = start, end
        return Period(start, end)
