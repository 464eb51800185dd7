"""dynamic (spec 4.7)."""

from decimal import Decimal

import pytest

from tests.pricing.builders import units_input
from usage_engine.models import DynamicProperties
from usage_engine.money import to_cents
from usage_engine.pricing.dynamic import price_dynamic


@pytest.mark.parametrize(
    ("pricing_input", "expected", "cents"),
    [
        pytest.param(
            units_input(20, precise_cents=Decimal("10.1") + Decimal("901.9")),
            Decimal("9.12"),
            912,
            id="10.1 and 901.9 precise cents make 9.12 EUR (dynamic_spec)",
        ),
        pytest.param(
            units_input(10, precise_cents="10.1"),
            Decimal("0.101"),
            10,
            id="a group of 10.1 precise cents rounds to 10 cents",
        ),
        pytest.param(
            units_input(10, precise_cents="901.9"),
            Decimal("9.019"),
            902,
            id="a group of 901.9 precise cents rounds to 902 cents",
        ),
        pytest.param(
            units_input(0, precise_cents="500"),
            Decimal(0),
            0,
            id="a bucket with zero units costs nothing",
        ),
        pytest.param(
            units_input(3, precise_cents="912", currency="JPY"),
            Decimal(912),
            912,
            id="a zero-decimal currency divides by one",
        ),
        pytest.param(
            units_input(3, precise_cents="1500", currency="KWD"),
            Decimal("1.5"),
            1500,
            id="a three-decimal currency divides by a thousand",
        ),
    ],
)
def test_dynamic_amounts(pricing_input, expected, cents):
    """The amount is the events' precise cents in currency units."""
    amount = price_dynamic(DynamicProperties(), pricing_input)
    assert (amount, to_cents(amount, pricing_input.currency)) == (expected, cents)
