"""Uploaded images and attachments: stored in the database, served from /media/."""

from flask import Flask

from app.media.routes import bp, files
from app.media.storage import file_size, file_type, media_url


def init_app(app: Flask) -> None:
    """Register the upload blueprint (staff), the file blueprint (everyone) and the filters."""
    app.register_blueprint(bp)
    app.register_blueprint(files)
    app.add_template_filter(media_url)
    app.add_template_filter(file_size)
    app.add_template_filter(file_type)
