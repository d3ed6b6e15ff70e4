"""Sections (栏目) in the admin: add, rename, reorder, hide."""

from flask import Flask

from app.sections.routes import bp


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)
