"""What every charge model receives (:class:`PricingInput`) and the shape of a pricer."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    # Types only: the charge validator reads the pricers, so pricing imports no layer above
    # the models' leaves at run time.
    from ..aggregation import Aggregation
    from ..models.metric import AggregationType

__all__ = ["Pricer", "PricingInput"]

P_contra = TypeVar("P_contra", contravariant=True)


@dataclass(frozen=True, slots=True)
class PricingInput:
    """One bucket's aggregation and the charge facts a charge model may need.

    ``aggregation_type`` matters to percentage (how free units are counted), ``prorated`` to
    volume and graduated, ``currency`` to dynamic (cents to units);
    ``invoicing`` selects the invoicing path of a closed period (prorated graduated).
    """

    aggregation: Aggregation
    aggregation_type: AggregationType
    prorated: bool
    currency: str
    invoicing: bool = False


class Pricer(Protocol[P_contra]):
    """A charge model: turns a bucket's aggregation into an unrounded amount in currency units."""

    def __call__(self, properties: P_contra, pricing_input: PricingInput, /) -> Decimal:
        """Return the bucket's amount (currency units, not rounded, not guarded)."""
        ...
