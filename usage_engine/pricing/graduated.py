"""``graduated``: each tier prices the units that fall in it, plus its flat amount."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import model_validator

from ..models.properties import ChargeModel, ChargePropertiesBase, GraduatedRange, check_tiers
from ..money import EXACT
from ._base import PricingInput
from ._record import ChargeModelRecord, Prorating
from ._tiers import is_adjacent, tier_walk
from .prorated_graduated import price_prorated_graduated

if TYPE_CHECKING:
    from hypothesis.strategies import DrawFn

__all__ = ["RECORD", "GraduatedProperties", "lago_graduated_projection", "price_graduated"]

ZERO = Decimal(0)


class GraduatedProperties(ChargePropertiesBase):
    """``graduated``: each tier prices the units that fall in it."""

    graduated_ranges: tuple[GraduatedRange, ...]

    @model_validator(mode="after")
    def _contiguous(self) -> GraduatedProperties:
        check_tiers(self.graduated_ranges, "graduated_ranges", (0, 1))
        return self


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
            # its shared unit twice, as Lago does.
            tier_units = EXACT.add(EXACT.subtract(reached, tier.from_value), 1)
        tier_amount = EXACT.multiply(tier_units, tier.per_unit_amount) if tier_units else ZERO
        amount = EXACT.add(amount, EXACT.add(tier_amount, tier.flat_amount))
    return amount


def lago_graduated_projection(
    properties: GraduatedProperties, pricing_input: PricingInput
) -> Decimal:
    """Lago's projected graduated amount: tiers filled by capacity, as Lago does.

    Each tier takes up to ``to − units already priced`` and adds its flat amount only when it
    receives units, so zero projected units cost nothing (the pricer charges the first flat):

    >>> from usage_engine.aggregation import Aggregation
    >>> from usage_engine.models import AggregationType
    >>> ranges = (
    ...     GraduatedRange(from_value=0, to_value=10, per_unit_amount="10", flat_amount="2"),
    ...     GraduatedRange(from_value=11, to_value=None, per_unit_amount="5", flat_amount="3"),
    ... )
    >>> def at(units):
    ...     aggregation = Aggregation.plain(Decimal(units), 1)
    ...     return PricingInput(aggregation, AggregationType.SUM_AGG, False, "EUR")
    >>> properties = GraduatedProperties(graduated_ranges=ranges)
    >>> [lago_graduated_projection(properties, at(n)) for n in ("0", "10", "10.5")]
    [Decimal('0'), Decimal('102'), Decimal('107.5')]
    """
    # Lago: fees/projection_service.rb.
    units = pricing_input.aggregation.units
    if not units:
        return ZERO
    remaining, priced, amount = units, ZERO, ZERO
    for tier in properties.graduated_ranges:
        capacity = None if tier.to_value is None else tier.to_value - priced
        taken = remaining if capacity is None else min(remaining, capacity)
        if taken > 0:
            amount = EXACT.add(
                amount,
                EXACT.add(EXACT.multiply(taken, tier.per_unit_amount), tier.flat_amount),
            )
            remaining -= taken
            priced += taken
        if remaining <= 0:
            break
    return amount


def _draw(draw: DrawFn) -> dict[str, Any]:
    from .._strategies.values import tier_ranges

    return {"graduated_ranges": draw(tier_ranges(volume=False, rate=False))}


RECORD = ChargeModelRecord(
    model=ChargeModel.GRADUATED,
    properties=GraduatedProperties,
    pricer=price_graduated,
    draw_properties=_draw,
    prorated_pricer=price_prorated_graduated,
    prorating=Prorating.IN_ARREARS,
    # The prorated walk reads the bucket's (full, prorated) entries, built from its events.
    prorated_needs_events=True,
    lago_projection=lago_graduated_projection,
)
"""``graduated``, prorated graduated when the charge is prorated."""
