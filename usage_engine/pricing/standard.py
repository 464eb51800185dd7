"""``standard``: every unit at the same price (spec 4.1)."""

from __future__ import annotations

from decimal import Decimal

from ..models import StandardProperties
from ..money import EXACT
from ._base import PricingInput

__all__ = ["price_standard"]


def price_standard(properties: StandardProperties, pricing_input: PricingInput) -> Decimal:
    """Return ``units × amount`` (prorated units when the charge is prorated).

    Fractional units are priced exactly, without rounding:

    >>> from usage_engine.aggregation import Aggregation
    >>> from usage_engine.models import AggregationType
    >>> units = PricingInput(
    ...     Aggregation.plain(Decimal("0.333"), 1), AggregationType.SUM_AGG, False, "EUR"
    ... )
    >>> price_standard(StandardProperties(amount="12.5"), units)
    Decimal('4.1625')
    """
    return EXACT.multiply(pricing_input.aggregation.units, properties.amount)
