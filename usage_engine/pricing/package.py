"""``package``: units sold in whole packages after the free units (spec 4.4)."""

from __future__ import annotations

from decimal import Decimal

from ..models import PackageProperties
from ..money import CONTEXT, EXACT
from ._base import PricingInput

__all__ = ["price_package"]

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
    # quotient and remainder never misses a package (spec 4.4, quirk Q10).
    whole, rest = CONTEXT.divmod(paid_units, properties.package_size)
    packages = EXACT.add(whole, 1) if rest else whole
    return EXACT.multiply(packages, properties.amount)
