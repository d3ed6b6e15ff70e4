"""Uploading media (编辑, /admin/media) and serving it to everyone (/media/…)."""

from flask import Blueprint

from app.admin.access import staff_blueprint

bp = staff_blueprint("media", __name__, url_prefix="/admin/media")
files = Blueprint("files", __name__, url_prefix="/media")
