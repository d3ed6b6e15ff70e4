"""Routes of the section list for 系统管理员."""

from app.admin.access import staff_blueprint

bp = staff_blueprint("sections", __name__, url_prefix="/admin/sections")
