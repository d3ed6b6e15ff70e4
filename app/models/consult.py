"""Consultation messages (立即咨询) and their receipt numbers."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import enum_type, utcnow

if TYPE_CHECKING:
    from app.models.accounts import User

# Receipt numbers avoid letters and digits that read alike (0/O, 1/I/L).
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECEIPT_LENGTH = 10
REPLY_PROMISE = timedelta(hours=24)

CATEGORIES = ["贸易指南", "风险预警", "商事认证", "商事调解", "知识产权", "法律咨询", "其他"]


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    REPLIED = "replied"
    CLOSED = "closed"
    SPAM = "spam"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    MessageStatus.PENDING: "待处理",
    MessageStatus.REPLIED: "已答复",
    MessageStatus.CLOSED: "已关闭",
    MessageStatus.SPAM: "垃圾",
}


def new_receipt() -> str:
    """Return a fresh, unguessable receipt number (回执号), e.g. ``7KQ2M9XH4T``."""
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (sa.Index("ix_messages_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt: Mapped[str] = mapped_column(sa.String(16), unique=True, default=new_receipt)
    name: Mapped[str] = mapped_column(sa.String(50))
    phone: Mapped[str] = mapped_column(sa.String(20))
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    company: Mapped[str] = mapped_column(sa.String(100), default="")
    category: Mapped[str] = mapped_column(sa.String(20))
    content: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[MessageStatus] = mapped_column(
        enum_type(MessageStatus), default=MessageStatus.PENDING
    )
    # Why a message was filed as spam: "honeypot", "too-fast" (bots) or "staff".
    spam_reason: Mapped[str] = mapped_column(sa.String(20), default="")
    reply: Mapped[str] = mapped_column(sa.Text, default="")
    replied_at: Mapped[datetime | None]  # the first answer: what the 24-hour promise measures
    replied_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    replied_by: Mapped[User | None] = relationship()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(500), default="")
    # Raised by every change; staff forms carry the version they showed, so one 负责人 cannot
    # overwrite another's newer answer unknowingly (and two saves at once cannot both win).
    version: Mapped[int] = mapped_column(server_default="1")

    __mapper_args__ = {"version_id_col": version}

    @property
    def reply_due(self) -> datetime:
        """When the 24-hour reply promise runs out (UTC)."""
        return self.created_at + REPLY_PROMISE
