"""percentage (spec 4.5)."""

from decimal import Decimal

import pytest

from tests.pricing.builders import events_input, units_input
from usage_engine.models import AggregationType, PercentageProperties
from usage_engine.money import to_cents
from usage_engine.pricing.percentage import price_percentage

COUNT = AggregationType.COUNT_AGG
# percentage_service_spec: running total [50, 150, 400] and 800 units over four events.
SERVICE_EVENTS = (50, 100, 250, 400)


def _props(**fields):
    return PercentageProperties(**fields)


@pytest.mark.parametrize(
    ("properties", "pricing_input", "expected"),
    [
        pytest.param(
            _props(
                rate="1.3",
                fixed_amount="2",
                free_units_per_events=3,
                free_units_per_total_aggregation="250",
            ),
            events_input(SERVICE_EVENTS),
            Decimal("11.15"),
            id="both free options: 250 free units and two free events",
        ),
        pytest.param(
            _props(rate="1.3", fixed_amount="2", free_units_per_events=3),
            events_input(SERVICE_EVENTS),
            Decimal("7.2"),
            id="three free events: 400 free units and one paid event",
        ),
        pytest.param(
            _props(rate="1.3", fixed_amount="2"),
            events_input(SERVICE_EVENTS),
            Decimal("18.4"),
            id="no free options: the rate on 800 units and four fixed fees",
        ),
        pytest.param(
            _props(rate="2.9"),
            units_input(4, aggregation_type=COUNT),
            Decimal("0.116"),
            id="four units at 2.9 percent",
        ),
    ],
)
def test_percentage_service_spec(properties, pricing_input, expected):
    """The percentage_service_spec amounts, with the running total built from the events."""
    assert price_percentage(properties, pricing_input) == expected


FREE_EVENTS = _props(rate="1", fixed_amount="5", free_units_per_events=3)
FREE_TOTAL = _props(rate="1", fixed_amount="5", free_units_per_total_aggregation="15")
BOTH_FREE = _props(
    rate="1", fixed_amount="5", free_units_per_events=3, free_units_per_total_aggregation="15"
)


@pytest.mark.parametrize(
    ("properties", "values", "expected", "cents"),
    [
        pytest.param(FREE_EVENTS, [10], Decimal(0), 0, id="k=3: first event free"),
        pytest.param(FREE_EVENTS, [10] * 3, Decimal(0), 0, id="k=3: three events free"),
        pytest.param(
            FREE_EVENTS, [10] * 4, Decimal("5.10"), 510, id="k=3: the fourth event pays 0.10 + 5"
        ),
        pytest.param(FREE_TOTAL, [4], Decimal(0), 0, id="F=15: 4 units free"),
        pytest.param(FREE_TOTAL, [4, 4], Decimal(0), 0, id="F=15: 8 units free"),
        pytest.param(FREE_TOTAL, [4, 4, 4], Decimal(0), 0, id="F=15: 12 units free"),
        pytest.param(
            FREE_TOTAL,
            [4, 4, 4, 4],
            Decimal("5.01"),
            501,
            id="F=15: 16 units pay 0.01 and one fixed fee",
        ),
        pytest.param(
            FREE_TOTAL,
            [4, 4, 4, 4, 10],
            Decimal("10.11"),
            1011,
            id="F=15: 26 units pay 0.11 and two fixed fees",
        ),
        pytest.param(BOTH_FREE, [10], Decimal(0), 0, id="k=3 and F=15: 10 units free"),
        pytest.param(
            BOTH_FREE,
            [10, 10],
            Decimal("5.05"),
            505,
            id="k=3 and F=15: 20 units pay 0.05 and one fixed fee",
        ),
        pytest.param(
            BOTH_FREE,
            [10, 10, 10],
            Decimal("10.15"),
            1015,
            id="k=3 and F=15: 30 units pay 0.15 and two fixed fees",
        ),
    ],
)
def test_percentage_scenario_free_units(properties, values, expected, cents):
    """The current-usage scenario's free units and free events, event after event."""
    amount = price_percentage(properties, events_input(values))
    assert (amount, to_cents(amount, "EUR")) == (expected, cents)


MIN_MAX = {
    "rate": "1",
    "fixed_amount": "1",
    "per_transaction_min_amount": "1.75",
    "per_transaction_max_amount": "12",
}


@pytest.mark.parametrize(
    "properties",
    [
        pytest.param(_props(**MIN_MAX), id="without pricing groups"),
        pytest.param(
            _props(**MIN_MAX, pricing_group_keys=["region"]), id="with pricing group keys"
        ),
    ],
)
def test_per_transaction_min_and_max(properties):
    """Events of 100, 1 000 and 10 000 cost 2 + 11 + 12 = 25 (2 500 cents) with bounds 1.75–12."""
    amount = price_percentage(properties, events_input([100, 1000, 10_000]))
    assert (amount, to_cents(amount, "EUR")) == (Decimal(25), 2500)


@pytest.mark.parametrize(
    ("properties", "pricing_input", "expected"),
    [
        pytest.param(
            _props(**MIN_MAX),
            events_input([]),
            Decimal(0),
            id="ING-13: no events cost nothing, not the minimum",
        ),
        pytest.param(
            _props(**MIN_MAX),
            events_input([1]),
            Decimal("1.75"),
            id="a small event is raised to the minimum",
        ),
        pytest.param(
            _props(**MIN_MAX, free_units_per_events=1),
            events_input([100, 1000]),
            Decimal(11),
            id="a free event costs nothing, not even the minimum",
        ),
        pytest.param(
            _props(**MIN_MAX, free_units_per_total_aggregation="150"),
            events_input([100, 1000]),
            Decimal("10.5"),
            id="the free total covers the first event and 50 units of the second",
        ),
        pytest.param(
            _props(rate="10", fixed_amount="0.1", per_transaction_min_amount="0.5"),
            units_input(3, aggregation_type=COUNT),
            Decimal("1.5"),
            id="count events are one unit each and raised to the minimum",
        ),
        pytest.param(
            _props(rate="1", per_transaction_max_amount="3"),
            events_input([100, 1000]),
            Decimal(4),
            id="a maximum alone caps the large event",
        ),
    ],
)
def test_per_transaction_details(properties, pricing_input, expected):
    """Per-transaction bounds price each event on its own after the free allowances."""
    assert price_percentage(properties, pricing_input) == expected


@pytest.mark.parametrize(
    ("properties", "units", "expected"),
    [
        pytest.param(
            _props(rate="10", fixed_amount="1", free_units_per_events=2),
            5,
            Decimal("3.3"),
            id="count: k free events free k units",
        ),
        pytest.param(
            _props(rate="10", fixed_amount="1", free_units_per_total_aggregation="2.5"),
            5,
            Decimal("3.25"),
            id="count: a decimal free total frees 2.5 units and two events",
        ),
        pytest.param(
            _props(rate="10", fixed_amount="1", free_units_per_events=9),
            5,
            Decimal(0),
            id="count: free events exceeding usage cost nothing",
        ),
        pytest.param(
            _props(rate="10", fixed_amount="1"), 0, Decimal(0), id="count: no events, no fee"
        ),
    ],
)
def test_count_running_total(properties, units, expected):
    """For counts the running total is 1, 2, …, units."""
    amount = price_percentage(properties, units_input(units, aggregation_type=COUNT))
    assert amount == expected


def test_sum_without_kept_events_is_refused():
    """A sum bucket with free units but no kept events is a caller error, not a silent 0."""
    properties = _props(rate="1", free_units_per_events=1)
    with pytest.raises(ValueError, match="keep_events"):
        price_percentage(properties, units_input(10, events_count=2))
