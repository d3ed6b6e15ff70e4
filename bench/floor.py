"""The framework's memory floor: Flask with Flask-SQLAlchemy, one model, one query.

Served like the portal in the benchmark, on the same database, so the memory line can
say how much of a worker is the framework and the database driver before any of the
portal's own code.
"""

import os

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Article(db.Model):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]


app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db.init_app(app)


@app.get("/")
def newest():
    """The newest article's title: one ORM query."""
    return db.session.scalar(sa.select(Article.title).order_by(Article.id.desc()).limit(1)) or ""
