"""Routes of the article editor: list, create, edit, preview, publish, revisions."""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from flask import abort, flash, render_template, request
from sqlalchemy.orm import defer, joinedload

from app.admin.access import actor, allow, go, staff_blueprint, takes_uploads
from app.articles.forms import ArticleFilterForm, ArticleForm
from app.articles.service import (
    Action,
    ArticleFields,
    ConflictRefused,
    SaveRefused,
    WordingRefused,
    compare,
    restore,
    revisions,
    save_article,
)
from app.extensions import db
from app.media.storage import UploadError, media_url, store_upload
from app.models.accounts import Role, User
from app.models.base import utcnow
from app.models.content import (
    Article,
    ArticleRevision,
    ArticleStatus,
    all_sections,
    sanitize_html,
)
from app.models.media import Media
from app.rendering import render_page
from app.urls import id_arg, ids_of, page_arg
from app.wording.checker import check_article

bp = staff_blueprint("articles", __name__, url_prefix="/admin/articles")

ARTICLES_PER_PAGE = 20
DONE = {
    Action.DRAFT: "草稿已保存。",
    Action.PUBLISH: "文章已发布，访客现在即可看到。",
    Action.OFFLINE: "文章已下线，访客不再能看到。",
}


def listing(args: dict[str, str]) -> sa.Select:
    """The articles the list's filters ask for, newest first."""
    query = sa.select(Article).options(
        defer(Article.body), joinedload(Article.section), joinedload(Article.updated_by)
    )
    if args.get("section"):
        query = query.where(Article.section_id == int(args["section"]))
    if args.get("status") == "scheduled":
        query = query.where(
            Article.status == ArticleStatus.PUBLISHED, Article.published_at > utcnow()
        )
    elif args.get("status"):
        query = query.where(Article.status == ArticleStatus(args["status"]))
    if args.get("author"):
        query = query.where(Article.created_by_id == int(args["author"]))
    if args.get("q"):
        query = query.where(Article.title.icontains(args["q"], autoescape=True))
    return query.order_by(Article.created_at.desc(), Article.id.desc())


@bp.get("/")
@allow(Role.EDITOR)
def index():
    """文章: every article with filters, 20 a page, newest first."""
    authors = db.session.scalars(sa.select(User).order_by(User.username))
    filters = ArticleFilterForm(request.args, sections=all_sections(), authors=authors)
    args = filters.args()
    page = db.paginate(
        listing(args),
        page=page_arg(),
        per_page=ARTICLES_PER_PAGE,
        max_per_page=ARTICLES_PER_PAGE,
    )
    return render_page("articles/list.html", "article_table", filters=filters, args=args, page=page)


def show_form(form: ArticleForm, article: Article | None, status: int = 200, **context):
    """The article form, with the wording panel filled from what the form holds."""
    flags = check_article(form.title.data or "", form.summary.data or "", form.body.data or "")
    pending = context.pop("pending", [])
    page = render_template(
        "articles/form.html", form=form, article=article, flags=flags, pending=pending,
        may_override=actor().has_role(Role.ADMIN), **context,
    )  # fmt: skip
    return page, status


def handle_save(form: ArticleForm, article: Article | None):
    """Validate, store the uploads, save as the pressed button says; PRG on success."""
    try:
        action = Action(request.form.get("action", ""))
    except ValueError:
        abort(400)
    pending = pending_media()
    if not form.validate():
        return show_form(form, article, pending=pending)
    try:
        pending += uploaded_attachments(form)
        add_uploaded_image(form)
    except UploadError as error:
        return show_form(form, article, error.status, error=error.message, pending=pending)
    try:
        saved = save_article(
            article, form.fields_wanted(), action, actor(),
            seen_version=form.seen_version(), override_reason=form.override_reason.data or "",
            attachments=pending, remove_attachments=set(ids_of(request.form.getlist("remove"))),
        )  # fmt: skip
    except ConflictRefused as conflict:
        return show_conflict(form, conflict, pending)
    except WordingRefused as refused:
        return show_form(form, article, 422, error=refused.message, pending=pending, refused=True)
    except SaveRefused as refused:
        return show_form(form, article, 422, error=refused.message, pending=pending)
    scheduled = saved.is_scheduled(utcnow())
    flash("已定时发布，到发布日期时自动显示。" if scheduled else DONE[action], "success")
    return go("articles.edit", article_id=saved.id)


def show_conflict(form: ArticleForm, conflict: ConflictRefused, pending: list[Media]):
    """Refuse a save over a colleague's newer one: show their change, keep what was typed."""
    current = conflict.current
    names = {s.id: s.name for s in all_sections()}
    changes = compare(ArticleFields.of(current), form.fields_wanted(), names)
    form.version.data = current.version  # sending again saves knowingly over it
    return show_form(form, current, 409, error=conflict.message, changes=changes, pending=pending)


def pending_media() -> list[Media]:
    """Attachments uploaded with an earlier try of this form that was refused."""
    ids = ids_of(request.form.getlist("pending"))
    return list(db.session.scalars(sa.select(Media).where(Media.id.in_(ids)))) if ids else []


def uploaded_attachments(form: ArticleForm) -> list[Media]:
    files = [f for f in form.attachments.data or [] if getattr(f, "filename", "")]
    return [store_upload(f.stream, f.filename, actor(), want="document") for f in files]


def add_uploaded_image(form: ArticleForm) -> None:
    """The form's own image field (for browsers without JavaScript): append it to 正文."""
    upload = form.image.data
    if not getattr(upload, "filename", ""):
        return
    media = store_upload(upload.stream, upload.filename, actor(), want="image")
    image = SimpleNamespace(src=media_url(media), alt=form.image_alt.data.strip(), media=media)
    form.body.data = (form.body.data or "") + render_template("articles/_image.html", image=image)
    form.image_alt.data = ""


@bp.route("/new", methods=["GET", "POST"])
@allow(Role.EDITOR)
@takes_uploads
def new():
    """新建文章."""
    form = ArticleForm(sections=all_sections())
    if request.method == "POST":
        return handle_save(form, None)
    return show_form(form, None)


@bp.route("/<id:article_id>", methods=["GET", "POST"])
@allow(Role.EDITOR)
@takes_uploads
def edit(article_id: int):
    """Edit an article: 保存草稿, 发布, 下线; the form carries the version it showed."""
    article = db.get_or_404(Article, article_id)
    if request.method == "POST":
        return handle_save(ArticleForm(sections=all_sections()), article)
    return show_form(ArticleForm.for_article(article, all_sections()), article)


@bp.post("/preview")
@allow(Role.EDITOR)
@takes_uploads
def preview():
    """预览: the form's content exactly as visitors will see it, saved or not; counts no view."""
    form = ArticleForm(sections=all_sections())
    form.validate()
    wanted = form.fields_wanted() if form.title.data else None
    if wanted is None or not form.section.data:
        abort(400)
    article = db.session.get(Article, id_arg("article") or 0)
    wanted.body = sanitize_html(wanted.body)
    wanted.published_at = wanted.published_at or utcnow()
    shown = SimpleNamespace(
        **vars(wanted),
        id=article.id if article else 0,
        section=next(s for s in all_sections() if s.id == wanted.section_id),
        attachments=article.attachments if article else [],
        views=article.views if article else 0,
    )
    return render_template("public/article.html", article=shown, views=shown.views, preview=True)


@bp.get("/<id:article_id>/revisions")
@allow(Role.EDITOR)
def history(article_id: int):
    """修订记录: every save, with a comparison of two and a restore button."""
    article = db.get_or_404(Article, article_id)
    return render_template("articles/revisions.html", article=article, revisions=revisions(article))


@bp.get("/<id:article_id>/revisions/compare")
@allow(Role.EDITOR)
def compare_revisions(article_id: int):
    """What changed between two revisions (older first)."""
    article = db.get_or_404(Article, article_id)
    chosen = [db.get_or_404(ArticleRevision, id_arg(key) or 0) for key in ("a", "b")]
    if any(rev.article_id != article.id for rev in chosen):
        abort(404)
    older, newer = sorted(chosen, key=lambda rev: (rev.saved_at, rev.id))
    names = {s.id: s.name for s in all_sections()}
    changes = compare(ArticleFields.of(older), ArticleFields.of(newer), names)
    return render_template(
        "articles/compare.html", article=article, older=older, newer=newer, changes=changes
    )


@bp.post("/<id:article_id>/revisions/<id:revision_id>/restore")
@allow(Role.EDITOR)
def restore_revision(article_id: int, revision_id: int):
    """Restore a revision's content as a new revision."""
    article = db.get_or_404(Article, article_id)
    revision = db.get_or_404(ArticleRevision, revision_id)
    if revision.article_id != article.id:
        abort(404)
    try:
        restore(article, revision, actor())
    except SaveRefused as refused:
        flash(refused.message, "error")
        return go("articles.history", article_id=article.id)
    flash("已恢复该修订的内容(作为一条新的修订)。", "success")
    return go("articles.edit", article_id=article.id)
