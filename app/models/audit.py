"""The audit log: who did what to which message, article, section or account; kept in UTC."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import enum_type, utcnow


class AuditAction(enum.StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login-failed"
    LOGIN_REFUSED = "login-refused"
    LOGOUT = "logout"
    ACCOUNT = "account"
    REPLY = "reply"
    STATUS = "status"
    EXPORT = "export"
    DELETE = "delete"
    ARTICLE = "article"
    PUBLISH = "publish"
    OVERRIDE = "override"
    SECTION = "section"
    WORD_LIST = "word-list"
    MEDIA = "media"
    CLAIM = "claim"
    NOTE = "note"
    ANONYMISE = "anonymise"
    REPLY_TEMPLATE = "reply-template"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    AuditAction.LOGIN: "登录成功",
    AuditAction.LOGIN_FAILED: "登录失败",
    AuditAction.LOGIN_REFUSED: "登录被拒(尝试过多)",
    AuditAction.LOGOUT: "退出",
    AuditAction.ACCOUNT: "账号变更",
    AuditAction.REPLY: "答复",
    AuditAction.STATUS: "状态变更",
    AuditAction.EXPORT: "导出",
    AuditAction.DELETE: "删除",
    AuditAction.ARTICLE: "文章",
    AuditAction.PUBLISH: "发布/下线",
    AuditAction.OVERRIDE: "用语检查豁免",
    AuditAction.SECTION: "栏目",
    AuditAction.WORD_LIST: "用语词表",
    AuditAction.MEDIA: "上传文件",
    AuditAction.CLAIM: "认领",
    AuditAction.NOTE: "内部备注",
    AuditAction.ANONYMISE: "匿名化",
    AuditAction.REPLY_TEMPLATE: "常用答复",
}


class AuditEvent(db.Model):
    """One thing that happened. Messages are named by receipt, which outlives deletion."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_target_at", "target", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str | None] = mapped_column(sa.String(50))  # username; None for visitors/CLI
    action: Mapped[AuditAction] = mapped_column(enum_type(AuditAction))
    target: Mapped[str] = mapped_column(sa.String(64), default="")  # receipt, username, 文章 12…
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    detail: Mapped[str] = mapped_column(sa.Text, default="")


def audit(
    action: AuditAction, *, actor: str | None, target: str = "", ip: str = "", detail: str = ""
) -> AuditEvent:
    """Add an event to the session; the caller commits it with the change it describes."""
    event = AuditEvent(action=action, actor=actor, target=target, ip=ip, detail=detail)
    db.session.add(event)
    return event


def events_for(target: str) -> list[AuditEvent]:
    """Every event about ``target``, oldest first."""
    query = sa.select(AuditEvent).where(AuditEvent.target == target)
    return list(db.session.scalars(query.order_by(AuditEvent.at, AuditEvent.id)))
