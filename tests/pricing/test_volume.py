"""volume (spec 4.6)."""

from decimal import Decimal

import pytest
from hypothesis import given

from tests.pricing import strategies
from tests.pricing.builders import units_input, volume
from usage_engine.errors import InvalidInput
from usage_engine.models import StandardProperties
from usage_engine.money import to_cents
from usage_engine.pricing.standard import price_standard
from usage_engine.pricing.volume import price_volume

LAGO_SPEC = volume((0, 100, 2, 10), (101, 200, 1, 0), (201, None, "0.5", 50))
SCENARIO = volume((0, 10, 5, 100), (11, None, 2, 50))


@pytest.mark.parametrize(
    ("properties", "pricing_input", "expected"),
    [
        pytest.param(LAGO_SPEC, units_input(0), Decimal(10), id="zero units cost the flat amount"),
        pytest.param(LAGO_SPEC, units_input(1), Decimal(12), id="one unit in the first range"),
        pytest.param(LAGO_SPEC, units_input(100), Decimal(210), id="the first range's last unit"),
        pytest.param(
            LAGO_SPEC,
            units_input("100.5"),
            Decimal("100.5"),
            id="100.5 units fall in the second range by their ceiling",
        ),
        pytest.param(LAGO_SPEC, units_input(300), Decimal(200), id="300 units in the open range"),
        pytest.param(
            LAGO_SPEC,
            units_input("198.6", full_units=300, prorated=True),
            Decimal("149.3"),
            id="prorated: full units choose the range, prorated units are priced",
        ),
        pytest.param(
            LAGO_SPEC,
            units_input("198.6", full_units=300),
            Decimal("198.6"),
            id="not prorated: full units are ignored and 198.6 is in the second range",
        ),
        pytest.param(SCENARIO, units_input(5), Decimal(125), id="five units (12 500 cents)"),
        pytest.param(
            SCENARIO, units_input(15), Decimal(80), id="fifteen units cost less (8 000 cents)"
        ),
        pytest.param(
            SCENARIO,
            units_input(0, full_units=-4, prorated=True),
            Decimal(100),
            id="engine choice: a negative full total is looked up as zero",
        ),
    ],
)
def test_volume_amounts(properties, pricing_input, expected):
    """All units are priced at the range the total falls in, plus its flat amount."""
    assert price_volume(properties, pricing_input) == expected


@pytest.mark.parametrize(
    ("units", "cents"),
    [
        pytest.param(5, 12_500, id="five units are 12 500 cents"),
        pytest.param(15, 8_000, id="fifteen units are 8 000 cents"),
    ],
)
def test_scenario_in_cents(units, cents):
    """The by_charge_model/volume_spec amounts become its cents."""
    assert to_cents(price_volume(SCENARIO, units_input(units)), "EUR") == cents


@pytest.mark.parametrize(
    ("properties", "units"),
    [
        pytest.param(volume((1, 10, 1, 0), (11, None, 1, 0)), 0, id="ranges from 1, no usage"),
        pytest.param(
            volume((0, 10, 1, 0), (12, None, 1, 0)), 11, id="a total in a gap between ranges"
        ),
    ],
)
def test_no_matching_range_is_invalid_input(properties, units):
    """A total no range holds raises InvalidInput naming the ranges, as Lago fails there."""
    with pytest.raises(InvalidInput, match=r"no volume range holds") as caught:
        price_volume(properties, units_input(units))
    assert caught.value.path == "properties.volume_ranges"


@given(price=strategies.prices(), units=strategies.decimal_units())
def test_one_open_range_equals_standard(price, units):
    """A single open range without flat amount prices like standard at the same unit price."""
    properties = volume((0, None, price, 0))
    pricing_input = units_input(units)
    expected = price_standard(StandardProperties(amount=price), pricing_input)
    assert price_volume(properties, pricing_input) == expected


@given(
    properties=strategies.volume_properties(non_decreasing=True),
    smaller=strategies.decimal_units(),
    larger=strategies.decimal_units(),
)
def test_volume_never_decreases_with_non_decreasing_prices(properties, smaller, larger):
    """When no range is cheaper than the one below, more units never cost less.

    (With cheaper upper ranges volume does drop: 5 units cost 125 and 15 cost 80 above.)
    """
    smaller, larger = sorted((smaller, larger))
    low = price_volume(properties, units_input(smaller))
    high = price_volume(properties, units_input(larger))
    assert low <= high


@given(properties=strategies.volume_properties(), units=strategies.integer_units())
def test_volume_never_decreases_within_a_range(properties, units):
    """One more unit in the same range never costs less, whatever the prices."""
    tier = next(
        tier
        for tier in properties.volume_ranges
        if tier.to_value is None or units + 1 <= tier.to_value
    )
    if units < tier.from_value:
        units = tier.from_value
    assert price_volume(properties, units_input(units)) <= price_volume(
        properties, units_input(units + 1)
    )
