"""Consultation messages (立即咨询), their receipt numbers, answers, notes and reply templates.

What can happen to a message lives in ``app.consult.messages``; these are the tables.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy.engine.default import DefaultExecutionContext
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


def _due_default(context: DefaultExecutionContext) -> datetime:
    """A message stored without a deadline gets the one its arrival time promises (24 clock
    hours when no app is there to tell the setting, e.g. a bulk load from a script)."""
    from app.consult.messages import due_at  # the deadline arithmetic needs the models

    created_at = context.get_current_parameters()["created_at"]
    return due_at(created_at) if has_app_context() else created_at + REPLY_PROMISE


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (
        sa.Index("ix_messages_status_created", "status", "created_at"),
        sa.Index("ix_messages_status_due", "status", "reply_due_at"),
        # The inbox filtered by status and 类别: its page in triage order, and its count.
        sa.Index("ix_messages_status_category_due", "status", "category", "reply_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt: Mapped[str] = mapped_column(sa.String(16), unique=True, default=new_receipt)
    # The random key the form carried: the same submission sent again (a retry after a
    # dropped connection, a double click) finds this message instead of storing another.
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(64), index=True, unique=True)
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
    replied_by: Mapped[User | None] = relationship(foreign_keys=[replied_by_id])
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # When the reply promise runs out, fixed on arrival (24 clock or working hours, see
    # ``messages.due_at``): the inbox orders by it and the report compares answers with it.
    reply_due_at: Mapped[datetime] = mapped_column(default=_due_default)
    # Set once the visitor's personal details were removed (see ``messages.anonymise``).
    anonymised_at: Mapped[datetime | None]
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(500), default="")
    # Raised by every change; staff forms carry the version they showed, so one 负责人 cannot
    # overwrite another's newer answer unknowingly (and two saves at once cannot both win).
    version: Mapped[int] = mapped_column(server_default="1")

    __mapper_args__ = {"version_id_col": version}

    answers: Mapped[list[MessageAnswer]] = relationship(
        back_populates="message",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="MessageAnswer.id",
    )
    # The 负责人 who took the message on (认领), shown in the list as 处理人.
    claim: Mapped[MessageClaim | None] = relationship(
        back_populates="message", cascade="all, delete-orphan", passive_deletes=True
    )
    notes: Mapped[list[MessageNote]] = relationship(
        back_populates="message",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="MessageNote.id",
    )

    @property
    def reply_due(self) -> datetime:
        """When the reply promise runs out (UTC)."""
        return self.reply_due_at

    @property
    def claimed_by(self) -> User | None:
        """Who claimed the message (认领), if anyone."""
        return self.claim.user if self.claim else None

    @property
    def reply_updated(self) -> bool:
        """True once the answer the visitor sees replaced an earlier one (shown as 已更新)."""
        return len(self.answers) > 1

    @property
    def reply_updated_at(self) -> datetime | None:
        """When the answer the visitor sees was written; None before the first answer."""
        return self.answers[-1].at if self.answers else self.replied_at


class MessageAnswer(db.Model):
    """One answer sent to the visitor: the first, then each 更新答复. The last one is shown.

    Answers may quote personal data, so they live here, tied to the message (deleted with
    it, removed by ``anonymise``), never in the audit log.
    """

    __tablename__ = "message_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    message: Mapped[Message] = relationship(back_populates="answers")
    text: Mapped[str] = mapped_column(sa.Text)
    author: Mapped[str] = mapped_column(sa.String(50))  # a username, or 系统
    at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageClaim(db.Model):
    """认领: one 负责人 has taken a message on. One claim per message at most; a table of its
    own, so that claiming never races with an answer being saved to the message."""

    __tablename__ = "message_claims"

    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    message: Mapped[Message] = relationship(back_populates="claim")
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user: Mapped[User] = relationship(lazy="joined")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageNote(db.Model):
    """内部备注: a note on a message that only staff see."""

    __tablename__ = "message_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    message: Mapped[Message] = relationship(back_populates="notes")
    text: Mapped[str] = mapped_column(sa.Text)
    author: Mapped[str] = mapped_column(sa.String(50))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ReplyTemplate(db.Model):
    """常用答复: a saved answer (title and text) that 负责人 insert and adapt before sending."""

    __tablename__ = "reply_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(50), unique=True)
    text: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
