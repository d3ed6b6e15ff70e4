"""Routes of the word list (系统管理员) and of the check run while an editor types."""

from flask import flash, render_template, request

from app.admin.access import actor, allow, go, staff_blueprint, takes_uploads
from app.admin.auth import client_ip
from app.admin.forms import ConfirmForm
from app.extensions import db
from app.models.accounts import Role
from app.models.wording import WordEntry
from app.wording.checker import add_word, change_word, check_article, grouped_entries, remove_word
from app.wording.forms import WordForm

bp = staff_blueprint("wording", __name__, url_prefix="/admin/wording")


@bp.route("", methods=["GET", "POST"])
@allow(Role.ADMIN)
def index():
    """用语词表: every entry grouped by level, and the form that adds one."""
    form = WordForm()
    if form.validate_on_submit():
        phrase, level = form.phrase.data, form.chosen_level()
        error = add_word(phrase, level, form.note.data, actor=actor().username, ip=client_ip())
        if not error:
            flash(f"已添加“{phrase}”({level.label})。", "success")
            return go("wording.index")
        form.phrase.errors.append(error)
    return render_template("wording/index.html", form=form, groups=grouped_entries())


@bp.route("/<id:entry_id>/edit", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit(entry_id: int):
    """Change an entry's phrase, level or note."""
    entry = db.get_or_404(WordEntry, entry_id)
    form = WordForm(data={"phrase": entry.phrase, "level": entry.level.value, "note": entry.note})
    if form.validate_on_submit():
        phrase, level = form.phrase.data, form.chosen_level()
        error = change_word(
            entry, phrase, level, form.note.data, actor=actor().username, ip=client_ip()
        )
        if not error:
            flash(f"已保存“{phrase}”({level.label})。", "success")
            return go("wording.index")
        form.phrase.errors.append(error)
    return render_template("wording/edit.html", form=form, entry=entry)


@bp.route("/<id:entry_id>/delete", methods=["GET", "POST"])
@allow(Role.ADMIN)
def delete(entry_id: int):
    """Delete an entry after a confirmation step; the audit log keeps what it was."""
    entry = db.get_or_404(WordEntry, entry_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        phrase = entry.phrase
        remove_word(entry, actor=actor().username, ip=client_ip())
        flash(f"已删除“{phrase}”。", "success")
        return go("wording.index")
    return render_template("wording/delete.html", entry=entry, form=form)


@bp.post("/check")
@allow(Role.EDITOR, Role.ADMIN)
@takes_uploads  # the whole body comes along, percent-encoded: far over the site-wide 64 KB
def check():
    """The 广告法用语检查 panel for the article being written; reads only."""
    fields = request.form
    flags = check_article(
        fields.get("title", ""), fields.get("summary", ""), fields.get("body", "")
    )
    return render_template("wording/_panel.html", flags=flags)
