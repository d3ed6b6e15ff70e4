"""Storing consultation messages, telling bots from people, and looking messages up."""

from __future__ import annotations

import re
import secrets
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.consult import messages
from app.extensions import db
from app.models.consult import Message, MessageStatus
from app.ratelimit import admit, parse_rate

RATE_SCOPE = "consult"
LOOKUP_SCOPE = "consult-lookup"
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{22,64}")
# What must be the same for a submission to be the same one sent again.
SAME_SUBMISSION = ("name", "phone", "category", "content")


def _timer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="consult-form-started")


def start_token() -> str:
    """A signed token that records when the form was handed out."""
    return _timer().dumps("consult")


def seconds_since(token: str) -> float | None:
    """Seconds since ``token`` was made, or None when it is missing or forged."""
    try:
        _value, signed_at = _timer().loads(token or "", return_timestamp=True)
    except BadSignature:
        return None
    return time.time() - signed_at.timestamp()


def spam_reason(honeypot: str) -> str:
    """Why a submission is filed as spam ("honeypot": a field only bots fill in), or ""."""
    return "honeypot" if honeypot else ""


def sent_too_fast(started: str) -> bool:
    """True when the form came back sooner than ``CONSULT_MIN_FILL_SECONDS`` after it was
    handed out, or without a valid stamp. Autofill and paste make people fast too, so such
    a submission is not stored but shown again to be confirmed.
    """
    elapsed = seconds_since(started)
    return elapsed is None or elapsed < current_app.config["CONSULT_MIN_FILL_SECONDS"]


def rate_limit_text() -> str:
    """``CONSULT_RATE_LIMIT`` in words, e.g. "每10分钟最多提交5条留言"."""
    amount, window = parse_rate(current_app.config["CONSULT_RATE_LIMIT"])
    return f"每{duration_text(window)}最多提交{amount}条留言"


def lookup_limit_text() -> str:
    """``CONSULT_LOOKUP_LIMIT`` in words, e.g. "每1分钟最多查询30次"."""
    amount, window = parse_rate(current_app.config["CONSULT_LOOKUP_LIMIT"])
    return f"每{duration_text(window)}最多查询{amount}次"


def duration_text(window: timedelta) -> str:
    """A window in Chinese words: 30秒, 10分钟, 1小时, 1天."""
    seconds = int(window.total_seconds())
    for unit, name in ((86400, "天"), (3600, "小时"), (60, "分钟")):
        if seconds >= unit and seconds % unit == 0:
            return f"{seconds // unit}{name}"
    return f"{seconds}秒"


def new_idempotency_key() -> str:
    """A random key for one form: its submission is stored once however often it is sent."""
    return secrets.token_urlsafe(24)


def submission_key(raw: str | None) -> str | None:
    """The form's idempotency key when it looks like one we hand out, else None."""
    return raw if raw and IDEMPOTENCY_KEY.fullmatch(raw) else None


def submit(
    fields: dict, *, ip: str, user_agent: str, spam: str = "", key: str | None = None
) -> Message | None:
    """Store a visitor's submission (as spam when ``spam`` gives a reason) and return its
    message; None when ``ip`` is over ``CONSULT_RATE_LIMIT``: nothing stored, nothing counted.

    The submission is counted against the limit in the transaction that stores the
    message (``messages.create`` commits both): one that cannot be stored leaves no count
    behind. The same submission sent again (same ``key``, same question) returns the
    message stored the first time and counts nothing. A key already used for another
    question (a sent form brought back with the Back button and changed) is not kept:
    that question is stored as a message of its own.
    """
    if key and (taken := messages.by_idempotency_key(key)):
        if all(getattr(taken, name) == fields[name] for name in SAME_SUBMISSION):
            return taken
        key = None
    rate = current_app.config["CONSULT_RATE_LIMIT"]
    return messages.create(
        fields,
        ip=ip,
        user_agent=user_agent,
        spam=spam,
        idempotency_key=key,
        admit=lambda: admit([(RATE_SCOPE, ip)], rate, commit=False),
    )


def within_lookup_limit(ip: str) -> bool:
    """Count one receipt lookup from ``ip``; False once it is over ``CONSULT_LOOKUP_LIMIT``."""
    return admit([(LOOKUP_SCOPE, ip)], current_app.config["CONSULT_LOOKUP_LIMIT"])


def normalise_receipt(raw: str) -> str:
    """A receipt number as stored: capitals, without spaces or dashes."""
    return "".join(ch for ch in raw.upper() if ch not in " -\u3000")


def find_message(receipt: str, phone: str) -> Message | None:
    """The message with this receipt number and (normalised) phone number, if any."""
    return db.session.scalar(
        sa.select(Message).where(
            Message.receipt == normalise_receipt(receipt), Message.phone == phone
        )
    )


def public_status(message: Message) -> MessageStatus:
    """The status the sender sees: a message filed as spam still reads 待处理."""
    return MessageStatus.PENDING if message.status is MessageStatus.SPAM else message.status
