"""unique_count_agg (spec 3.5, 3.9, 6.1)."""

from datetime import date
from decimal import Decimal

import pytest

from tests.factories import event, metric, month_period, span_period, utc
from usage_engine.aggregate import aggregate
from usage_engine.aggregation import Options

UNIQUE = metric("unique_count_agg", field_name="item")
RECURRING = metric("unique_count_agg", field_name="item", recurring=True)
MAY = month_period(2023, 5)


def _change(at, item, operation=None, **extra):
    properties = {"item": item}
    if operation:
        properties["operation_type"] = operation
    return event("m", at, properties, **extra)


def test_counts_distinct_values():
    """Items 001, 002 and 001 again give 2 units, and events_count is the units."""
    events = [
        _change(utc(2023, 5, 2), "001"),
        _change(utc(2023, 5, 3), "002"),
        _change(utc(2023, 5, 4), "001"),
    ]
    result, _ = aggregate(UNIQUE, events, MAY)
    assert (result.units, result.events_count) == (Decimal(2), 2)


def test_values_are_compared_as_text():
    """The number 1 and the string "1" are the same value."""
    events = [_change(utc(2023, 5, 2), 1), _change(utc(2023, 5, 3), "1")]
    assert aggregate(UNIQUE, events, MAY)[0].units == Decimal(1)


def test_removed_values_do_not_count_and_leading_removes_are_no_ops():
    """add a, remove a, remove b, add c: only c is present."""
    events = [
        _change(utc(2023, 5, 2), "a"),
        _change(utc(2023, 5, 3), "a", "remove"),
        _change(utc(2023, 5, 4), "b", "remove"),
        _change(utc(2023, 5, 5), "c", "add"),
    ]
    assert aggregate(UNIQUE, events, MAY)[0].units == Decimal(1)


def test_events_without_the_field_are_ignored():
    """Q3: Lago counts a missing field as one value; the engine ignores such events."""
    events = [event("m", utc(2023, 5, 2), {}), event("m", utc(2023, 5, 3), {"item": None})]
    assert aggregate(UNIQUE, events, MAY)[0].units == Decimal(0)


def test_recurring_unique_count_keeps_values_added_earlier():
    """An item added in March still counts in May when recurring, not otherwise."""
    events = [_change(utc(2023, 3, 2), "a")]
    assert aggregate(RECURRING, events, MAY)[0].units == Decimal(1)
    assert aggregate(UNIQUE, events, MAY)[0].units == Decimal(0)


PRORATED_PERIOD = span_period(date(2022, 7, 9), date(2022, 8, 8))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param([(utc(2022, 6, 1), "add")], "1.00000", id="added before the period"),
        pytest.param([(utc(2022, 7, 24), "add")], "0.51613", id="added on July 24"),
        pytest.param(
            [(utc(2022, 6, 1), "add"), (utc(2022, 7, 24), "remove")],
            "0.51613",
            id="carried over and removed on July 24",
        ),
        pytest.param(
            [(utc(2022, 7, 10), "add"), (utc(2022, 8, 7), "remove")],
            "0.93549",
            id="added July 10 and removed August 7",
        ),
        pytest.param(
            [
                (utc(2022, 7, 20, 1), "add"),
                (utc(2022, 7, 20, 2), "remove"),
                (utc(2022, 7, 20, 3), "add"),
                (utc(2022, 7, 20, 4), "remove"),
            ],
            "0.03226",
            id="add remove add remove within one day",
        ),
        pytest.param(
            [(utc(2022, 6, 1), "add"), (utc(2022, 6, 5), "remove")],
            "0.00000",
            id="added and removed before the period",
        ),
    ],
)
def test_prorated_unique_count(changes, expected):
    """Presence days over 31 (unique_count_service_spec, period 2022-07-09..08-08)."""
    events = [_change(at, "seat", operation) for at, operation in changes]
    options = Options(recurring=True, prorated=True)
    result, _ = aggregate(RECURRING, events, PRORATED_PERIOD, options=options)
    assert result.units == Decimal(expected)


def test_prorated_unique_count_of_a_late_start():
    """A subscription started 2022-08-01 with one seat: 8/31 = 0.25807."""
    period = span_period(date(2022, 7, 9), date(2022, 8, 8), started_at=utc(2022, 8, 1))
    events = [_change(utc(2022, 8, 1), "seat")]
    options = Options(recurring=True, prorated=True)
    assert aggregate(RECURRING, events, period, options=options)[0].units == Decimal("0.25807")


def test_pay_in_advance_keeps_the_peak():
    """seat_1 add, remove, seat_2 add: shown 1, 0, 1; priced 1 throughout (spec 6.1)."""
    changes = [
        _change(utc(2023, 5, 2), "seat_1", transaction_id="a"),
        _change(utc(2023, 5, 3), "seat_1", "remove", transaction_id="b"),
        _change(utc(2023, 5, 4), "seat_2", transaction_id="c"),
    ]
    options = Options(pay_in_advance=True)
    seen = [
        (result.current_units, result.units)
        for result, _ in (aggregate(UNIQUE, changes[:n], MAY, options=options) for n in (1, 2, 3))
    ]
    assert seen == [(Decimal(1), Decimal(1)), (Decimal(0), Decimal(1)), (Decimal(1), Decimal(1))]


def test_pay_in_advance_prorated_seat():
    """Started 2024-02-23 01:00, seat at 01:02: 7/29 of a unit, still after its removal."""
    period = month_period(2024, 2, started_at=utc(2024, 2, 23, 1))
    options = Options(recurring=True, prorated=True, pay_in_advance=True)
    added = _change(utc(2024, 2, 23, 1, 2), "seat", transaction_id="a")
    removed = _change(utc(2024, 2, 29), "seat", "remove", transaction_id="b")
    first, _ = aggregate(RECURRING, [added], period, options=options)
    second, _ = aggregate(RECURRING, [added, removed], period, options=options)
    assert (first.current_units, first.units) == (Decimal(1), Decimal("0.24138"))
    assert (second.current_units, second.units) == (Decimal(0), Decimal("0.24138"))
