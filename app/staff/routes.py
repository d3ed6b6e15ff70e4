"""Routes of the account page: list, create, roles, disable, reset password."""

from app.admin.access import staff_blueprint

bp = staff_blueprint("staff", __name__, url_prefix="/admin/users")
