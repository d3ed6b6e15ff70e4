"""Forms of the account page: a new account, and an account's e-mail address and roles."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.models.accounts import Role, find_user, normalize_username, username_problem
from app.staff.accounts import email_problem


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (rendered as a fieldset by the template)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def usable_email(_form, field) -> None:
    field.data = (field.data or "").strip()
    problem = email_problem(field.data)
    if problem:
        raise ValidationError(problem)


class AccountForm(FlaskForm):
    email = StringField(
        "邮箱",
        validators=[usable_email],
        description="选填，用于联系该工作人员。",
        render_kw={"autocomplete": "off", "inputmode": "email", "spellcheck": "false"},
    )
    roles = CheckboxesField(
        "角色",
        choices=[SelectChoice(role.value, role.label) for role in Role],
        validators=[InputRequired("请至少选择一个角色。")],
    )
    submit = SubmitField("保存")

    def chosen_roles(self) -> frozenset[Role]:
        return frozenset(Role(value) for value in self.roles.data or ())


class CreateAccountForm(AccountForm):
    username = StringField(
        "用户名",
        validators=[InputRequired("请输入用户名。")],
        description="2–50 个字母、数字、下划线、点或连字符;登录时不区分大小写。",
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    submit = SubmitField("创建账号")

    def validate_username(self, field) -> None:
        problem = username_problem(field.data)
        if problem:
            raise ValidationError(problem)
        if find_user(field.data):
            raise ValidationError(f"用户名 {normalize_username(field.data)} 已被使用。")
