"""Pricing one fee of each charge of the benchmark plan, and rounding it to cents."""

from __future__ import annotations

from decimal import Decimal

import pytest

from usage_engine.aggregation import Aggregation
from usage_engine.money import to_cents
from usage_engine.pricing import PricingInput, price

UNITS = {
    "api_calls_standard": Decimal(123_456),
    "storage_graduated": Decimal("1234.567"),
    "seats_volume": Decimal(250),
    "users_package": Decimal(2_350),
    "tokens_graduated": Decimal(12_345_678),
}


@pytest.mark.parametrize("code", list(UNITS))
def test_price_charge(benchmark, plan, code):
    """One bucket's amount from its aggregated units (standard, graduated, volume, package)."""
    charge = next(item for item in plan.charges if item.code == code)
    units = UNITS[code]
    pricing = PricingInput(
        Aggregation.plain(units, 1), charge.billable_metric.aggregation_type, False, "USD"
    )
    amount = benchmark(price, charge.charge_model, charge.properties, pricing)
    assert amount > 0


def test_to_cents(benchmark):
    """Rounding an amount to USD cents, half up."""
    assert benchmark(to_cents, Decimal("1234.56789"), "USD") == 123457
