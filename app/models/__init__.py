"""Database models and the plain functions that work on them."""

from app.models.content import Article, ArticleStatus, Section

__all__ = ["Article", "ArticleStatus", "Section"]
