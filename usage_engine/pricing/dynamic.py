"""``dynamic``: the amounts the events carry themselves."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..models.metric import AggregationType
from ..models.properties import ChargeModel, ChargePropertiesBase
from ..money import CONTEXT, subunit_to_unit
from ._base import PricingInput
from ._record import ChargeModelRecord

if TYPE_CHECKING:
    from hypothesis.strategies import DrawFn

__all__ = ["RECORD", "DynamicProperties", "price_dynamic"]


class DynamicProperties(ChargePropertiesBase):
    """``dynamic``: the amount each event carries in ``precise_total_amount_cents``."""


ZERO = Decimal(0)


def price_dynamic(properties: DynamicProperties, pricing_input: PricingInput) -> Decimal:
    """Return the sum of the events' ``precise_total_amount_cents`` in currency units.

    A bucket whose units are zero costs nothing, whatever its events carry:

    >>> from usage_engine.aggregation import Aggregation
    >>> from usage_engine.models import AggregationType
    >>> def bucket(units, cents, currency):
    ...     aggregation = Aggregation(
    ...         Decimal(units), 2, Decimal(units), Decimal(units),
    ...         precise_total_amount_cents=Decimal(cents),
    ...     )
    ...     return PricingInput(aggregation, AggregationType.SUM_AGG, False, currency)
    >>> price_dynamic(DynamicProperties(), bucket(20, "912.0", "EUR"))
    Decimal('9.12')
    >>> price_dynamic(DynamicProperties(), bucket(20, "912", "JPY"))
    Decimal('912')
    >>> price_dynamic(DynamicProperties(), bucket(0, "912", "EUR"))
    Decimal('0')
    """
    aggregation = pricing_input.aggregation
    if aggregation.units == 0:
        return ZERO
    return CONTEXT.divide(
        aggregation.precise_total_amount_cents, subunit_to_unit(pricing_input.currency)
    )


def _draw(draw: DrawFn) -> dict[str, Any]:
    return {}


RECORD = ChargeModelRecord(
    model=ChargeModel.DYNAMIC,
    properties=DynamicProperties,
    pricer=price_dynamic,
    draw_properties=_draw,
    metric_types=frozenset({AggregationType.SUM_AGG}),
    metric_message="dynamic charges need a sum_agg metric",
    precise_amounts=True,
)
"""``dynamic``; Lago scales its projection."""
