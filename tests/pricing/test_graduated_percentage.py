"""graduated_percentage (spec 4.3)."""

from decimal import Decimal

import pytest

from tests.pricing.builders import graduated_percentage, units_input
from usage_engine.money import to_cents
from usage_engine.pricing.graduated_percentage import price_graduated_percentage

LAGO_SPEC = graduated_percentage((0, 10, 1, 200), (11, 20, 2, 300), (21, None, 3, 400))
SCENARIO = graduated_percentage((0, 100, 5, 0), (101, None, 2, 10))
ADJACENT = graduated_percentage((0, 10, 1, 0), (10, None, 10, 0))


@pytest.mark.parametrize(
    ("properties", "units", "expected"),
    [
        pytest.param(LAGO_SPEC, 0, Decimal(200), id="zero units cost the first flat amount"),
        pytest.param(LAGO_SPEC, 1, Decimal("200.01"), id="one unit at 1 percent"),
        pytest.param(LAGO_SPEC, 10, Decimal("200.10"), id="the first tier's last unit"),
        pytest.param(
            LAGO_SPEC, 11, Decimal("500.12"), id="the second tier's first unit adds its flat"
        ),
        pytest.param(
            LAGO_SPEC,
            21,
            Decimal("900.33"),
            id="a full second tier holds ten units and the open tier one",
        ),
        pytest.param(SCENARIO, 50, Decimal("2.50"), id="fifty units at 5 percent (250 cents)"),
        pytest.param(
            SCENARIO, 150, Decimal("16.00"), id="150 units reach the second tier (1 600 cents)"
        ),
        pytest.param(
            ADJACENT,
            15,
            Decimal("0.7"),
            id="no adjacent mode: a tier starting at 10 counts unit 10 again",
        ),
    ],
)
def test_graduated_percentage_amounts(properties, units, expected):
    """Each tier reached takes its rate of its units plus its flat amount."""
    assert price_graduated_percentage(properties, units_input(units)) == expected


@pytest.mark.parametrize(
    ("units", "cents"),
    [
        pytest.param(50, 250, id="fifty units are 250 cents"),
        pytest.param(150, 1600, id="150 units are 1 600 cents"),
    ],
)
def test_scenario_in_cents(units, cents):
    """The scenario amounts become the spec's cents (by_charge_model/graduated_percentage_spec)."""
    amount = price_graduated_percentage(SCENARIO, units_input(units))
    assert to_cents(amount, "EUR") == cents
