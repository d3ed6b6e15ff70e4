"""Routes of the article editor: list, create, edit, preview, publish, revisions."""

from app.admin.access import staff_blueprint

bp = staff_blueprint("articles", __name__, url_prefix="/admin/articles")
