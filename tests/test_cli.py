"""The init-db and seed-demo commands."""

import sqlalchemy as sa

from app.extensions import db
from app.models import Article, Section


def count(app, query):
    with app.app_context():
        return db.session.scalar(query)


def test_init_db_creates_the_three_sections_once(app, runner):
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        names = list(db.session.scalars(sa.select(Section.name).order_by(Section.position)))
    assert names == ["今日要闻", "贸易指南", "风险预警"]


def test_seed_demo_fills_every_section_and_is_idempotent(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        per_section = dict(
            db.session.execute(
                sa.select(Section.slug, sa.func.count(Article.id))
                .join(Article)
                .group_by(Section.slug)
            ).all()
        )
    assert set(per_section) == {"news", "guides", "alerts"}
    assert min(per_section.values()) >= 8
    total = sum(per_section.values())
    runner.invoke(args=["seed-demo"])
    assert count(app, sa.select(sa.func.count(Article.id))) == total


def test_seed_demo_if_empty_leaves_existing_content_alone(app, runner, make_article):
    make_article(title="已有的文章")
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0 and "跳过" in result.output
    assert count(app, sa.select(sa.func.count(Article.id))) == 1


def test_demo_articles_have_varied_dates_and_sources(app, runner):
    runner.invoke(args=["seed-demo"])
    assert count(app, sa.select(sa.func.count(sa.distinct(Article.source)))) >= 5
    assert count(app, sa.select(sa.func.count(sa.distinct(Article.published_at)))) >= 20
