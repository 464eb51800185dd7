"""sum_agg (spec 2.1, 3.2, 3.9, 6.1)."""

from decimal import Decimal

import pytest

from tests.factories import event, metric, month_period, utc
from usage_engine.aggregate import aggregate
from usage_engine.aggregation import Options

MAY = month_period(2023, 5)


def _events(values, day=10):
    return [event("m", utc(2023, 5, day), {"value": value}) for value in values]


def test_sums_values_and_ignores_non_numeric_fields():
    """Four events of 12 and one "foo_bar" give 48 over 4 events (sum_service_spec)."""
    result, _ = aggregate(metric("sum_agg"), _events([12, 12, 12, 12, "foo_bar"]), MAY)
    assert (result.units, result.events_count) == (Decimal(48), 4)


def test_events_without_the_field_are_not_counted():
    """With the field absent on every event, units and events_count are 0."""
    events = [event("m", utc(2023, 5, 10), {"other": 3}) for _ in range(3)]
    result, _ = aggregate(metric("sum_agg"), events, MAY)
    assert (result.units, result.events_count) == (Decimal(0), 0)


@pytest.mark.parametrize(
    ("value", "counted"),
    [
        pytest.param("12", True, id="integer text counts"),
        pytest.param("-1.5", True, id="negative decimal text counts"),
        pytest.param(2.5, True, id="a JSON float counts"),
        pytest.param("1e3", False, id="exponent text is ignored"),
        pytest.param("+5", False, id="a leading plus is ignored"),
        pytest.param(".5", False, id="a leading dot is ignored"),
        pytest.param("5.", False, id="a trailing dot is ignored"),
        pytest.param(True, False, id="a boolean is ignored"),
        pytest.param(None, False, id="null is ignored"),
    ],
)
def test_only_plain_decimal_values_count(value, counted):
    """The field must read -?digits[.digits] or be a JSON number (spec 2.1)."""
    result, _ = aggregate(metric("sum_agg"), _events([value]), MAY)
    assert result.events_count == int(counted)


def test_recurring_sum_carries_every_earlier_event():
    """Two old 2.5s and four 12s: 48 over 4 non-recurring, 53 over 6 recurring."""
    old = [event("m", utc(2023, 2, 10), {"value": "2.5"}) for _ in range(2)]
    events = old + _events([12] * 4)
    plain, _ = aggregate(metric("sum_agg"), events, MAY)
    recurring, _ = aggregate(metric("sum_agg", recurring=True), events, MAY)
    assert (plain.units, plain.events_count) == (Decimal(48), 4)
    assert (recurring.units, recurring.events_count) == (Decimal("53.0"), 6)


def test_rounding_is_applied_to_the_bucket_total():
    """12+12+12+12.434 = 48.434, ceil at 2 decimals gives 48.44 (spec 3.10)."""
    recipe = metric("sum_agg", rounding_function="ceil", rounding_precision=2)
    result, _ = aggregate(recipe, _events([12, 12, 12, "12.434"]), MAY)
    assert result.units == Decimal("48.44")


def test_prorated_sum():
    """May 2023, 5 carried over and two 12s on May 26: 5 + 24 × 6/31 = 9.64517 (spec 3.9)."""
    old = [event("m", utc(2023, 1, 10), {"value": "2.5"}) for _ in range(2)]
    recipe = metric("sum_agg", recurring=True)
    options = Options(recurring=True, prorated=True)
    result, _ = aggregate(recipe, old + _events([12, 12], day=26), MAY, options=options)
    assert result.units == Decimal("9.64517")
    assert result.events_count == 4
    assert result.full_units == Decimal("29.0")
    assert result.current_units == Decimal("29.0")


def test_prorated_sum_counts_an_event_at_the_period_start_once():
    """An event exactly on from_datetime is prorated over the whole period, not carried over."""
    recipe = metric("sum_agg", recurring=True)
    options = Options(recurring=True, prorated=True)
    events = [event("m", utc(2023, 5, 1), {"value": 31})]
    result, _ = aggregate(recipe, events, MAY, options=options)
    assert (result.units, result.full_units) == (Decimal("31.00000"), Decimal(31))


def test_pay_in_advance_prorated_sum_keeps_the_peak():
    """February 2024: +10 on the 6th prices 10 × 24/29; −5 then +2 change the units only."""
    february = month_period(2024, 2)
    recipe = metric("sum_agg", recurring=True)
    options = Options(recurring=True, prorated=True, pay_in_advance=True)
    steps = [(6, 10), (10, -5), (12, 2)]
    shown = []
    for count in range(1, 4):
        events = [
            event("m", utc(2024, 2, day), {"value": value}, transaction_id=f"t{day}")
            for day, value in steps[:count]
        ]
        result, _ = aggregate(recipe, events, february, options=options)
        shown.append((result.current_units, result.units))
    expected_units = Decimal("8.27587")  # ceil(10 × 24 / 29, 5)
    assert shown == [
        (Decimal(10), expected_units),
        (Decimal(5), expected_units),
        (Decimal(7), expected_units),
    ]


def test_pay_in_advance_recurring_sum_adds_the_peak_to_the_carried_balance():
    """5 carried over, then +6 and −2 in the period: amount units 5 + 6 = 11, shown 9."""
    recipe = metric("sum_agg", recurring=True)
    options = Options(recurring=True, pay_in_advance=True)
    events = [
        event("m", utc(2023, 3, 1), {"value": 5}),
        event("m", utc(2023, 5, 2), {"value": 6}),
        event("m", utc(2023, 5, 3), {"value": -2}),
    ]
    result, _ = aggregate(recipe, events, MAY, options=options)
    assert (result.units, result.current_units) == (Decimal(11), Decimal(9))


def test_pay_in_advance_negative_first_event_seeds_the_peak_at_zero():
    """Q7: a first event of −3 then +5 peaks at 2, never below 0."""
    options = Options(pay_in_advance=True)
    events = [
        event("m", utc(2023, 5, 2), {"value": -3}),
        event("m", utc(2023, 5, 3), {"value": 5}),
    ]
    result, _ = aggregate(metric("sum_agg"), events, MAY, options=options)
    assert (result.units, result.current_units) == (Decimal(2), Decimal(2))


def test_dynamic_amounts_are_summed_from_precise_cents():
    """precise_total_amount_cents of the counted events add up (spec 4.7)."""
    options = Options(precise_amounts=True)
    events = [
        event("m", utc(2023, 5, 2), {"value": 10}, precise_total_amount_cents="10.1"),
        event("m", utc(2023, 5, 3), {"value": 10}, precise_total_amount_cents=901.9),
        event("m", utc(2023, 5, 3), {"value": "x"}, precise_total_amount_cents="5"),
    ]
    result, _ = aggregate(metric("sum_agg"), events, MAY, options=options)
    assert result.precise_total_amount_cents == Decimal("912.0")
