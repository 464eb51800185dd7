"""``graduated_percentage``: each tier takes a percentage of its units plus its flat amount
(Lago's ``graduated_percentage`` charge model)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import model_validator

from ..models.properties import (
    ChargeModel,
    ChargePropertiesBase,
    GraduatedPercentageRange,
    check_tiers,
)
from ..money import CONTEXT, EXACT
from ._base import PricingInput
from ._record import ChargeModelRecord
from ._tiers import tier_walk
from .percentage import PERCENTAGE_METRICS, PERCENTAGE_REFUSAL

if TYPE_CHECKING:
    from hypothesis.strategies import DrawFn

__all__ = ["RECORD", "GraduatedPercentageProperties", "price_graduated_percentage"]


class GraduatedPercentageProperties(ChargePropertiesBase):
    """``graduated_percentage``: each tier takes a percentage of its units."""

    graduated_percentage_ranges: tuple[GraduatedPercentageRange, ...]

    @model_validator(mode="after")
    def _contiguous(self) -> GraduatedPercentageProperties:
        check_tiers(self.graduated_percentage_ranges, "graduated_percentage_ranges", (0, 1))
        return self


ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)


def price_graduated_percentage(
    properties: GraduatedPercentageProperties, pricing_input: PricingInput
) -> Decimal:
    """Return the sum over the tiers reached of ``tier units × rate / 100 + flat_amount``.

    The first tier's flat amount is charged at zero units, and each further tier reached adds
    its own flat amount:

    >>> from usage_engine.aggregation import Aggregation
    >>> from usage_engine.models import AggregationType, GraduatedPercentageRange
    >>> ranges = (
    ...     GraduatedPercentageRange(from_value=0, to_value=10, rate="1", flat_amount="200"),
    ...     GraduatedPercentageRange(from_value=11, to_value=None, rate="2", flat_amount="300"),
    ... )
    >>> def at(units):
    ...     aggregation = Aggregation.plain(Decimal(units), 1)
    ...     return PricingInput(aggregation, AggregationType.SUM_AGG, False, "EUR")
    >>> properties = GraduatedPercentageProperties(graduated_percentage_ranges=ranges)
    >>> [price_graduated_percentage(properties, at(n)) for n in (0, 10, 11)]
    [Decimal('200'), Decimal('200.1'), Decimal('500.12')]
    """
    units = pricing_input.aggregation.units
    amount = ZERO
    for tier in tier_walk(properties.graduated_percentage_ranges, units):
        # Lago: charge_models/graduated_percentage_service.rb has no adjacent mode; a full
        # tier holds to − max(from, 1) + 1 units.
        if tier.to_value is not None and units >= tier.to_value:
            first = ONE if tier.from_value == 0 else tier.from_value
            tier_units = EXACT.add(EXACT.subtract(tier.to_value, first), 1)
        elif tier.from_value == 0:
            tier_units = units
        else:
            tier_units = EXACT.add(EXACT.subtract(units, tier.from_value), 1)
        share = CONTEXT.divide(EXACT.multiply(tier_units, tier.rate), HUNDRED)
        amount = EXACT.add(amount, EXACT.add(share, tier.flat_amount))
    return amount


def _draw(draw: DrawFn) -> dict[str, Any]:
    from .._strategies.values import tier_ranges

    return {"graduated_percentage_ranges": draw(tier_ranges(volume=False, rate=True))}


RECORD = ChargeModelRecord(
    model=ChargeModel.GRADUATED_PERCENTAGE,
    properties=GraduatedPercentageProperties,
    pricer=price_graduated_percentage,
    draw_properties=_draw,
    metric_types=PERCENTAGE_METRICS,
    metric_message=PERCENTAGE_REFUSAL,
)
"""``graduated_percentage``; Lago scales its projection."""
