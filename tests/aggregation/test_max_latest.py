"""max_agg (spec 3.3) and latest_agg (spec 3.4)."""

from decimal import Decimal

from tests.factories import event, metric, month_period, utc
from usage_engine.aggregate import aggregate

MAY = month_period(2023, 5)


def _events(values):
    return [
        event("m", utc(2023, 5, 1 + index), {"value": value}) for index, value in enumerate(values)
    ]


def test_max_is_the_greatest_value():
    """Values 5, 20, 3 give 20 over 3 events."""
    result, _ = aggregate(metric("max_agg"), _events([5, 20, 3]), MAY)
    assert (result.units, result.events_count) == (Decimal(20), 3)


def test_max_without_events_is_zero():
    """No event gives 0 units."""
    result, _ = aggregate(metric("max_agg"), [], MAY)
    assert (result.units, result.events_count) == (Decimal(0), 0)


def test_latest_follows_the_last_event():
    """10 then 3 then 50 give 10, 3 and 50 as each arrives."""
    values = [10, 3, 50]
    seen = [aggregate(metric("latest_agg"), _events(values[:n]), MAY)[0].units for n in (1, 2, 3)]
    assert seen == [Decimal(10), Decimal(3), Decimal(50)]


def test_latest_negative_value_counts_as_zero():
    """A negative latest value is floored at 0."""
    result, _ = aggregate(metric("latest_agg"), _events([10, -4]), MAY)
    assert (result.units, result.events_count) == (Decimal(0), 2)


def test_latest_breaks_timestamp_ties_by_transaction_id_not_input_order():
    """Two events at one instant: the greater transaction_id wins whatever the order."""
    at = utc(2023, 5, 2)
    first = event("m", at, {"value": 1}, transaction_id="a")
    second = event("m", at, {"value": 2}, transaction_id="b")
    forward, _ = aggregate(metric("latest_agg"), [first, second], MAY)
    backward, _ = aggregate(metric("latest_agg"), [second, first], MAY)
    assert forward.units == backward.units == Decimal(2)
