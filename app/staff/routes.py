"""Routes of the account page: list, create, roles, disable, reset password."""

from __future__ import annotations

from flask import flash, render_template, session

from app.admin.access import actor, allow, go, staff_blueprint
from app.admin.auth import client_ip
from app.admin.forms import ConfirmForm
from app.extensions import db
from app.models.accounts import Role, User
from app.staff.accounts import (
    all_accounts,
    create_account,
    reset_password,
    set_active,
    sign_out_everywhere,
    update_account,
)
from app.staff.forms import AccountForm, CreateAccountForm

bp = staff_blueprint("staff", __name__, url_prefix="/admin/users")


@bp.get("")
@allow(Role.ADMIN)
def users():
    """账号: every staff account with its roles, state and last sign-in."""
    return render_template("staff/users.html", users=all_accounts())


@bp.route("/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def create():
    """新建账号; the one-time password is shown in this response only, never stored in clear."""
    form = CreateAccountForm()
    if not form.validate_on_submit():
        return render_template("staff/create.html", form=form)
    user, password = create_account(
        form.username.data, form.email.data, form.chosen_roles(), actor(), client_ip()
    )
    return render_template("staff/password.html", user=user, password=password, created=True)


def show_account(user: User, form: AccountForm | None = None) -> str:
    """The account page with its form (filled from the account unless ``form`` is given)."""
    if form is None:
        form = AccountForm(data={"email": user.email, "roles": [r.value for r in user.roles]})
    return render_template("staff/edit.html", user=user, form=form)


@bp.route("/<id:user_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit(user_id: int):
    """One account: e-mail address and roles, with links to 停用/启用 and 重置密码."""
    user = db.get_or_404(User, user_id)
    form = AccountForm()
    if not form.validate_on_submit():
        return show_account(user, form if form.is_submitted() else None)
    error = update_account(user, form.email.data, form.chosen_roles(), actor(), client_ip())
    if error:
        form.roles.errors.append(error)
        return show_account(user, form)
    flash(f"账号 {user.username} 已保存。", "success")
    return go("staff.edit", user_id=user.id) if actor().has_role(Role.ADMIN) else go("admin.index")


@bp.route("/<id:user_id>/disable", methods=["GET", "POST"])
@allow(Role.ADMIN)
def disable(user_id: int):
    """停用 after a confirmation step: the account can no longer sign in, its sessions end."""
    user, form = db.get_or_404(User, user_id), ConfirmForm()
    if not form.validate_on_submit():
        return render_template("staff/confirm.html", user=user, form=form, action="disable")
    error = set_active(user, False, actor(), client_ip())
    flash(
        error or f"账号 {user.username} 已停用，其登录状态已全部失效。",
        "error" if error else "success",
    )
    return go("staff.edit", user_id=user_id)


@bp.post("/<id:user_id>/enable")
@allow(Role.ADMIN)
def enable(user_id: int):
    """启用 a disabled account: it may sign in again with its password."""
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        set_active(user, True, actor(), client_ip())
        flash(f"账号 {user.username} 已启用。", "success")
    return go("staff.edit", user_id=user_id)


@bp.post("/<id:user_id>/sign-out")
@allow(Role.ADMIN)
def sign_out(user_id: int):
    """退出所有登录: every session of the account ends at once, on every server."""
    user, me = db.get_or_404(User, user_id), actor()
    if ConfirmForm().validate_on_submit():
        sign_out_everywhere(user, me, client_ip())
        if user.id == me.id:
            session.clear()
            flash("您的账号已退出所有登录，请重新登录。", "info")
            return go("admin.login")
        flash(f"账号 {user.username} 已退出所有登录。", "success")
    return go("staff.edit", user_id=user_id)


@bp.route("/<id:user_id>/reset", methods=["GET", "POST"])
@allow(Role.ADMIN)
def reset(user_id: int):
    """重置密码 after a confirmation step; the new one-time password is shown once."""
    user, form = db.get_or_404(User, user_id), ConfirmForm()
    if not form.validate_on_submit():
        return render_template("staff/confirm.html", user=user, form=form, action="reset")
    password, error = reset_password(user, actor(), client_ip())
    if error:
        flash(error, "error")
        return go("staff.edit", user_id=user_id)
    return render_template("staff/password.html", user=user, password=password, created=False)
