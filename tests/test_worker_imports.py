"""A web worker does not load what only commands and uploads need (Alembic, Pillow)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from app import create_app
from app.extensions import db

ROOT = Path(__file__).resolve().parent.parent

# Loaded by a command (`flask db …`, init-db, backup, restore, status) or an upload, never
# by a public page: each costs every gunicorn worker memory for nothing.
NOT_IN_A_WORKER = ["alembic", "flask_migrate", "mako", "PIL"]

WORKER = """
import json, sys
import wsgi  # what a gunicorn worker imports

client = wsgi.app.test_client()
statuses = [client.get(path).status_code for path in sys.argv[1:]]
print(json.dumps({"statuses": statuses, "loaded": sorted(set(sys.modules))}))
"""


def serve_in_a_fresh_worker(database_url: str, *paths: str) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "FLASK_SECRET_KEY": "worker-test"}
    result = subprocess.run(
        [sys.executable, "-c", WORKER, *paths],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_public_pages_do_not_load_migrations_or_pillow(app, make_article):
    article_id = make_article()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    worker = serve_in_a_fresh_worker(url, "/", "/news/", f"/articles/{article_id}")
    assert worker["statuses"] == [200, 200, 200]
    loaded = {name.split(".")[0] for name in worker["loaded"]}
    assert [name for name in NOT_IN_A_WORKER if name in loaded] == []


def test_flask_db_runs_flask_migrates_own_commands(app):
    """`flask db` loads Flask-Migrate when it runs: its options, its commands, its effects."""
    fresh = create_app({**app.config, "TESTING": True})  # as the `flask` command builds it
    assert "migrate" not in fresh.extensions
    runner = fresh.test_cli_runner()
    helped = runner.invoke(args=["db", "--help"])
    assert helped.exit_code == 0, helped.output
    assert "--directory" in helped.output and "downgrade" in helped.output
    assert runner.invoke(args=["db", "downgrade", "base"]).exit_code == 0
    with fresh.app_context():
        assert db.inspect(db.engine).get_table_names() == ["alembic_version"]
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with fresh.app_context():
        assert "articles" in db.inspect(db.engine).get_table_names()
        db.engine.dispose()
