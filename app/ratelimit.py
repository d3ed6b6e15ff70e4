"""Rate limits kept in the database, so that every gunicorn worker sees the same counts.

A per-process memory store lets each worker count alone; no SQL store exists for
Flask-Limiter, so attempts are rows here. The order (commit the attempt, then count)
keeps the limit exact under concurrency: the N-th committed attempt always sees at
least N rows, so no more than ``amount`` attempts can pass.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from limits import parse
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow


class RateLimitHit(db.Model):
    __tablename__ = "rate_limit_hits"
    __table_args__ = (sa.Index("ix_rate_limit_hits_lookup", "scope", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(40))
    key: Mapped[str] = mapped_column(sa.String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)


def parse_rate(rate: str) -> tuple[int, timedelta]:
    """Turn ``"5 per 10 minutes"`` into ``(5, timedelta(minutes=10))``."""
    item = parse(rate)
    return item.amount, timedelta(seconds=item.get_expiry())


def record(scope: str, key: str, window: timedelta) -> None:
    """Store one attempt, and forget this key's attempts older than ``window``."""
    now = utcnow()
    db.session.execute(
        sa.delete(RateLimitHit).where(
            RateLimitHit.scope == scope, RateLimitHit.key == key, RateLimitHit.at < now - window
        )
    )
    db.session.add(RateLimitHit(scope=scope, key=key, at=now))
    db.session.commit()


def recent(scope: str, key: str, window: timedelta) -> int:
    """Count the attempts of ``key`` within ``window``."""
    return db.session.scalar(
        sa.select(sa.func.count(RateLimitHit.id)).where(
            RateLimitHit.scope == scope,
            RateLimitHit.key == key,
            RateLimitHit.at >= utcnow() - window,
        )
    )


def hit(scope: str, key: str, rate: str) -> bool:
    """Record an attempt and tell whether it is within ``rate``."""
    amount, window = parse_rate(rate)
    record(scope, key, window)
    return recent(scope, key, window) <= amount
