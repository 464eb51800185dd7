"""Counting local days the way Lago does: the one day rule shared by periods and aggregations."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo
from typing import Final

from ._time import zone as _zone
from .errors import InvalidInput
from .models._base import known_zone

__all__ = ["ceil_days"]

_ONE_MICROSECOND: Final = timedelta(microseconds=1)
_DAY_MICROSECONDS: Final = 86_400_000_000


def ceil_days(start: datetime, end: datetime, zone: tzinfo | str) -> int:
    """Count the local days from ``start`` to ``end`` the way Lago does for the projection ratio.

    ``ceil(((end - start) - (offset(start) - offset(end))) / 1 day)`` where ``offset`` is the
    UTC offset in ``zone``, after adding one second to ``end`` when it is exactly a local
    midnight, so that the day starting at ``end`` counts. The offsets make it the wall-clock
    difference: a month across a DST change still counts its calendar days.

    >>> from datetime import UTC, datetime
    >>> start = datetime(2025, 1, 1, tzinfo=UTC)
    >>> ceil_days(start, datetime(2025, 1, 10, 23, 59, 59, tzinfo=UTC), "UTC")
    10
    >>> ceil_days(start, datetime(2025, 1, 11, tzinfo=UTC), "UTC")
    11
    >>> march = datetime(2024, 2, 29, 23, tzinfo=UTC), datetime(2024, 3, 31, 21, 59, 59, tzinfo=UTC)
    >>> ceil_days(*march, "Europe/Berlin")
    31
    """
    local_zone = _zone_argument(zone)
    local_start = _wall_clock(_aware(start, "start"), local_zone, "start")
    local_end = _wall_clock(_aware(end, "end"), local_zone, "end")
    wall_clock = local_end - local_start
    if local_end.time() == time():
        wall_clock += timedelta(seconds=1)
    return -(-(wall_clock // _ONE_MICROSECOND) // _DAY_MICROSECONDS)


def _zone_argument(zone: tzinfo | str) -> tzinfo:
    if isinstance(zone, tzinfo):
        return zone
    if not isinstance(zone, str):
        path, msg = "zone", "must be an IANA timezone name such as 'Europe/Paris', or a tzinfo"
        raise InvalidInput.at(path, msg, zone)
    try:
        return _zone(known_zone(zone))
    except ValueError as error:
        raise InvalidInput.at("zone", str(error), zone) from None


def _wall_clock(instant: datetime, zone: tzinfo, path: str) -> datetime:
    try:
        return instant.astimezone(zone).replace(tzinfo=None)
    except OverflowError:  # year 1 or 9999 pushed out of range by the zone's offset
        msg = f"is out of the supported range of datetimes in {zone}"
        raise InvalidInput.at(path, msg, instant.isoformat()) from None


def _aware(value: datetime, path: str) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        msg = "must be an aware datetime (with a timezone)"
        raise InvalidInput.at(path, msg, value)
    return value
