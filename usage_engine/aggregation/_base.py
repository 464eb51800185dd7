"""What every aggregation shares: the window it runs in, its options, its result type."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol, Self
from zoneinfo import ZoneInfo

from .._days import ceil_days
from .._time import local_date, micros, zone
from ..models import BillingPeriod
from ..money import within_numeric_range

__all__ = [
    "Aggregation",
    "AggregationState",
    "Options",
    "TimedValue",
    "Window",
    "as_number",
    "as_text",
]

ZERO = Decimal(0)
_NUMERIC = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_MICROS_PER_DAY = 86_400 * 1_000_000
_SHORT_TEXT = 16_383


def as_number(value: Any) -> int | Decimal | None:
    """The numeric value of a metric field, or None when Lago would ignore the event.

    Integers stay ``int``; decimals become exact ``Decimal``; text must read ``-?digits[.digits]``.
    A number outside Postgres numeric's range has no usable value either: no Lago store holds
    it.

    >>> as_number("12"), as_number("2.50"), as_number(1.5), as_number("1e3"), as_number(True)
    (12, Decimal('2.50'), Decimal('1.5'), None, None)
    >>> as_number(Decimal("1E+999999999")), as_number(Decimal("1E-999999999"))
    (None, None)
    """
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is str:
        if not _NUMERIC.fullmatch(value):
            return None
        if "." not in value and len(value) < 400:
            return int(value)
        # Python refuses int() of very long digit strings; Decimal has no such limit.
        number = Decimal(value)
        # Text this short cannot hold more digits than Postgres numeric takes on either side.
        return number if len(value) <= _SHORT_TEXT or within_numeric_range(number) else None
    if kind is float:
        # JSON numbers always qualify: Postgres stores them as plain decimals.
        return Decimal(repr(value)) if value == value and abs(value) != float("inf") else None
    if kind is Decimal:
        return value if value.is_finite() and within_numeric_range(value) else None
    return None


def as_text(value: Any) -> str | None:
    """A property value as the text Lago compares (Postgres ``properties->>'key'``).

    >>> as_text(1), as_text("1"), as_text(True), as_text(None), as_text(1.0), as_text(1e22)
    ('1', '1', 'true', None, '1.0', '10000000000000000000000')
    >>> looped = []
    >>> looped.append(looped)
    >>> as_text(looped), as_text({"at": {1, 2}})
    (None, None)
    """
    if value is None:
        return None
    if type(value) is str:
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        # Postgres stores a JSON number as a plain decimal: 1e22 reads back as 1000…0.
        return format(Decimal(repr(value)), "f") if value == value else repr(value)
    if isinstance(value, dict | list):
        try:
            return json.dumps(value)  # jsonb's text of an object or array
        except (ValueError, TypeError, RecursionError):
            # Nested too deep, looping on itself, or holding what JSON cannot write: no
            # text, hence no usable value.
            return None
    try:
        return str(value)
    except Exception:  # an integer too long for Python to print, a failing __str__
        return None


@dataclass(frozen=True, slots=True)
class TimedValue:
    """One event's value, kept where the order of events matters (sorted by ``ts``, ``key``)."""

    ts: int
    key: str
    value: int | Decimal


@dataclass(frozen=True, slots=True)
class Window:
    """The bounds an aggregation runs in, as integer microseconds (inclusive on both sides).

    ``from_us`` is ``charges_from_datetime`` truncated to milliseconds (as Lago's query does);
    ``end_us`` is ``charges_to_datetime`` rounded up to the second, the end of the weighted-sum
    timeline; ``prorated_days`` is the ceil-day count of the window.
    """

    from_us: int
    to_us: int
    started_us: int
    end_us: int
    duration_days: int
    prorated_days: int
    zone: ZoneInfo
    first_date: date
    last_date: date

    @classmethod
    def of(cls, period: BillingPeriod) -> Window:
        """The window of a billing period's charges."""
        tz = zone(period.timezone)
        from_us = micros(period.charges_from_datetime) // 1000 * 1000
        to_us = micros(period.charges_to_datetime)
        end_us = -(-to_us // 1_000_000) * 1_000_000
        return cls(
            from_us=from_us,
            to_us=to_us,
            started_us=micros(period.started_at),
            end_us=end_us,
            duration_days=period.charges_duration_days,
            prorated_days=ceil_days(period.charges_from_datetime, period.charges_to_datetime, tz),
            zone=tz,
            first_date=local_date(from_us, tz),
            last_date=local_date(to_us, tz),
        )

    @property
    def duration_micros(self) -> int:
        """The charges duration in microseconds (whole days, not DST-aware, as Lago)."""
        return self.duration_days * _MICROS_PER_DAY

    def days_to_end(self, ts: int) -> int:
        """Local calendar days from the event's date to the window's last date, inclusive."""
        return (self.last_date - local_date(ts, self.zone)).days + 1


@dataclass(frozen=True, slots=True)
class Options:
    """What a charge needs from its aggregation beyond plain units.

    ``keep_events`` keeps each event's value in time order (percentage free units and
    per-transaction bounds, prorated graduated); ``prorated`` and ``pay_in_advance`` switch the
    unit rules of those charges; ``precise_amounts`` sums ``precise_total_amount_cents``
    (dynamic charges); ``invoicing`` keeps a negative prorated total instead of flooring it
    at 0 as current usage does; ``retractable`` keeps what ``retract`` needs to
    take an event back out (an incremental state merging a duplicate, see ``usage_engine.state``).
    """

    recurring: bool = False
    prorated: bool = False
    pay_in_advance: bool = False
    keep_events: bool = False
    precise_amounts: bool = False
    invoicing: bool = False
    retractable: bool = False


@dataclass(frozen=True, slots=True)
class Aggregation:
    """One bucket's aggregation.

    ``units`` is what the charge model prices (prorated units for prorated charges, the
    highest level reached for pay-in-advance ones); ``current_units`` is what current usage
    displays as ``units``; ``full_units`` the non-prorated total (None unless prorated).
    ``events`` holds every counted event's value in time order when the charge asked for them;
    ``prorated_entries`` the (full, prorated) pairs prorated graduated pricing walks.
    """

    units: Decimal
    events_count: int
    current_units: Decimal
    total_aggregated_units: Decimal
    full_units: Decimal | None = None
    events: tuple[TimedValue, ...] = ()
    prorated_entries: tuple[tuple[Decimal, Decimal], ...] = field(default=())
    precise_total_amount_cents: Decimal = ZERO

    @classmethod
    def plain(cls, units: Decimal, events_count: int) -> Aggregation:
        """An aggregation whose units are shown and priced as they are."""
        return cls(units, events_count, units, units)


class AggregationState(Protocol):
    """A mergeable accumulator of one bucket's events.

    ``add`` takes one event (its timestamp in µs, its ``transaction_id`` and its value as the
    aggregation reads it); ``merge`` folds in another state of the same metric and window; the
    result does not depend on how the events were split between states, nor on their order.
    ``to_data`` gives the state as versioned plain data; the class's ``from_data(window,
    options, data, path)`` reads it back, checked (see ``aggregation.state_from_data``).
    """

    def add(self, ts: int, key: str, value: Any, amount: Decimal | None = None) -> None:
        """Fold in one event."""

    def merge(self, other: Self) -> None:
        """Fold in another state of the same metric and window."""

    def retract(self, ts: int, key: str, value: Any, amount: Decimal | None = None) -> None:
        """Take back out an event that was added (with the same arguments)."""

    def result(self) -> Aggregation:
        """The aggregation of every event added or merged so far."""

    def to_data(self) -> dict[str, Any]:
        """The state as JSON-compatible plain data, read back by its class's ``from_data``."""
