"""Routes of the word list (系统管理员) and of the check run while an editor types."""

from app.admin.access import staff_blueprint

bp = staff_blueprint("wording", __name__, url_prefix="/admin/wording")
