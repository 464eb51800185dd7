"""``volume``: every unit at the price of the tier the total falls in (spec 4.6)."""

from __future__ import annotations

from decimal import Decimal

from ..errors import InvalidInput
from ..models import VolumeProperties
from ..money import EXACT
from ._base import PricingInput
from ._tiers import volume_tier

__all__ = ["price_volume"]

ZERO = Decimal(0)


def price_volume(properties: VolumeProperties, pricing_input: PricingInput) -> Decimal:
    """Return ``units × per_unit_amount + flat_amount`` of the range the total falls in.

    The range is chosen by the full (non-prorated) units of a prorated charge, while the
    prorated units are priced; the flat amount is never prorated. A total between two integer
    bounds belongs to the upper range:

    >>> from usage_engine.aggregation import Aggregation
    >>> from usage_engine.models import AggregationType, GraduatedRange
    >>> ranges = (
    ...     GraduatedRange(from_value=0, to_value=100, per_unit_amount="2", flat_amount="10"),
    ...     GraduatedRange(from_value=101, to_value=None, per_unit_amount="1"),
    ... )
    >>> def at(units):
    ...     aggregation = Aggregation.plain(Decimal(units), 1)
    ...     return PricingInput(aggregation, AggregationType.SUM_AGG, False, "EUR")
    >>> properties = VolumeProperties(volume_ranges=ranges)
    >>> [price_volume(properties, at(n)) for n in ("0", "100", "100.5")]
    [Decimal('10'), Decimal('210'), Decimal('100.5')]

    Raises:
        InvalidInput: no range holds the total (a gap between ranges, or ranges starting at 1
            with no usage), where Lago fails too.
    """
    aggregation = pricing_input.aggregation
    units = aggregation.units
    total = units
    if pricing_input.prorated and aggregation.full_units is not None:
        total = aggregation.full_units
    # Engine choice: a negative full total (a recurring balance driven below zero) is looked up
    # as zero usage; Lago would find no range and fail.
    tier = volume_tier(properties.volume_ranges, max(total, ZERO))
    if tier is None:
        bounds = ", ".join(
            f"{item.from_value}–{'∞' if item.to_value is None else item.to_value}"
            for item in properties.volume_ranges
        )
        msg = (
            f"no volume range holds {total} units (ranges {bounds}); make the ranges start "
            "at 0 and leave no gap between them"
        )
        path = "properties.volume_ranges"
        raise InvalidInput.at(path, msg, total)
    return EXACT.add(EXACT.multiply(units, tier.per_unit_amount), tier.flat_amount)
