"""Storing consultation messages, telling bots from people, and looking messages up."""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.consult import Message, MessageStatus, new_receipt
from app.ratelimit import admit, parse_rate

RATE_SCOPE = "consult"
RECEIPT_TRIES = 3


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


def spam_reason(honeypot: str, started: str) -> str:
    """Why a submission looks like a bot's ("honeypot", "too-fast"), or "" for a person."""
    if honeypot:
        return "honeypot"
    elapsed = seconds_since(started)
    if elapsed is None or elapsed < current_app.config["CONSULT_MIN_FILL_SECONDS"]:
        return "too-fast"
    return ""


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

    A receipt number that happens to be taken already is drawn again.
    """
    attempts = 0
    while True:
        message = Message(
            **fields,
            receipt=new_receipt(),
            status=MessageStatus.SPAM if spam else MessageStatus.PENDING,
            spam_reason=spam,
            ip=ip[:45],
            user_agent=user_agent[:500],
        )
        db.session.add(message)
        try:
            db.session.commit()
            return message
        except IntegrityError:
            db.session.rollback()
            attempts += 1
            if attempts == RECEIPT_TRIES:
                raise


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
