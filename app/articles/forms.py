"""Forms of the article editor: the article itself and the list's filters."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    Form,
    HiddenField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import FileField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.articles.service import ArticleFields
from app.forms import Required
from app.models.base import LOCAL_TZ, to_local
from app.models.content import Article, ArticleStatus, Section

TITLE_MAX = 200
SUMMARY_MAX = 500
BODY_MAX = 200_000


class ArticleForm(FlaskForm):
    title = StringField(
        "标题",
        validators=[
            Required("请填写标题。"),
            Length(max=TITLE_MAX, message=f"标题不能超过 {TITLE_MAX} 字。"),
        ],
    )
    section = SelectField(
        "栏目",
        coerce=int,
        validators=[InputRequired("请选择栏目。")],
        render_kw={"required": False},  # always has a value: no empty first option to require
    )
    summary = TextAreaField(
        "摘要",
        validators=[Length(max=SUMMARY_MAX, message=f"摘要不能超过 {SUMMARY_MAX} 字。")],
        description="显示在首页和栏目列表中，一两句话即可。",
        render_kw={"rows": 3},
    )
    source = StringField(
        "数据来源", validators=[Length(max=100, message="数据来源不能超过 100 字。")]
    )
    author = StringField(
        "署名",
        validators=[Length(max=100, message="署名不能超过 100 字。")],
        description="显示在正文末尾，例如“记者 刘晓岚”;可不填。",
    )
    published_at = DateTimeLocalField(
        "发布日期",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[Optional()],
        description="北京时间。留空则在点“发布”时取当前时间;填写将来的时间即为定时发布。",
    )
    body = TextAreaField(
        "正文",
        validators=[Length(max=BODY_MAX, message="正文过长。")],
        render_kw={"rows": 18, "data-rich-text": ""},
    )
    attachments = MultipleFileField("附件", description="PDF、Word、Excel 或 ZIP 文件。")
    image = FileField("上传图片", description="JPEG、PNG 或 WebP 图片，将添加到正文末尾。")
    image_alt = StringField(
        "图片替代文本",
        validators=[Length(max=200)],
        description="用一句话说明图片内容，供读屏软件朗读;上传图片时必填。",
    )
    override_reason = TextAreaField(
        "豁免理由",
        validators=[Length(max=500)],
        description="仅系统管理员可填写：说明为何含禁止用语仍须发布，将记入审计日志。",
        render_kw={"rows": 2},
    )
    # The article's version when the form was shown (see ``Article.version``).
    version = HiddenField()

    def __init__(self, *args, sections: list[Section], **kwargs):
        super().__init__(*args, **kwargs)
        self.section.choices = [
            SelectChoice(s.id, f"{s.name}(已隐藏)" if s.hidden else s.name) for s in sections
        ]

    def validate_image_alt(self, field) -> None:
        if (
            self.image.data
            and getattr(self.image.data, "filename", "")
            and not (field.data or "").strip()
        ):
            raise ValidationError("上传图片时请填写替代文本。")

    @classmethod
    def for_article(cls, article: Article, sections: list[Section]) -> ArticleForm:
        """The form filled from a saved article (published_at shown in Beijing time)."""
        return cls(
            sections=sections,
            data={
                "title": article.title,
                "section": article.section_id,
                "summary": article.summary,
                "source": article.source,
                "author": article.author,
                "published_at": local_naive(article.published_at),
                "body": article.body,
                "version": article.version,
            },
        )

    def fields_wanted(self) -> ArticleFields:
        """What the editor typed, with the 发布日期 turned into UTC."""
        return ArticleFields(
            title=self.title.data.strip(),
            section_id=self.section.data,
            summary=(self.summary.data or "").strip(),
            source=(self.source.data or "").strip(),
            author=(self.author.data or "").strip(),
            published_at=utc_naive(self.published_at.data),
            body=self.body.data or "",
        )

    def seen_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


def local_naive(moment: datetime | None) -> datetime | None:
    """A stored UTC time as the naive Beijing time a datetime-local input shows."""
    return to_local(moment).replace(tzinfo=None) if moment else None


def utc_naive(moment: datetime | None) -> datetime | None:
    """A naive Beijing time from a datetime-local input, as stored (naive UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


class ArticleFilterForm(Form):
    """The list's filters, from the query string so a filtered list can be bookmarked."""

    q = StringField("标题", validators=[Optional(), Length(max=100)])
    section = SelectField("栏目", default="")
    status = SelectField(
        "状态",
        choices=[
            SelectChoice("", "全部状态"),
            *(SelectChoice(s.value, s.label) for s in ArticleStatus),
            SelectChoice("scheduled", "定时发布"),
        ],
        default="",
    )
    author = SelectField("作者", default="")

    def __init__(self, *args, sections, authors, **kwargs):
        super().__init__(*args, **kwargs)
        self.section.choices = [SelectChoice("", "全部栏目")] + [
            SelectChoice(str(s.id), s.name) for s in sections
        ]
        self.author.choices = [SelectChoice("", "全部作者")] + [
            SelectChoice(str(u.id), u.username) for u in authors
        ]

    def args(self) -> dict[str, str]:
        """The valid filters as query arguments, empty or unknown ones left out."""
        self.validate()
        values = {}
        for field in (self.q, self.section, self.status, self.author):
            if field.errors or not field.data:
                field.data, field.errors = "", []
                continue
            values[field.name] = field.data.strip()[:100]
        return values
