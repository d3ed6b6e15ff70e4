"""The outbox: e-mails written in the same transaction as the event, sent later by ``send-mail``.

A row holds one finished mail (recipient, subject, text). Nothing here names the visitor
beyond the address a mail goes to; a message's rows go with it when it is deleted (the
foreign key cascades). The unique key makes a notice about one message, of one kind, to
one address, impossible to queue twice; ``occurrence`` counts the notices that may repeat
(an answer that was updated), and stays 0 for the others.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import enum_type, utcnow

if TYPE_CHECKING:
    from app.models.consult import Message


class OutboxKind(enum.StrEnum):
    NEW_MESSAGE = "new-message"  # to each 负责人: a message arrived
    ANSWER_READY = "answer-ready"  # to the visitor: an answer (or an updated one) is ready
    DUE_SOON = "due-soon"  # to each 负责人: the deadline is near
    OVERDUE = "overdue"  # to each 负责人: the deadline has passed

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    OutboxKind.NEW_MESSAGE: "新留言通知",
    OutboxKind.ANSWER_READY: "答复通知(访客)",
    OutboxKind.DUE_SOON: "即将超时提醒",
    OutboxKind.OVERDUE: "已超时提醒",
}


class Outbox(db.Model):
    __tablename__ = "outbox"
    __table_args__ = (
        sa.UniqueConstraint("message_id", "kind", "recipient", "occurrence"),
        sa.Index("ix_outbox_due", "sent_at", "given_up_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OutboxKind] = mapped_column(enum_type(OutboxKind))
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="CASCADE")
    )  # the unique key below, which starts with it, indexes it
    message: Mapped[Message | None] = relationship()
    occurrence: Mapped[int] = mapped_column(default=0, server_default="0")
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A sender holds a row while it sends it; an expired claim (a crashed sender) lapses.
    claimed_by: Mapped[str | None] = mapped_column(sa.String(80))
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    given_up_at: Mapped[datetime | None]
    # What the SMTP server or the network said last: an error class and a code, no content.
    last_error: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
