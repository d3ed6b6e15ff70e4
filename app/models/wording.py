"""The word list of the Advertising-Law wording check (广告法用语检查), kept as data."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import enum_type, utcnow


class WordLevel(enum.StrEnum):
    FORBIDDEN = "forbidden"  # 禁止: publishing is refused unless a 系统管理员 overrides
    CAUTION = "caution"  # 提示: shown to the editor, never blocks
    EXCEPTION = "exception"  # 例外: an ordinary phrase that contains a listed word (最后)

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self]


LEVEL_LABELS = {
    WordLevel.FORBIDDEN: "禁止",
    WordLevel.CAUTION: "提示",
    WordLevel.EXCEPTION: "例外",
}


class WordEntry(db.Model):
    """One word or phrase of the list, with its level and why it is there."""

    __tablename__ = "wording_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    phrase: Mapped[str] = mapped_column(sa.String(50), unique=True)
    level: Mapped[WordLevel] = mapped_column(enum_type(WordLevel))
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
