"""Small fixed windows for the doctests of the aggregation modules."""

from __future__ import annotations

from datetime import UTC, date, datetime

from .._time import micros, zone
from ._base import Window

__all__ = ["inside", "window"]

_FROM = micros(datetime(2023, 8, 1, tzinfo=UTC))
_TO = micros(datetime(2023, 9, 1, tzinfo=UTC)) - 1


def window() -> Window:
    """August 2023 in UTC (31 days)."""
    return Window(
        from_us=_FROM,
        to_us=_TO,
        started_us=_FROM,
        end_us=_TO + 1,
        duration_days=31,
        prorated_days=31,
        zone=zone("UTC"),
        first_date=date(2023, 8, 1),
        last_date=date(2023, 8, 31),
    )


def inside(hours: int = 0) -> int:
    """An instant ``hours`` after the start of :func:`window`."""
    return _FROM + hours * 3_600_000_000
