"""graduated (spec 4.2)."""

from decimal import Decimal

import pytest
from hypothesis import given

from tests.pricing import strategies
from tests.pricing.builders import graduated, units_input
from usage_engine.money import to_cents
from usage_engine.pricing.graduated import price_graduated

LAGO_SPEC = graduated((0, 10, 10, 2), (11, 20, 5, 3), (21, None, 5, 3))
ADJACENT_DECIMALS = graduated((0, "0.1", 10, 0), ("0.1", 1, 5, 0), (1, None, 2, 0))
FREE_FIRST_TIER = graduated((0, "0.01", 0, 0), ("0.01", 10, 1, 2), (10, None, 1, 0))
SCENARIO = graduated((0, 5, 10, 100), (6, None, 5, 50))
ONE_TIER = graduated((0, None, "0.01", "0.01"))
MIXED = graduated((0, 10, 1, 0), (10, 20, 1, 0), (21, None, 1, 0))


@pytest.mark.parametrize(
    ("properties", "units", "expected"),
    [
        pytest.param(LAGO_SPEC, 0, Decimal(2), id="zero units cost the first flat amount"),
        pytest.param(LAGO_SPEC, 1, Decimal(12), id="one unit is in the first tier"),
        pytest.param(LAGO_SPEC, 10, Decimal(102), id="the first tier's last unit"),
        pytest.param(LAGO_SPEC, 11, Decimal(110), id="the second tier's first unit adds its flat"),
        pytest.param(LAGO_SPEC, 12, Decimal(115), id="two units in the second tier"),
        pytest.param(LAGO_SPEC, 21, Decimal(163), id="one unit in the open tier"),
        pytest.param(
            ADJACENT_DECIMALS, "0.05", Decimal("0.5"), id="adjacent decimal ranges, first tier"
        ),
        pytest.param(
            ADJACENT_DECIMALS,
            "0.5",
            Decimal("3.0"),
            id="adjacent decimal ranges do not count the shared bound twice",
        ),
        pytest.param(FREE_FIRST_TIER, 0, Decimal(0), id="a zero first flat makes zero units free"),
        pytest.param(SCENARIO, 3, Decimal(130), id="three events in the first tier (13 000 cents)"),
        pytest.param(SCENARIO, 8, Decimal(215), id="eight events reach the second tier (21 500)"),
        pytest.param(SCENARIO, 0, Decimal(100), id="ING-13: no events cost the first flat 100"),
        pytest.param(ONE_TIER, 4, Decimal("0.05"), id="single open tier 0.01 plus flat 0.01"),
        pytest.param(
            MIXED,
            15,
            Decimal(16),
            id="quirk: mixed boundaries disable adjacent mode and count 10 twice",
        ),
    ],
)
def test_graduated_amounts(properties, units, expected):
    """Each tier reached prices its units and adds its flat amount (graduated_service_spec)."""
    assert price_graduated(properties, units_input(units)) == expected


@pytest.mark.parametrize(
    ("units", "cents"),
    [
        pytest.param(3, 13_000, id="three events are 13 000 cents"),
        pytest.param(8, 21_500, id="eight events are 21 500 cents"),
        pytest.param(0, 10_000, id="no events are 10 000 cents"),
    ],
)
def test_scenario_in_cents(units, cents):
    """The current-usage scenario amounts become the spec's cents."""
    assert to_cents(price_graduated(SCENARIO, units_input(units)), "EUR") == cents


def test_single_tier_in_cents():
    """Four units at 0.01 plus a 0.01 flat are 5 cents (usage_controller_spec)."""
    assert to_cents(price_graduated(ONE_TIER, units_input(4)), "EUR") == 5


def _naive(properties, units):
    # Unit by unit: unit u costs the price of the tier holding it; a tier's flat is due once
    # any of its units (or, for the first tier, none) is reached.
    tiers = properties.graduated_ranges
    total = sum(
        (
            tiers[0].flat_amount,
            *(tier.flat_amount for tier in tiers[1:] if units >= tier.from_value),
        ),
        Decimal(0),
    )
    for unit in range(1, int(units) + 1):
        holder = next(tier for tier in tiers if tier.to_value is None or unit <= tier.to_value)
        total += holder.per_unit_amount
    return total


@given(properties=strategies.graduated_properties(), units=strategies.integer_units())
def test_graduated_matches_a_unit_by_unit_loop(properties, units):
    """For whole units and non-adjacent integer tiers, the walk equals a unit-by-unit sum."""
    assert price_graduated(properties, units_input(units)) == _naive(properties, units)


@given(
    properties=strategies.graduated_properties(),
    smaller=strategies.decimal_units(),
    larger=strategies.decimal_units(),
)
def test_graduated_never_decreases(properties, smaller, larger):
    """With non-negative prices, more units never cost less."""
    smaller, larger = sorted((smaller, larger))
    low = price_graduated(properties, units_input(smaller))
    high = price_graduated(properties, units_input(larger))
    assert low <= high
