"""The admin area (/admin/): staff sign in, answer messages and keep the 24-hour promise."""

from flask import Flask

from app.admin import auth, cli
from app.admin.routes import bp
from app.extensions import csrf, login_manager


def init_app(app: Flask) -> None:
    """Register the blueprint, the login wall, the account commands and the session rules."""
    login_manager.init_app(app)
    login_manager.session_protection = "strong"  # a session moved to another IP or browser ends
    login_manager.user_loader(auth.load_user)
    login_manager.unauthorized_handler(auth.unauthorized)
    csrf.exempt(bp)  # the blueprint checks CSRF itself, after the login wall (see routes.guard)
    app.session_interface = auth.StaffSessionInterface()
    app.register_blueprint(bp)
    cli.init_app(app)
