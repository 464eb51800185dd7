"""One record per charge model: everything the engine needs to know about it, in one place.

The validator (:class:`usage_engine.models.Charge`), the pricer registry (:func:`price`),
rating (``charge_options``), projection and the strategies all read these records, through
:data:`usage_engine.pricing.registry.RECORDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, DecimalException
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..errors import InvalidInput
from ..models.properties import ChargeModel, ChargePropertiesBase
from ..money import AMOUNT, TOO_LARGE
from ._base import Pricer, PricingInput

if TYPE_CHECKING:
    from hypothesis.strategies import DrawFn

    from ..models.metric import AggregationType

__all__ = ["ChargeModelRecord", "Prorating"]

ZERO = Decimal(0)

P = TypeVar("P", bound=ChargePropertiesBase)


class Prorating(Enum):
    """Which charges of a model may be prorated (Lago's charge validations)."""

    NEVER = "never"
    IN_ARREARS = "in_arrears"
    """Only charges paid in arrears."""
    ALWAYS = "always"
    """Also pay-in-advance charges."""


@dataclass(frozen=True, slots=True)
class ChargeModelRecord(Generic[P]):
    """A charge model: its name, properties, pricers, and what it asks of the engine.

    ``prorated_pricer`` prices prorated charges when they need another walk (prorated
    graduated). ``metric_types`` are the aggregation types the model can price (None:
    all), refused with ``metric_message``. ``needs_events`` and ``prorated_needs_events`` ask
    the aggregation to keep each event's value; ``precise_amounts`` to sum the events'
    ``precise_total_amount_cents``. ``lago_projection`` prices Lago's projected units; None
    means Lago divides the current amount by the ratio instead, on properties passed
    through ``lago_scaled_properties`` first. ``draw_properties`` draws valid properties
    mappings for the strategies (Hypothesis is imported only when it runs).
    """

    model: ChargeModel
    properties: type[P]
    pricer: Pricer[P]
    draw_properties: Callable[[DrawFn], dict[str, Any]]
    prorated_pricer: Pricer[P] | None = None
    metric_types: frozenset[AggregationType] | None = None
    metric_message: str = ""
    pay_in_advance: bool = True
    prorating: Prorating = Prorating.NEVER
    needs_events: bool = False
    prorated_needs_events: bool = False
    precise_amounts: bool = False
    lago_projection: Pricer[P] | None = None
    lago_scaled_properties: Callable[[P], P] | None = None

    def accepts_metric(self, kind: AggregationType) -> bool:
        """Whether the model can price a metric aggregated by ``kind``."""
        return self.metric_types is None or kind in self.metric_types

    def pricer_for(self, prorated: bool) -> Pricer[P]:
        """The pricer of a charge of this model, prorated or not."""
        if prorated and self.prorated_pricer is not None:
            return self.prorated_pricer
        return self.pricer

    def keeps_events(self, prorated: bool) -> bool:
        """Whether the aggregation must keep each event's value for this model's pricer."""
        return self.needs_events or (prorated and self.prorated_needs_events)

    def lago_projection_for(self, prorated: bool) -> Pricer[P] | None:
        """Lago's pricer of projected units, or None where Lago scales the current amount.

        A prorated charge with its own pricer is scaled (prorated graduated, as Lago does).
        """
        if prorated and self.prorated_pricer is not None:
            return None
        return self.lago_projection

    def price(self, properties: ChargePropertiesBase, pricing_input: PricingInput) -> Decimal:
        """The bucket's amount, never negative; properties of another model refused."""
        if not isinstance(properties, self.properties):
            msg = f"a {self.model.value} charge needs {self.properties.__name__}"
            path = "properties"
            raise InvalidInput.at(path, msg, type(properties).__name__)
        if pricing_input.aggregation.units < 0:
            return ZERO
        try:
            amount = self.pricer_for(pricing_input.prorated)(properties, pricing_input)
        except DecimalException:
            # A quotient or remainder past the rounding context (package's divmod of 1E+61).
            units = pricing_input.aggregation.units
            raise InvalidInput.at(AMOUNT, TOO_LARGE, units) from None
        return max(amount, ZERO)
