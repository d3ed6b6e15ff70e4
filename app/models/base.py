"""Helpers shared by the models: times are stored as naive UTC, shown in Beijing time."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Return the current time as a naive UTC datetime, as every column stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(moment: datetime) -> datetime:
    """Convert a stored naive UTC datetime to Beijing time."""
    return moment.replace(tzinfo=UTC).astimezone(LOCAL_TZ)
