"""Site search (站内搜索): the results page, the index that follows every article change,
related articles, and the ``reindex`` command."""

import click
import sqlalchemy as sa
from blinker import Namespace
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from app.extensions import db
from app.search.index import follow_articles, rebuild, related

__all__ = ["init_app", "related", "searched"]

_signals = Namespace()
# Sent after each search was answered, with ``query`` (the text searched) and ``results``
# (how many articles matched), for operators' counts.
searched = _signals.signal("searched")


@click.command("reindex")
@with_appcontext
def reindex_command() -> None:
    """Rebuild the site search index from every article (safe to repeat)."""
    with db.engine.begin() as connection:
        count = rebuild(connection)
    click.echo(f"搜索索引已重建，共索引 {count} 篇文章。")


def init_app(app: Flask) -> None:
    """Register the blueprint, the hook that keeps the index current, and ``reindex``."""
    from app.search.routes import bp

    app.register_blueprint(bp)
    # Every ORM session, not only Flask-SQLAlchemy's: no code path can bypass the index.
    if not sa.event.contains(Session, "after_flush", follow_articles):
        sa.event.listen(Session, "after_flush", follow_articles)
    app.cli.add_command(reindex_command)
    app.add_template_global(related, "related_articles")
