"""Storing consultation messages, telling bots from people, and looking messages up."""

from __future__ import annotations

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


def within_rate_limit(ip: str) -> bool:
    """Count one valid submission from ``ip``; False once it is over ``CONSULT_RATE_LIMIT``."""
    return admit([(RATE_SCOPE, ip)], current_app.config["CONSULT_RATE_LIMIT"])


def rate_limit_text() -> str:
    """``CONSULT_RATE_LIMIT`` in words, e.g. "每10分钟最多提交5条留言"."""
    amount, window = parse_rate(current_app.config["CONSULT_RATE_LIMIT"])
    return f"每{duration_text(window)}最多提交{amount}条留言"


def duration_text(window: timedelta) -> str:
    """A window in Chinese words: 30秒, 10分钟, 1小时, 1天."""
    seconds = int(window.total_seconds())
    for unit, name in ((86400, "天"), (3600, "小时"), (60, "分钟")):
        if seconds >= unit and seconds % unit == 0:
            return f"{seconds // unit}{name}"
    return f"{seconds}秒"


def store_message(fields: dict, *, ip: str, user_agent: str, spam: str = "") -> Message:
    """Store a message as 待处理, or as spam when ``spam`` gives a reason; return it.

    The message domain does the work (``app.consult.messages.create``).
    """
    return messages.create(fields, ip=ip, user_agent=user_agent, spam=spam)


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
