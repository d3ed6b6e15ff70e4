"""Failed sign-ins counted per account and per IP in the database, so every worker agrees.

An attempt is counted as a failure *before* the password is checked and taken back when
it succeeds. Counting first, under the rate limiter's lock, keeps the limit exact under
concurrency: at most ``LOGIN_FAILURE_LIMIT`` guesses per window reach the password
check, however many workers answer them.
"""

from __future__ import annotations

from flask import current_app

from app.ratelimit import admit, take_back

ACCOUNT_SCOPE = "login-account"
IP_SCOPE = "login-ip"


def _keys(account: str, ip: str) -> list[tuple[str, str]]:
    return [(ACCOUNT_SCOPE, account), (IP_SCOPE, ip)]


def begin_attempt(account: str, ip: str) -> bool:
    """Count a sign-in attempt; False (and not counted) once the account or IP is over the limit."""
    return admit(_keys(account, ip), current_app.config["LOGIN_FAILURE_LIMIT"])


def forgive(account: str, ip: str) -> None:
    """Take back the attempt counted by ``begin_attempt``: it did not fail."""
    take_back(_keys(account, ip))
