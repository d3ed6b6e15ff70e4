"""Staff accounts in the admin (/admin/users), for 系统管理员."""

from flask import Flask

from app.staff.routes import bp


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)
