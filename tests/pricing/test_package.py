"""package (spec 4.4)."""

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.pricing import strategies
from tests.pricing.builders import units_input
from usage_engine.models import PackageProperties
from usage_engine.money import to_cents
from usage_engine.pricing.package import price_package

HUNDRED_PER_TEN = PackageProperties(amount="100", package_size=10)
FIVE_FREE = PackageProperties(amount="100", package_size=10, free_units=5)


@pytest.mark.parametrize(
    ("properties", "units", "expected"),
    [
        pytest.param(HUNDRED_PER_TEN, 3, Decimal(100), id="a started package is paid whole"),
        pytest.param(HUNDRED_PER_TEN, 15, Decimal(200), id="fifteen units are two packages"),
        pytest.param(HUNDRED_PER_TEN, 10, Decimal(100), id="a full package is one package"),
        pytest.param(HUNDRED_PER_TEN, 0, Decimal(0), id="no units cost nothing"),
        pytest.param(FIVE_FREE, 3, Decimal(0), id="free units exceeding usage cost nothing"),
        pytest.param(FIVE_FREE, 5, Decimal(0), id="usage equal to the free units costs nothing"),
        pytest.param(FIVE_FREE, 12, Decimal(100), id="seven paid units are one package"),
        pytest.param(
            PackageProperties(amount="1", package_size=3),
            "3.000000000000000000000000000001",
            Decimal(2),
            id="exact decimals: a hair over one package is two",
        ),
    ],
)
def test_package_amounts(properties, units, expected):
    """Paid units are rounded up to whole packages (package_spec)."""
    assert price_package(properties, units_input(units)) == expected


@pytest.mark.parametrize(
    ("properties", "units", "cents"),
    [
        pytest.param(HUNDRED_PER_TEN, 3, 10_000, id="3 units are 10 000 cents"),
        pytest.param(HUNDRED_PER_TEN, 15, 20_000, id="15 units are 20 000 cents"),
        pytest.param(FIVE_FREE, 3, 0, id="3 units with 5 free are 0 cents"),
        pytest.param(FIVE_FREE, 12, 10_000, id="12 units with 5 free are 10 000 cents"),
    ],
)
def test_package_spec_in_cents(properties, units, cents):
    """The package_spec amounts become its cents."""
    assert to_cents(price_package(properties, units_input(units)), "EUR") == cents


@given(
    units=strategies.decimal_units(),
    amount=strategies.prices(),
    size=st.integers(min_value=1, max_value=50),
    free=st.integers(min_value=0, max_value=50),
)
def test_package_is_ceil_of_paid_units_over_size(units, amount, size, free):
    """The amount is ceil(max(units − free, 0) / size) × amount, computed with fractions."""
    properties = PackageProperties(amount=amount, package_size=size, free_units=free)
    packages = math.ceil(max(Fraction(units) - free, Fraction(0)) / size)
    assert price_package(properties, units_input(units)) == packages * amount
