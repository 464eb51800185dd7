"""``package``: units sold in whole packages after the free units."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import field_validator

from ..models._base import Amount, NonNegativeInt
from ..models.properties import ChargeModel, ChargePropertiesBase
from ..money import CONTEXT, EXACT
from ._base import PricingInput
from ._record import ChargeModelRecord

if TYPE_CHECKING:
    from hypothesis.strategies import DrawFn

__all__ = ["RECORD", "PackageProperties", "price_package"]

ZERO = Decimal(0)


def price_package(properties: PackageProperties, pricing_input: PricingInput) -> Decimal:
    """Return ``ceil((units − free_units) / package_size) × amount``, or 0 below the free units.

    Free units exceeding the usage cost nothing, and a started package is charged whole:

    >>> from usage_engine.aggregation import Aggregation
    >>> from usage_engine.models import AggregationType
    >>> def at(units):
    ...     aggregation = Aggregation.plain(Decimal(units), units)
    ...     return PricingInput(aggregation, AggregationType.COUNT_AGG, False, "EUR")
    >>> properties = PackageProperties(amount="100", package_size=10, free_units=5)
    >>> [price_package(properties, at(n)) for n in (3, 5, 6, 15, 16)]
    [Decimal('0'), Decimal('0'), Decimal('100'), Decimal('100'), Decimal('200')]
    """
    paid_units = EXACT.subtract(pricing_input.aggregation.units, properties.free_units)
    if paid_units <= 0:
        return ZERO
    # Lago: charge_models/package_service.rb divides in floats before the ceil; an exact
    # quotient and remainder never misses a package (docs/lago-differences.md, Q10).
    whole, rest = CONTEXT.divmod(paid_units, properties.package_size)
    packages = EXACT.add(whole, 1) if rest else whole
    return EXACT.multiply(packages, properties.amount)


class PackageProperties(ChargePropertiesBase):
    """``package``: ``ceil((units − free_units) / package_size) × amount``."""

    amount: Amount
    package_size: NonNegativeInt
    free_units: NonNegativeInt = 0

    @field_validator("package_size")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            msg = "must be greater than 0"
            raise ValueError(msg)
        return value


def _draw(draw: DrawFn) -> dict[str, Any]:
    from hypothesis import strategies as st

    from .._strategies.values import amounts

    return {
        "amount": draw(amounts()),
        "package_size": draw(st.integers(1, 100)),
        "free_units": draw(st.integers(0, 50)),
    }


RECORD = ChargeModelRecord(
    model=ChargeModel.PACKAGE,
    properties=PackageProperties,
    pricer=price_package,
    draw_properties=_draw,
    # Lago prices the rounded projected units.
    lago_projection=price_package,
)
"""``package``."""
