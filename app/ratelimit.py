"""Rate limits kept in the database, so that every gunicorn worker sees the same counts.

A per-process memory store lets each worker count alone; no SQL store exists for
Flask-Limiter, so admitted attempts are rows here (a moving window). Counting and
recording happen in one transaction that holds a lock on the keys, so concurrent
attempts are decided one after another and exactly ``amount`` of them pass:
PostgreSQL takes a transaction-scoped advisory lock per key; SQLite's single writer
lock is taken by the transaction's first statement, the delete of expired rows. A caller
may keep that transaction open (``commit=False``) to store what the attempt was for in
it: a consultation is counted and its message stored in one commit, or neither.

Rows of a key are removed when that key is counted again; ``forget_expired`` (run by
``flask --app wsgi purge``) removes those of keys never seen again, so that no IP address
or account name stays in the table longer than its window.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from limits import parse

from app.extensions import db
from app.models.base import utcnow
from app.models.ratelimit import RateLimitHit

Key = tuple[str, str]
# A key, how many attempts its window admits (None: counted, never refused), the window.
Limit = tuple[Key, int | None, timedelta]
# Rows of a scope that ``forget_expired`` is not told about are kept at least this long.
UNKNOWN_SCOPE_KEPT = timedelta(days=1)
FORGET_BATCH = 200


def parse_rate(rate: str) -> tuple[int, timedelta]:
    """Turn ``"5 per 10 minutes"`` into ``(5, timedelta(minutes=10))``."""
    item = parse(rate)
    return item.amount, timedelta(seconds=item.get_expiry())


def _lock_id(scope: str, key: str) -> int:
    """A stable signed 64-bit number for PostgreSQL's advisory locks."""
    digest = hashlib.blake2b(f"{scope}\0{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


_LOCK = sa.select(sa.func.pg_advisory_xact_lock(sa.bindparam("lock_id", type_=sa.BigInteger)))


def _lock(keys: Sequence[Key]) -> None:
    """Hold every key until the transaction ends (sorted, so two callers cannot deadlock)."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return
    for scope, key in sorted(set(keys)):
        connection.execute(_LOCK, {"lock_id": _lock_id(scope, key)})


def _of(scope: str, key: str):
    return (RateLimitHit.scope == scope, RateLimitHit.key == key)


# Statements of ``admit_limits``, built once: a submission runs them on every request.
_hits = RateLimitHit.__table__
_at = _hits.c.at.type
_of_key = (_hits.c.scope == sa.bindparam("scope"), _hits.c.key == sa.bindparam("key"))
_DELETE_EXPIRED = sa.delete(_hits).where(*_of_key, _hits.c.at < sa.bindparam("before", type_=_at))
# How many attempts the window holds. Refused attempts are not recorded and expired ones
# are deleted first, so at most ``amount`` rows are counted (5 for a consultation). A
# ``LIMIT amount`` subquery would add nothing but a co-routine SQLite runs row by row.
_IN_WINDOW = (
    sa.select(sa.func.count())
    .select_from(_hits)
    .where(*_of_key, _hits.c.at >= sa.bindparam("since", type_=_at))
    .scalar_subquery()
)
_COUNT = sa.select(_IN_WINDOW)
_RECORD = sa.insert(_hits).values(
    scope=sa.bindparam("scope"), key=sa.bindparam("key"), at=sa.bindparam("now", type_=_at)
)
# Records the attempt only while the window has room: the count and the insert in one
# statement, one round trip. It returns a row when it recorded one (the rowcount of an
# INSERT … SELECT is not reported by every driver: psycopg gives -1).
_RECORD_IF_ROOM = (
    sa.insert(_hits)
    .from_select(
        ["scope", "key", "at"],
        sa.select(
            sa.bindparam("scope", type_=_hits.c.scope.type),
            sa.bindparam("key", type_=_hits.c.key.type),
            sa.bindparam("now", type_=_at),
        ).where(sa.bindparam("amount") > _IN_WINDOW),
    )
    .returning(_hits.c.id)
)


def _count(connection: sa.Connection, scope: str, key: str, since: datetime) -> int:
    return connection.scalar(_COUNT, {"scope": scope, "key": key, "since": since})


def admit(keys: Sequence[Key], rate: str, *, commit: bool = True) -> bool:
    """Count one attempt against every ``(scope, key)`` when all are within ``rate``.

    Returns False, counting nothing, when any key has used up its ``rate`` already.
    Commits the session, unless ``commit`` is False (see ``admit_limits``).
    """
    amount, window = parse_rate(rate)
    return admit_limits([(key, amount, window) for key in keys], commit=commit)


def admit_limits(limits: Sequence[Limit], *, commit: bool = True) -> bool:
    """``admit`` with a limit of its own for each key; a key whose amount is None is
    counted along but never refuses. Commits the session.

    With ``commit=False`` the attempt is recorded in the session's transaction, which
    keeps the keys locked until it ends: the caller stores what the attempt was for in
    the same transaction and commits, so both are kept or neither (a rollback takes the
    attempt back).
    """
    now = utcnow()
    # The session's connection, in its transaction: these statements need none of the
    # session's work on ORM statements (they touch no content, no mapped object).
    connection = db.session.connection()
    _lock([key for key, _amount, _window in limits])
    for (scope, key), _amount, window in limits:
        connection.execute(_DELETE_EXPIRED, {"scope": scope, "key": key, "before": now - window})
    if len(limits) == 1 and limits[0][1] is not None:
        # One key (a consultation, a receipt lookup): counted and recorded in one statement.
        (((scope, key), amount, window),) = limits
        params = {"scope": scope, "key": key, "now": now, "since": now - window, "amount": amount}
        allowed = connection.execute(_RECORD_IF_ROOM, params).first() is not None
    else:
        allowed = all(
            amount is None or _count(connection, scope, key, now - window) < amount
            for (scope, key), amount, window in limits
        )
        if allowed:
            rows = [{"scope": scope, "key": key, "now": now} for (scope, key), *_ in limits]
            connection.execute(_RECORD, rows)
    if commit:
        db.session.commit()
    return allowed


def count(key: Key, window: timedelta) -> int:
    """How many attempts ``key`` made within the last ``window``."""
    return _count(db.session.connection(), *key, utcnow() - window)


def last_attempt(key: Key) -> datetime | None:
    """When ``key``'s newest counted attempt was made, if it has one."""
    return db.session.scalar(sa.select(sa.func.max(RateLimitHit.at)).where(*_of(*key)))


def take_back(keys: Sequence[Key]) -> None:
    """Remove the newest attempt counted for each key (it turned out not to count). Commits."""
    for scope, key in keys:
        newest = sa.select(sa.func.max(RateLimitHit.id)).where(*_of(scope, key)).scalar_subquery()
        db.session.execute(sa.delete(RateLimitHit).where(RateLimitHit.id == newest))
    db.session.commit()


def forget_expired(
    rates: Mapping[str, str], *, now: datetime | None = None, dry_run: bool = False
) -> int:
    """Delete the attempts no window counts any more; return how many (would) go.

    ``rates`` gives each scope's rate, whose window says how long its rows matter. Rows of
    other scopes go once older than the longest of those windows and a day. Keys are
    locked in sorted batches, as ``admit`` locks them, so the two never deadlock. Commits.
    """
    now = now or utcnow()
    windows = {scope: parse_rate(rate)[1] for scope, rate in rates.items()}
    longest = max([UNKNOWN_SCOPE_KEPT, *windows.values()])
    expired = sa.or_(
        *(sa.and_(RateLimitHit.scope == s, RateLimitHit.at < now - w) for s, w in windows.items()),
        sa.and_(RateLimitHit.scope.not_in(list(windows)), RateLimitHit.at < now - longest),
    )
    if dry_run:
        return db.session.scalar(sa.select(sa.func.count(RateLimitHit.id)).where(expired))
    of_expired = sa.select(RateLimitHit.scope, RateLimitHit.key).where(expired).distinct()
    keys = sorted(tuple(row) for row in db.session.execute(of_expired))
    removed = 0
    for start in range(0, len(keys), FORGET_BATCH):
        batch = keys[start : start + FORGET_BATCH]
        _lock(batch)
        of_batch = sa.tuple_(RateLimitHit.scope, RateLimitHit.key).in_(batch)
        removed += db.session.execute(sa.delete(RateLimitHit).where(of_batch, expired)).rowcount
        db.session.commit()
    return removed
