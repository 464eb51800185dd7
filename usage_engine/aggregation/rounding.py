"""A metric's ``rounding_function`` / ``rounding_precision``, applied per bucket."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal
from typing import Final

from ..models import RoundingFunction
from ..money import ceil_places, floor_places, round_places
from ._base import Aggregation

__all__ = ["apply_rounding", "round_units"]

_ROUNDERS: Final[dict[RoundingFunction, Callable[[Decimal, int], Decimal]]] = {
    RoundingFunction.ROUND: round_places,
    RoundingFunction.CEIL: ceil_places,
    RoundingFunction.FLOOR: floor_places,
}


def round_units(value: Decimal, function: RoundingFunction, precision: int | None) -> Decimal:
    """Round ``value`` with the metric's function at ``precision`` decimals (None means 0).

    >>> round_units(Decimal("123.456"), RoundingFunction.FLOOR, 2)
    Decimal('123.45')
    >>> round_units(Decimal("123.456"), RoundingFunction.CEIL, -2)
    Decimal('200')
    """
    return _ROUNDERS[function](value, precision or 0)


def apply_rounding(
    aggregation: Aggregation,
    function: RoundingFunction | None,
    precision: int | None,
    *,
    weighted: bool = False,
) -> Aggregation:
    """Round a bucket's units, displayed units and full units; never per event.

    A weighted sum keeps its end-of-period level as ``total_aggregated_units``; for the other
    aggregations that value is the units, rounded with them.
    """
    if function is None:
        return aggregation
    units = round_units(aggregation.units, function, precision)
    full = aggregation.full_units
    return dataclasses.replace(
        aggregation,
        units=units,
        current_units=round_units(aggregation.current_units, function, precision),
        full_units=None if full is None else round_units(full, function, precision),
        total_aggregated_units=(
            aggregation.total_aggregated_units
            if weighted
            else round_units(aggregation.total_aggregated_units, function, precision)
        ),
    )
