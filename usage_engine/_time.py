"""Instants as integer microseconds since the unix epoch, the engine's internal clock unit.

Integers compare and subtract fast and exactly; datetimes are built only at the edges.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, Context, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from .errors import shown

__all__ = [
    "EARLIEST_SECONDS",
    "EPOCH",
    "LATEST_SECONDS",
    "event_micros",
    "from_micros",
    "iso_micros",
    "local_date",
    "micros",
    "milliseconds_hint",
    "not_a_date",
    "zone",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROS_PER_SECOND = 1_000_000
_ONE_MICRO = timedelta(microseconds=1)
_UNIX_SECONDS = re.compile(r"-?[0-9]+(\.[0-9]+)?")
EARLIEST_SECONDS = (datetime(2, 1, 1, tzinfo=UTC) - EPOCH) // timedelta(seconds=1)
"""The first unix second an event may carry (0002-01-01), as periods allow."""
LATEST_SECONDS = (datetime(9998, 1, 1, tzinfo=UTC) - EPOCH) // timedelta(seconds=1)
"""The unix second after the last an event may carry (9998-01-01)."""
_LATEST_MICROS = LATEST_SECONDS * _MICROS_PER_SECOND
_WIDE = Context(prec=64)
_MILLIS_FROM = Decimal(10**12)
_FAR_SECONDS = Decimal(10**12)
"""Seconds beyond any datetime (about 31,700 years): not scaled at all."""


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


def _seconds_to_micros(seconds: Decimal) -> int | None:
    # Sub-microsecond digits are dropped, as a datetime(6) column drops them. None when the
    # number is far out of any datetime's range (too large to scale).
    if seconds.copy_abs() > _FAR_SECONDS:  # copy_abs: no rounding, hence no overflow
        return None
    return int((seconds * _MICROS_PER_SECOND).to_integral_value(rounding=ROUND_FLOOR))


def milliseconds_hint(value: object) -> str:
    """A hint for a number out of range as unix seconds but in range as milliseconds; or "".

    JavaScript's ``Date.now()`` and many loggers give milliseconds; the engine, as Lago, reads
    unix seconds.

    >>> milliseconds_hint(1741255200000)
    ' (1741255200000 looks like milliseconds: pass unix seconds, 1741255200)'
    >>> milliseconds_hint("1741255200123"), milliseconds_hint(10**20), milliseconds_hint(True)
    (' (1741255200123 looks like milliseconds: pass unix seconds, 1741255200.123)', '', '')
    >>> milliseconds_hint(253402300800)  # year 10000 in seconds, 1978 in milliseconds
    ''

    """
    number = _number(value)
    # 13 digits and more: milliseconds since 2001. Just past the range (year 10000 in seconds,
    # 1978 in milliseconds) is as likely a date too far as a unit slip: no hint there.
    if number is None or number.copy_abs() < _MILLIS_FROM:
        return ""
    # Compared before scaling: Decimal('1E+999999') cannot be scaled, and needs no hint.
    if not EARLIEST_SECONDS * 1000 <= number < LATEST_SECONDS * 1000:
        return ""
    seconds = number.scaleb(-3, context=_WIDE)
    if seconds == seconds.to_integral_value():
        text = str(int(seconds))
    else:
        text = format(seconds.normalize(context=_WIDE), "f")
    return f" ({number:f} looks like milliseconds: pass unix seconds, {text})"


def _number(value: object) -> Decimal | None:
    # The number a timestamp spells, when it is one of a reasonable size; None otherwise.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value) if value.bit_length() <= 64 else None
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str) and len(value) <= 40 and _UNIX_SECONDS.fullmatch(value):
        return Decimal(value)
    return None


def not_a_date(value: date) -> str:
    """The message refusing a bare date where an instant is needed, naming what to pass.

    A day starts at a different instant in each timezone: guessing one would move events
    between periods without a word.

    >>> not_a_date(date(2025, 3, 6))
    "must be a datetime, not a date (a day starts at a different instant in each timezone): \
pass datetime(2025, 3, 6, tzinfo=UTC) or '2025-03-06T00:00:00Z' for midnight UTC"
    """
    return (
        "must be a datetime, not a date (a day starts at a different instant in each "
        f"timezone): pass datetime({value.year}, {value.month}, {value.day}, tzinfo=UTC) "
        f"or '{value.isoformat()}T00:00:00Z' for midnight UTC"
    )


def event_micros(value: object) -> int:
    """Read an event timestamp: unix seconds (int, float, numeric text) or ISO 8601 text.

    Naive ISO text means UTC. Raises ValueError for anything else, and for an instant outside
    the years 0002 to 9997 (as periods: an instant at the edge of the datetime range cannot be
    read in every timezone).

    >>> event_micros(1700000000), event_micros("1700000000.25")
    (1700000000000000, 1700000000250000)
    >>> event_micros("2023-11-14T22:13:20Z")
    1700000000000000
    >>> event_micros(10**20)
    Traceback (most recent call last):
    ...
    ValueError: timestamp 100000000000000000000 is outside the supported years 0002 to 9997
    """
    if type(value) is int and EARLIEST_SECONDS <= value < LATEST_SECONDS:
        return value * _MICROS_PER_SECOND
    found = _micros_of(value)
    if found is None or not EARLIEST_SECONDS * _MICROS_PER_SECOND <= found < _LATEST_MICROS:
        msg = f"timestamp {shown(value)} is outside the supported years 0002 to 9997"
        raise ValueError(msg + milliseconds_hint(value))
    return found


def _micros_of(value: object) -> int | None:
    # The instant in µs (None when far out of range); ValueError when it is not one.
    if isinstance(value, int) and not isinstance(value, bool):
        return value * _MICROS_PER_SECOND if abs(value) <= _FAR_SECONDS else None
    if isinstance(value, str):
        if _UNIX_SECONDS.fullmatch(value):
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
        return _seconds_to_micros(value)
    if isinstance(value, date):
        msg = f"timestamp {shown(value)} {not_a_date(value)}"
        raise ValueError(msg)
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


_MINUTES: dict[str, int] = {}
"""µs of ``YYYY-MM-DDTHH:MM:`` prefixes already read (events cluster in a few periods)."""
_MAX_MINUTES = 1 << 20


def iso_micros(stamp: str) -> int | None:
    """The µs of canonical ISO text ``YYYY-MM-DDTHH:MM:SSZ``; None for any other spelling.

    The common spelling of Lago events, read without parsing each one: the minute prefix is
    parsed once and cached, the seconds are two ASCII digits. Everything else (fractions,
    offsets, unix seconds as text) is for :func:`event_micros`, which reads the same instants.

    >>> iso_micros("2023-11-14T22:13:20Z"), iso_micros("2023-11-14T22:13:20+00:00")
    (1700000000000000, None)
    >>> iso_micros("2023-11-14T22:13:2１Z"), iso_micros("2023-11-14T22:13:60Z")
    (None, None)
    """
    if len(stamp) != 20 or stamp[19] != "Z":
        return None
    tens = ord(stamp[17]) - 48
    units = ord(stamp[18]) - 48
    if not (0 <= tens <= 5 and 0 <= units <= 9):
        return None
    prefix = stamp[:17]
    minute = _MINUTES.get(prefix)
    if minute is None:
        minute = _minute_micros(prefix)
        if minute is None:
            return None
        if len(_MINUTES) >= _MAX_MINUTES:
            _MINUTES.clear()
        _MINUTES[prefix] = minute
    return minute + (tens * 10 + units) * _MICROS_PER_SECOND


_MINUTE_PREFIX = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:", re.ASCII)


def _minute_micros(prefix: str) -> int | None:
    # The instant of "YYYY-MM-DDTHH:MM:" at 00 seconds, UTC; None unless it is one, inside the
    # years events may carry.
    if not _MINUTE_PREFIX.fullmatch(prefix):
        return None
    try:
        instant = datetime.fromisoformat(prefix + "00+00:00")
    except ValueError:
        return None
    found = micros(instant)
    if not EARLIEST_SECONDS * _MICROS_PER_SECOND <= found < _LATEST_MICROS:
        return None
    return found
