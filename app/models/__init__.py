"""Database models and the plain functions that work on them."""

from app.models.accounts import User
from app.models.audit import AuditAction, AuditEvent
from app.models.consult import CATEGORIES, Message, MessageStatus
from app.models.content import Article, ArticleStatus, Section
from app.models.ratelimit import RateLimitHit

__all__ = [
    "AuditAction",
    "AuditEvent",
    "CATEGORIES",
    "Article",
    "ArticleStatus",
    "Message",
    "MessageStatus",
    "RateLimitHit",
    "Section",
    "User",
]
