"""Command-line tasks: ``flask --app wsgi init-db``, ``seed-demo``."""

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.extensions import bind_migrate, db
from app.models import Article, Section
from app.models.content import ensure_sections


def init_db() -> None:
    """Bring the schema up to date, then create the sections and the word list if missing."""
    from flask_migrate import upgrade  # here, not at the top: web workers never load Alembic

    from app.wording.checker import ensure_word_list  # the wording package needs the admin's

    bind_migrate(current_app)
    upgrade()
    ensure_sections()
    ensure_word_list()


def seed_demo() -> int:
    """Add the demo articles that are not there yet; return how many were added.

    Each goes through the editor's own save (sanitising, wording check, revision, audit),
    then gets the view count its data file gives.
    """
    from app.articles.service import Action, ArticleFields, save_article
    from app.demo import demo_articles

    sections = {s.slug: s for s in db.session.scalars(sa.select(Section))}
    existing = set(db.session.execute(sa.select(Article.section_id, Article.title)).all())
    added = 0
    for item in demo_articles():
        section = sections.get(item.section)
        if section is None or (section.id, item.title) in existing:
            continue
        wanted = ArticleFields(
            title=item.title, section_id=section.id, summary=item.summary, source=item.source,
            author=item.author, published_at=item.published_at, body=item.body,
        )  # fmt: skip
        article = save_article(None, wanted, Action.PUBLISH, None, now=item.published_at)
        db.session.execute(
            sa.update(Article).where(Article.id == article.id).values(views=item.views)
        )
        db.session.commit()
        added += 1
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
        click.echo("已有文章，跳过示例内容。")
        return
    click.echo(f"已添加 {seed_demo()} 篇示例文章。")


def init_app(app: Flask) -> None:
    """Register the commands with the app."""
    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_demo_command)
