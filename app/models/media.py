"""Uploaded images and attachments, stored in the database so every app server serves them."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.extensions import db
from app.models.base import enum_type, utcnow


class MediaKind(enum.StrEnum):
    IMAGE = "image"  # shown in an article body
    DOCUMENT = "document"  # downloaded, listed under an article as 附件


class Media(db.Model):
    """One uploaded file. Its URL names the content's hash, so it may be cached for a year."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[MediaKind] = mapped_column(enum_type(MediaKind))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    filename: Mapped[str] = mapped_column(sa.String(255))  # as uploaded, Chinese included
    size: Mapped[int]
    width: Mapped[int | None]
    height: Mapped[int | None]
    data: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary, nullable=False))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
