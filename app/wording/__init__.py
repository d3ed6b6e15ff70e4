"""The Advertising-Law wording check (广告法用语检查): the word list and the checker."""

from flask import Flask

from app.wording.routes import bp


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)
