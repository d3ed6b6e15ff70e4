"""Command-line tasks: ``flask --app wsgi init-db``, ``seed-demo``."""

from datetime import UTC, datetime, time

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import with_appcontext
from flask_migrate import upgrade

from app.extensions import db
from app.models import Article, ArticleStatus, Section
from app.models.base import LOCAL_TZ
from app.models.content import ensure_sections


def init_db() -> None:
    """Bring the schema up to date with the migrations, then create the three sections."""
    upgrade()
    ensure_sections()


def seed_demo() -> int:
    """Add the demo articles that are not there yet; return how many were added."""
    from app.demo_content import DEMO_ARTICLES

    sections = {s.slug: s for s in db.session.scalars(sa.select(Section))}
    existing = set(db.session.execute(sa.select(Article.section_id, Article.title)).all())
    added = 0
    for item in DEMO_ARTICLES:
        section = sections[item["section"]]
        if (section.id, item["title"]) in existing:
            continue
        day = datetime.strptime(item["published"], "%Y-%m-%d").date()
        published = datetime.combine(day, time(9, 30), LOCAL_TZ).astimezone(UTC)
        db.session.add(
            Article(
                section=section,
                title=item["title"],
                summary=item["summary"],
                body=item["body"],
                source=item["source"],
                author=item["author"],
                views=item["views"],
                status=ArticleStatus.PUBLISHED,
                published_at=published.replace(tzinfo=None),
            )
        )
        added += 1
    db.session.commit()
    return added


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Apply pending migrations and create the standard sections (safe to repeat)."""
    init_db()
    click.echo("数据库已就绪。")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only seed when there are no articles at all.")
@with_appcontext
def seed_demo_command(if_empty: bool) -> None:
    """Fill every section with demo articles (safe to repeat)."""
    init_db()
    if if_empty and db.session.scalar(sa.select(sa.func.count(Article.id))):
        click.echo("已有文章,跳过示例内容。")
        return
    click.echo(f"已添加 {seed_demo()} 篇示例文章。")


def init_app(app: Flask) -> None:
    """Register the commands with the app."""
    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_demo_command)
