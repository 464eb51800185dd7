"""Instants as integer microseconds since the unix epoch, the engine's internal clock unit.

Integers compare and subtract fast and exactly; datetimes are built only at the edges.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from .errors import shown

__all__ = ["EPOCH", "event_micros", "from_micros", "local_date", "micros", "zone"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROS_PER_SECOND = 1_000_000
_ONE_MICRO = timedelta(microseconds=1)
_UNIX_SECONDS = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def micros(instant: datetime) -> int:
    """Microseconds since the epoch of an aware datetime.

    >>> micros(datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC))
    1000005
    """
    return (instant - EPOCH) // _ONE_MICRO


def from_micros(value: int) -> datetime:
    """The aware UTC datetime ``value`` microseconds after the epoch.

    >>> from_micros(-1)
    datetime.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.timezone.utc)
    """
    return EPOCH + timedelta(microseconds=value)


def _seconds_to_micros(seconds: Decimal) -> int:
    # Sub-microsecond digits are dropped, as a datetime(6) column drops them.
    return int((seconds * _MICROS_PER_SECOND).to_integral_value(rounding=ROUND_FLOOR))


def event_micros(value: object) -> int:
    """Read an event timestamp: unix seconds (int, float, numeric text) or ISO 8601 text.

    Naive ISO text means UTC. Raises ValueError for anything else.

    >>> event_micros(1700000000), event_micros("1700000000.25")
    (1700000000000000, 1700000000250000)
    >>> event_micros("2023-11-14T22:13:20Z")
    1700000000000000
    """
    if type(value) is int:
        return value * _MICROS_PER_SECOND
    if isinstance(value, str):
        if _UNIX_SECONDS.fullmatch(value):
            if "." not in value:
                return int(value) * _MICROS_PER_SECOND
            return _seconds_to_micros(Decimal(value))
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            msg = f"timestamp {shown(value)} is neither unix seconds nor ISO 8601"
            raise ValueError(msg) from None
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        return micros(instant)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            msg = f"timestamp {shown(value)} is not a finite number"
            raise ValueError(msg)
        return _seconds_to_micros(Decimal(repr(value)))
    if isinstance(value, datetime):
        return micros(value if value.tzinfo is not None else value.replace(tzinfo=UTC))
    if isinstance(value, Decimal) and value.is_finite():
        try:
            return _seconds_to_micros(value)
        except InvalidOperation:
            pass
    msg = f"timestamp {shown(value)} is neither unix seconds nor ISO 8601"
    raise ValueError(msg)


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The cached ZoneInfo of an IANA name."""
    return ZoneInfo(name)


def local_date(value: int, tz: ZoneInfo) -> date:
    """The local calendar date of an instant given in microseconds.

    >>> local_date(0, zone("America/New_York"))
    datetime.date(1969, 12, 31)
    """
    return from_micros(value).astimezone(tz).date()
