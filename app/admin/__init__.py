"""The admin area (/admin/): staff sign in, answer messages and keep the 24-hour promise.

Other staff features (articles, media, sections, accounts, the word list) have packages of
their own, built with ``access.staff_blueprint`` so the same guard protects them.
"""

from flask import Flask

from app.admin import auth, cli
from app.admin.routes import bp
from app.extensions import login_manager


def init_app(app: Flask) -> None:
    """Register the blueprint, the login wall, the account commands and the session rules."""
    login_manager.init_app(app)
    login_manager.session_protection = "strong"  # a session moved to another IP or browser ends
    login_manager.user_loader(auth.load_user)
    login_manager.unauthorized_handler(auth.unauthorized)
    app.session_interface = auth.StaffSessionInterface()
    app.register_blueprint(bp)
    cli.init_app(app)
