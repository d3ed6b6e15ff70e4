"""The form of one word-list entry (词语, 级别, 说明)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from app.forms import Required
from app.models.wording import WordEntry, WordLevel

PHRASE_MAX_LENGTH = WordEntry.phrase.type.length
NOTE_MAX_LENGTH = WordEntry.note.type.length
LEVEL_CHOICES = [
    SelectChoice(WordLevel.FORBIDDEN.value, "禁止：含此词的文章不能发布"),
    SelectChoice(WordLevel.CAUTION.value, "提示：只提醒编辑，不影响发布"),
    SelectChoice(WordLevel.EXCEPTION.value, "例外：常用说法，其中的词不作提示"),
]


def _stripped(value: str | None) -> str:
    return (value or "").strip()


class WordForm(FlaskForm):
    phrase = StringField(
        "词语",
        filters=[_stripped],
        validators=[
            Required("请填写词语。"),
            Length(max=PHRASE_MAX_LENGTH, message=f"词语不能超过 {PHRASE_MAX_LENGTH} 个字。"),
        ],
        description="英文字母不分大小写。例外须写出完整的常用说法，如“最后”“第一季度”。",
    )
    level = SelectField(
        "级别",
        choices=LEVEL_CHOICES,
        default=WordLevel.CAUTION.value,
        validators=[InputRequired("请选择级别。")],
        render_kw={"required": False},  # always has a value: no empty first option to require
    )
    note = StringField(
        "说明",
        filters=[_stripped],
        validators=[Length(max=NOTE_MAX_LENGTH, message=f"说明不能超过 {NOTE_MAX_LENGTH} 个字。")],
        description="选填：为什么列入，或有哪些常见例外，供管理员日后查看。",
    )
    submit = SubmitField("保存")

    def chosen_level(self) -> WordLevel:
        return WordLevel(self.level.data)
