"""Forms of the section list: a new section, and a new name for one."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, ValidationError

from app.forms import Required
from app.sections.service import NAME_MAX_LENGTH, SLUG_MAX_LENGTH, name_problem, slug_problem


class RenameForm(FlaskForm):
    name = StringField(
        "名称",
        validators=[Required("请输入栏目名称。")],
        render_kw={"maxlength": NAME_MAX_LENGTH, "autocomplete": "off"},
    )

    def __init__(self, *args, section=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.section = section

    def validate_name(self, field) -> None:
        problem = name_problem(field.data, self.section)
        if problem:
            raise ValidationError(problem)


class SectionForm(RenameForm):
    slug = StringField(
        "网址标识",
        validators=[InputRequired("请输入网址标识。")],
        description="用于栏目网址，如 trade-news 对应 /trade-news/;小写字母、数字和连字符，"
        "创建后不能修改。",
        render_kw={
            "maxlength": SLUG_MAX_LENGTH,
            "autocomplete": "off",
            "autocapitalize": "none",
            "spellcheck": "false",
        },
    )

    def validate_slug(self, field) -> None:
        problem = slug_problem(field.data)
        if problem:
            raise ValidationError(problem)
