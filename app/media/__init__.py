"""Uploaded images and attachments: stored in the database, served from /media/."""

from flask import Flask

from app.media.routes import bp, files


def init_app(app: Flask) -> None:
    """Register the upload blueprint (staff) and the file blueprint (everyone)."""
    app.register_blueprint(bp)
    app.register_blueprint(files)
