"""The database rate limiter: a moving window, exact under concurrent attempts."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import RateLimitHit
from app.models.base import utcnow
from app.ratelimit import admit, parse_rate, take_back

KEY = ("test", "198.51.100.7")


def stored(app, scope="test"):
    with app.app_context():
        query = sa.select(sa.func.count(RateLimitHit.id)).where(RateLimitHit.scope == scope)
        return db.session.scalar(query)


def test_parse_rate_reads_the_limits_notation():
    assert parse_rate("5 per 10 minutes") == (5, timedelta(minutes=10))
    assert parse_rate("3/hour") == (3, timedelta(hours=1))


def test_attempts_pass_up_to_the_limit_and_refused_ones_are_not_counted(app):
    with app.app_context():
        answers = [admit([KEY], "3 per minute") for _ in range(5)]
    assert answers == [True, True, True, False, False]
    assert stored(app) == 3


def test_each_key_has_its_own_allowance(app):
    with app.app_context():
        assert admit([("test", "a")], "1 per minute")
        assert admit([("test", "b")], "1 per minute")
        assert not admit([("test", "a")], "1 per minute")


def test_several_keys_count_together_or_not_at_all(app):
    """A sign-in counts against its account and its IP; refused by either, neither counts."""
    account, ip = ("account", "boss"), ("ip", "198.51.100.7")
    with app.app_context():
        assert admit([ip], "2 per minute")
        assert admit([account, ip], "2 per minute")
        assert not admit([account, ip], "2 per minute")
    assert (stored(app, "account"), stored(app, "ip")) == (1, 2)


def test_attempts_older_than_the_window_are_forgotten(app):
    with app.app_context():
        old = utcnow() - timedelta(minutes=11)
        db.session.add_all(RateLimitHit(scope=KEY[0], key=KEY[1], at=old) for _ in range(5))
        db.session.commit()
        assert admit([KEY], "5 per 10 minutes")
    assert stored(app) == 1


def test_take_back_removes_the_newest_attempt(app):
    with app.app_context():
        assert admit([KEY], "1 per minute")
        take_back([KEY])
        assert admit([KEY], "1 per minute")
    assert stored(app) == 1


def test_concurrent_attempts_let_exactly_the_limit_through(app):
    """Twelve threads at once, each on its own connection: exactly five pass, on either database."""
    start = threading.Barrier(12)

    def attempt(_n):
        with app.app_context():
            start.wait()
            try:
                return admit([KEY], "5 per 10 minutes")
            finally:
                db.session.remove()

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(attempt, range(12)))
    assert sorted(answers) == [False] * 7 + [True] * 5
    assert stored(app) == 5


def test_an_attempt_left_to_the_caller_to_commit_goes_with_its_rollback(app):
    """``commit=False``: the attempt is counted in the caller's transaction, or not at all."""
    with app.app_context():
        assert admit([KEY], "1 per minute", commit=False)
        db.session.rollback()
        assert admit([KEY], "1 per minute", commit=False)
        db.session.commit()
        assert not admit([KEY], "1 per minute", commit=False)
        db.session.rollback()
    assert stored(app) == 1
