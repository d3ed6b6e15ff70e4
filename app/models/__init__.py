"""Database models and the plain functions that work on them."""

from app.models.accounts import Role, RoleGrant, User
from app.models.audit import AuditAction, AuditEvent
from app.models.consult import CATEGORIES, Message, MessageStatus
from app.models.content import (
    Article,
    ArticleRevision,
    ArticleStatus,
    Attachment,
    ContentState,
    Section,
)
from app.models.media import Media, MediaKind
from app.models.outbox import Outbox, OutboxKind
from app.models.ratelimit import RateLimitHit
from app.models.wording import WordEntry, WordLevel

__all__ = [
    "AuditAction",
    "AuditEvent",
    "CATEGORIES",
    "ContentState",
    "Article",
    "ArticleRevision",
    "ArticleStatus",
    "Attachment",
    "Media",
    "MediaKind",
    "Message",
    "MessageStatus",
    "Outbox",
    "OutboxKind",
    "RateLimitHit",
    "Role",
    "RoleGrant",
    "Section",
    "User",
    "WordEntry",
    "WordLevel",
]
