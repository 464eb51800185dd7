"""``standard``: every unit at the same price."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..models._base import Amount
from ..models.properties import ChargeModel, ChargePropertiesBase
from ..money import EXACT
from ._base import PricingInput
from ._record import ChargeModelRecord, Prorating

if TYPE_CHECKING:
    from hypothesis.strategies import DrawFn

__all__ = ["RECORD", "StandardProperties", "price_standard"]


class StandardProperties(ChargePropertiesBase):
    """``standard``: ``units × amount``."""

    amount: Amount


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


def _draw(draw: DrawFn) -> dict[str, Any]:
    from .._strategies.values import amounts

    return {"amount": draw(amounts())}


RECORD = ChargeModelRecord(
    model=ChargeModel.STANDARD,
    properties=StandardProperties,
    pricer=price_standard,
    draw_properties=_draw,
    prorating=Prorating.ALWAYS,
    # Lago prices the rounded projected units.
    lago_projection=price_standard,
)
"""``standard``."""
