"""Articles in the admin (/admin/articles): write, check, schedule, publish, revise."""

from flask import Flask

from app.articles.routes import bp


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)
