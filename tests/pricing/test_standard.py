"""standard (spec 4.1)."""

from decimal import Decimal

import pytest

from tests.pricing.builders import units_input
from usage_engine.models import AggregationType, StandardProperties
from usage_engine.money import to_cents
from usage_engine.pricing.standard import price_standard


@pytest.mark.parametrize(
    ("amount", "pricing_input", "expected"),
    [
        pytest.param(
            "12.5",
            units_input(4, aggregation_type=AggregationType.COUNT_AGG),
            Decimal("50.0"),
            id="four events at 12.5 cost 50 (standard_spec, 5 000 cents)",
        ),
        pytest.param("12.5", units_input(0), Decimal(0), id="no units cost nothing"),
        pytest.param(
            "0.0001",
            units_input("3.33333"),
            Decimal("0.000333333"),
            id="fractional units and prices are not rounded",
        ),
        pytest.param(
            "29",
            units_input("8.27587", full_units=10, prorated=True),
            Decimal("240.00023"),
            id="a prorated charge prices its prorated units",
        ),
    ],
)
def test_prices_units_times_amount(amount, pricing_input, expected):
    """The amount is the units times the unit amount, exactly."""
    assert price_standard(StandardProperties(amount=amount), pricing_input) == expected


def test_standard_spec_in_cents():
    """Four events at 12.5 EUR are 5 000 cents once rounded (standard_spec)."""
    amount = price_standard(StandardProperties(amount="12.5"), units_input(4))
    assert to_cents(amount, "EUR") == 5000
