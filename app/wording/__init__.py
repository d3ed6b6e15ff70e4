"""The Advertising-Law wording check (广告法用语检查): the word list and the checker."""

import click
from flask import Flask
from flask.cli import with_appcontext

from app.wording.checker import Flag, describe, published_flags
from app.wording.routes import bp


def flag_line(flag: Flag) -> str:
    """One flag as the report prints it: level, field and the context around the phrase."""
    return f"  [{flag.level.label}] {flag.field}：{flag.before}【{flag.phrase}】{flag.after}"


@click.command("check-wording")
@with_appcontext
def check_wording_command() -> None:
    """Re-check every published article against the current word list and print a report."""
    checked, flagged, found = 0, 0, []
    for article, flags in published_flags():
        checked += 1
        if flags:
            flagged += 1
            found.extend(flags)
            click.echo(f"文章 {article.id}《{article.title}》")
            for flag in flags:
                click.echo(flag_line(flag))
            click.echo("")
    total = f"共检查 {checked} 篇已发布文章"
    click.echo(
        f"{total}，其中 {flagged} 篇{describe(found)}" if found else f"{total}，{describe(found)}"
    )


def init_app(app: Flask) -> None:
    """Register the blueprint, the panel's summary filter and the check-wording command."""
    app.register_blueprint(bp)
    app.add_template_filter(describe, "wording_summary")
    app.cli.add_command(check_wording_command)
