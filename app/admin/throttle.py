"""Failed sign-ins counted per account and per IP in the database, so every worker agrees.

An attempt is counted as a failure *before* the password is checked and forgiven when it
succeeds or is refused. Counting first keeps the limit exact under concurrency: the N-th
committed attempt sees at least N rows, so at most ``LOGIN_FAILURE_LIMIT`` guesses per
window reach the password check, however many workers answer them.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import RateLimitHit
from app.ratelimit import parse_rate, recent, record

ACCOUNT_SCOPE = "login-account"
IP_SCOPE = "login-ip"


def _rate() -> tuple[int, timedelta]:
    return parse_rate(current_app.config["LOGIN_FAILURE_LIMIT"])


def begin_attempt(account: str, ip: str) -> bool:
    """Count a sign-in attempt; False (and not counted) once the account or IP is over the limit."""
    amount, window = _rate()
    keys = ((ACCOUNT_SCOPE, account), (IP_SCOPE, ip))
    for scope, key in keys:
        record(scope, key, window)
    if all(recent(scope, key, window) <= amount for scope, key in keys):
        return True
    forgive(account, ip)
    return False


def forgive(account: str, ip: str) -> None:
    """Take back the attempt counted by ``begin_attempt``: it did not fail."""
    for scope, key in ((ACCOUNT_SCOPE, account), (IP_SCOPE, ip)):
        newest = (
            sa.select(sa.func.max(RateLimitHit.id))
            .where(RateLimitHit.scope == scope, RateLimitHit.key == key)
            .scalar_subquery()
        )
        db.session.execute(sa.delete(RateLimitHit).where(RateLimitHit.id == newest))
    db.session.commit()
