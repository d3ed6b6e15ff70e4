"""Routes of the section list for 系统管理员."""

from __future__ import annotations

from flask import abort, flash, render_template, request

from app.admin.access import actor, allow, go, staff_blueprint
from app.admin.auth import client_ip
from app.admin.forms import ConfirmForm
from app.extensions import db
from app.models.accounts import Role
from app.models.content import Section, all_sections
from app.rendering import render_page, wants_fragment
from app.sections.forms import RenameForm, SectionForm
from app.sections.service import (
    add_section,
    article_counts,
    delete_problem,
    delete_section,
    move_section,
    rename_section,
    set_hidden,
)

bp = staff_blueprint("sections", __name__, url_prefix="/admin/sections")

STEPS = {"up": -1, "down": 1}


def show_list(form: SectionForm | None = None, notice: str = ""):
    """The section list (only its table for htmx) with the form to add one."""
    return render_page(
        "sections/index.html",
        "section_list",
        sections=all_sections(),
        counts=article_counts(),
        form=form or SectionForm(formdata=None),
        notice=notice,
    )


def after_change(done: str):
    """Answer a change from the list: the new table for htmx, else back to the list."""
    if wants_fragment():
        return show_list(notice=done)
    flash(done, "success")
    return go("sections.index")


@bp.get("")
@allow(Role.ADMIN)
def index():
    """栏目: every section in navigation order, with the form to add one."""
    return show_list()


@bp.post("")
@allow(Role.ADMIN)
def add():
    """Add a section at the end of the navigation."""
    form = SectionForm()
    if not form.validate():
        return show_list(form)
    section = add_section(form.name.data, form.slug.data, actor(), client_ip())
    if section is None:
        form.slug.errors = [f"网址标识 {form.slug.data.strip().lower()} 刚被其他栏目使用。"]
        return show_list(form)
    flash(f"已新增栏目“{section.name}”，网址为 /{section.slug}/。", "success")
    return go("sections.index")


@bp.route("/<id:section_id>/edit", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit(section_id: int):
    """Rename a section; its 网址标识 stays as it is."""
    section = db.get_or_404(Section, section_id)
    form = RenameForm(section=section, data={"name": section.name})
    if form.validate_on_submit():
        old = section.name
        rename_section(section, form.name.data, actor(), client_ip())
        flash(f"栏目“{old}”已改名为“{section.name}”。", "success")
        return go("sections.index")
    return render_template("sections/edit.html", section=section, form=form)


@bp.post("/<id:section_id>/move")
@allow(Role.ADMIN)
def move(section_id: int):
    """上移 / 下移 one place in the navigation."""
    section = db.get_or_404(Section, section_id)
    step = STEPS.get(request.form.get("direction", ""))
    if step is None:
        abort(400)
    move_section(section, step, actor(), client_ip())
    return after_change(f"栏目“{section.name}”已{'上移' if step < 0 else '下移'}。")


@bp.post("/<id:section_id>/visibility")
@allow(Role.ADMIN)
def visibility(section_id: int):
    """隐藏 / 显示: a hidden section and its articles leave the public site."""
    section = db.get_or_404(Section, section_id)
    wanted = request.form.get("hidden")
    if wanted not in ("0", "1"):
        abort(400)
    set_hidden(section, wanted == "1", actor(), client_ip())
    shown = "已隐藏，访客看不到该栏目及其文章" if section.hidden else "已显示"
    return after_change(f"栏目“{section.name}”{shown}。")


@bp.route("/<id:section_id>/delete", methods=["GET", "POST"])
@allow(Role.ADMIN)
def delete(section_id: int):
    """Delete a section that holds no articles, after a confirmation step."""
    section, form = db.get_or_404(Section, section_id), ConfirmForm()
    if not form.validate_on_submit():
        problem = delete_problem(section)
        return render_template("sections/delete.html", section=section, problem=problem)
    name = section.name
    problem = delete_section(section, actor(), client_ip())
    flash(problem or f"栏目“{name}”已删除。", "error" if problem else "success")
    return go("sections.index")
