"""count_agg (spec 3.1) and the event window (spec 2.2)."""

from datetime import timedelta
from decimal import Decimal

from tests.factories import event, metric, month_period, utc
from usage_engine.aggregate import aggregate

COUNT = metric("count_agg")
MARCH = month_period(2024, 3)


def test_counts_events_in_the_period():
    """Three events give three units and an events_count of three."""
    events = [event("m", utc(2024, 3, day)) for day in (1, 10, 31)]
    result, _ = aggregate(COUNT, events, MARCH)
    assert (result.units, result.events_count) == (Decimal(3), 3)


def test_bounds_are_inclusive_and_the_end_is_the_period_end():
    """The first and the last microsecond count; the instants just outside do not."""
    start, end = MARCH.charges_from_datetime, MARCH.charges_to_datetime
    us = timedelta(microseconds=1)
    stamps = [start, end, start - timedelta(milliseconds=1), end + us]
    events = [event("m", at.isoformat()) for at in stamps]
    result, _ = aggregate(COUNT, events, MARCH)
    assert result.units == Decimal(2)


def test_future_events_inside_the_period_count():
    """An event stamped after now but before the period end counts (spec 2.2)."""
    result, _ = aggregate(COUNT, [event("m", utc(2024, 3, 31, 23, 59, 59))], MARCH)
    assert result.units == Decimal(1)


def test_events_a_day_after_the_period_do_not_count():
    """Lago's "events out of bounds" case: events at to_datetime + 1 day give 0."""
    late = MARCH.charges_to_datetime + timedelta(days=1)
    result, _ = aggregate(COUNT, [event("m", late), event("m", late)], MARCH)
    assert (result.units, result.events_count) == (Decimal(0), 0)


def test_events_of_other_subscriptions_and_codes_are_ignored():
    """Only the period's subscription and the metric's code count (spec 2.1)."""
    events = [
        event("m", utc(2024, 3, 5)),
        event("m", utc(2024, 3, 5), subscription="other"),
        event("other_code", utc(2024, 3, 5)),
    ]
    result, _ = aggregate(COUNT, events, MARCH)
    assert result.units == Decimal(1)


def test_lower_bound_is_truncated_to_milliseconds():
    """A start at .500123 s admits an event at .500000 s, as Lago's query truncates the bound."""
    from tests.factories import month_period as build

    started = utc(2024, 3, 5, 10, 0, 0, 500123)
    period = build(2024, 3, started_at=started)
    at = utc(2024, 3, 5, 10, 0, 0, 500000).isoformat()
    result, _ = aggregate(COUNT, [event("m", at)], period)
    assert result.units == Decimal(1)
