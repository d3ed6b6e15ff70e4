"""RSS feeds, the sitemap, robots.txt and the metadata article pages carry for sharing."""

from flask import Flask

from app.feeds.routes import bp
from app.feeds.service import article_json_ld, w3c_time
from app.mail.notices import site_link


def init_app(app: Flask) -> None:
    """Register the blueprint and the absolute-address helpers templates use."""
    app.register_blueprint(bp)
    app.add_template_global(site_link)
    app.add_template_global(article_json_ld)
    app.add_template_filter(w3c_time)
