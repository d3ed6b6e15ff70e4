"""Helpers shared by the models: times are stored as naive UTC, shown in Beijing time."""

import enum
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Return the current time as a naive UTC datetime, as every column stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(moment: datetime) -> datetime:
    """Convert a stored naive UTC datetime to Beijing time."""
    return moment.replace(tzinfo=UTC).astimezone(LOCAL_TZ)


def enum_type(values: type[enum.StrEnum]) -> sa.Enum:
    """A portable column type for a StrEnum: its values stored as short strings."""
    return sa.Enum(
        values, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
    )
