"""``graduated``: each tier prices the units that fall in it, plus its flat amount (spec 4.2)."""

from __future__ import annotations

from decimal import Decimal

from ..models import GraduatedProperties
from ..money import EXACT
from ._base import PricingInput
from ._tiers import is_adjacent, tier_walk

__all__ = ["price_graduated"]

ZERO = Decimal(0)


def price_graduated(properties: GraduatedProperties, pricing_input: PricingInput) -> Decimal:
    """Return the sum over the tiers reached of ``tier units × per_unit_amount + flat_amount``.

    A tier starting at ``from_value > 0`` counts its own first unit (``eff − from + 1``), unless
    the ranges are adjacent (each starts where the previous ends), where it counts
    ``eff − from``. At a tier boundary only the lower tier is charged:

    >>> from usage_engine.aggregation import Aggregation
    >>> from usage_engine.models import AggregationType, GraduatedRange
    >>> ranges = (
    ...     GraduatedRange(from_value=0, to_value=10, per_unit_amount="10", flat_amount="2"),
    ...     GraduatedRange(from_value=11, to_value=None, per_unit_amount="5", flat_amount="3"),
    ... )
    >>> def at(units):
    ...     aggregation = Aggregation.plain(Decimal(units), units)
    ...     return PricingInput(aggregation, AggregationType.COUNT_AGG, False, "EUR")
    >>> [price_graduated(GraduatedProperties(graduated_ranges=ranges), at(n)) for n in (0, 10, 11)]
    [Decimal('2'), Decimal('102'), Decimal('110')]
    """
    units = pricing_input.aggregation.units
    ranges = properties.graduated_ranges
    adjacent = is_adjacent(ranges)
    amount = ZERO
    for tier in tier_walk(ranges, units):
        reached = units if tier.to_value is None else min(units, tier.to_value)
        if tier.from_value == 0:
            tier_units = reached
        elif adjacent:
            tier_units = EXACT.subtract(reached, tier.from_value)
        else:
            # Lago: charge_models/graduated_service.rb counts the first unit of a non-adjacent
            # tier (11–20 holds 10 units); with mixed boundaries an adjacent pair then counts
            # its shared unit twice (spec 4.2 quirk).
            tier_units = EXACT.add(EXACT.subtract(reached, tier.from_value), 1)
        tier_amount = EXACT.multiply(tier_units, tier.per_unit_amount) if tier_units else ZERO
        amount = EXACT.add(amount, EXACT.add(tier_amount, tier.flat_amount))
    return amount
