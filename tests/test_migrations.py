"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.models import Role, User
from app.search.index import outside_models


def pending_changes() -> list:
    with db.engine.connect() as connection:
        opts = {"compare_type": True, "include_name": outside_models}  # as migrations/env.py
        context = MigrationContext.configure(connection, opts=opts)
        return compare_metadata(context, db.metadata)


def test_models_and_migrations_agree(app):
    """The app fixture builds its database with the migrations: autogenerate finds nothing."""
    with app.app_context():
        assert pending_changes() == []


def test_migrations_downgrade_to_nothing_and_back(app):
    with app.app_context():
        downgrade(revision="base")
        assert db.inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade()
        assert pending_changes() == []


def test_accounts_that_existed_before_roles_get_every_role(app):
    """Before roles every account could do everything: the migration keeps it that way."""
    with app.app_context():
        downgrade(revision="dcc2da1e6b9e")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO users (username, password_hash, session_token, created_at)"
                    " VALUES ('old', 'x', 'token', CURRENT_TIMESTAMP)"
                )
            )
        upgrade()
        old = db.session.scalar(sa.select(User).filter_by(username="old"))
        assert old.roles == frozenset(Role) and old.active and not old.must_change_password
