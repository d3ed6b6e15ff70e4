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
    # No binding to the address or browser: Flask-Login's "strong" mode does nothing for
    # permanent sessions and reads a raw X-Forwarded-For. Sessions end on the server instead
    # (User.end_sessions), after the idle limit and after SESSION_ABSOLUTE_HOURS.
    login_manager.session_protection = None
    login_manager.user_loader(auth.load_user)
    login_manager.unauthorized_handler(auth.unauthorized)
    app.session_interface = auth.StaffSessionInterface()
    app.register_blueprint(bp)
    cli.init_app(app)
