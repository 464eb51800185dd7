"""``percentage``: a rate on the units, per-transaction fees, free units and per-transaction
bounds."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from pydantic import model_validator

from ..models._base import Amount, FieldProblem, NonNegativeInt
from ..models.metric import AggregationType
from ..models.properties import ChargeModel, ChargePropertiesBase
from ..money import CONTEXT, EXACT
from ._base import PricingInput
from ._record import ChargeModelRecord

if TYPE_CHECKING:
    from hypothesis.strategies import DrawFn

__all__ = ["RECORD", "PercentageProperties", "lago_projected_properties", "price_percentage"]

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
_COUNTS = (AggregationType.COUNT_AGG, AggregationType.UNIQUE_COUNT_AGG)


class PercentageProperties(ChargePropertiesBase):
    """``percentage``: a rate on the units plus per-transaction fees."""

    rate: Amount
    fixed_amount: Amount | None = None
    free_units_per_events: NonNegativeInt | None = None
    free_units_per_total_aggregation: Amount | None = None
    per_transaction_min_amount: Amount | None = None
    per_transaction_max_amount: Amount | None = None

    @model_validator(mode="after")
    def _min_below_max(self) -> PercentageProperties:
        low, high = self.per_transaction_min_amount, self.per_transaction_max_amount
        if low is not None and high is not None and low > high:
            msg = f"must not be below per_transaction_min_amount {low}"
            raise FieldProblem(("per_transaction_max_amount",), msg, high)
        return self


def price_percentage(properties: PercentageProperties, pricing_input: PricingInput) -> Decimal:
    """Return ``(units − free units) × rate / 100`` plus ``fixed_amount`` per paid event.

    With ``per_transaction_min_amount`` or ``per_transaction_max_amount`` set, each event is
    priced on its own and clamped to the bounds instead (Lago reserves this to premium
    licences; the engine always applies it). Free units exceeding the usage cost nothing, and
    the events they cover pay no fixed fee:

    >>> from usage_engine.aggregation import Aggregation
    >>> from usage_engine.models import AggregationType
    >>> properties = PercentageProperties(rate="1", fixed_amount="5", free_units_per_events=3)
    >>> def count_of(units):
    ...     aggregation = Aggregation.plain(Decimal(units), units)
    ...     return PricingInput(aggregation, AggregationType.COUNT_AGG, False, "EUR")
    >>> price_percentage(properties, count_of(3)), price_percentage(properties, count_of(5))
    (Decimal('0'), Decimal('10.02'))
    """
    aggregation = pricing_input.aggregation
    kind = pricing_input.aggregation_type
    free_events = properties.free_units_per_events or 0
    free_total = properties.free_units_per_total_aggregation or ZERO
    bounded = (
        properties.per_transaction_min_amount is not None
        or properties.per_transaction_max_amount is not None
    )
    if (
        kind is AggregationType.SUM_AGG
        and (bounded or free_events or free_total)
        and aggregation.events_count
        and not aggregation.events
    ):
        msg = (
            "percentage pricing of a sum_agg with free units or per-transaction bounds needs the "
            "bucket's events: aggregate with Options(keep_events=True)"
        )
        raise ValueError(msg)
    if bounded:
        return _per_transaction(properties, _event_values(pricing_input))
    units = aggregation.units
    running = _running_total(pricing_input, free_events, free_total)
    last = running[-1] if running else ZERO
    if last == 0:
        free_units: Decimal | int = ZERO
    elif 0 < free_events < len(running):
        free_units = running[free_events - 1]
    elif free_total == 0 or last <= free_total:
        free_units = last
    else:
        free_units = free_total
    # The running total is increasing for counts (a range, bisectable); for sums it is short.
    below = (
        bisect_left(running, free_total)
        if isinstance(running, range)
        else sum(1 for total in running if total < free_total)
    )
    covered = min((number for number in (free_events, below) if number), default=0)
    if free_units > units:
        rated = ZERO
    else:
        rated = _rate(EXACT.subtract(units, free_units), properties.rate)
    paid_events = aggregation.events_count - covered
    if units == 0 or properties.fixed_amount is None or paid_events <= 0:
        return rated
    return EXACT.add(rated, EXACT.multiply(paid_events, properties.fixed_amount))


def _rate(units: Decimal, rate: Decimal) -> Decimal:
    return CONTEXT.divide(EXACT.multiply(units, rate), HUNDRED)


def _running_total(
    pricing_input: PricingInput, free_events: int, free_total: Decimal
) -> Sequence[Decimal | int]:
    # Lago builds it in the aggregation (billable_metrics/aggregations/*_service.rb
    # running_total), only when a free-units option is set.
    if not free_events and not free_total:
        return ()
    kind = pricing_input.aggregation_type
    if kind in _COUNTS:
        return range(1, int(pricing_input.aggregation.units) + 1)
    if kind is not AggregationType.SUM_AGG:
        return ()
    totals: list[Decimal] = []
    cumulative = ZERO
    for event in pricing_input.aggregation.events:
        if free_events and len(totals) == free_events:
            break
        # With only a total allowance, the first cumulative value past it is kept too.
        if not free_events and cumulative > free_total:
            break
        cumulative = EXACT.add(cumulative, event.value)
        totals.append(cumulative)
    return totals


def _event_values(pricing_input: PricingInput) -> Sequence[Decimal]:
    aggregation = pricing_input.aggregation
    if pricing_input.aggregation_type in _COUNTS:
        return (ONE,) * aggregation.events_count
    return tuple(Decimal(event.value) for event in aggregation.events)


def _per_transaction(properties: PercentageProperties, values: Sequence[Decimal]) -> Decimal:
    # Lago: charge_models/percentage_service.rb (per-transaction min/max): the free
    # allowances are consumed event by event before the bounds apply.
    fixed = properties.fixed_amount or ZERO
    low, high = properties.per_transaction_min_amount, properties.per_transaction_max_amount
    remaining_events = properties.free_units_per_events or 0
    remaining_amount = properties.free_units_per_total_aggregation or ZERO
    amount = ZERO
    for event_value in values:
        value = event_value
        if remaining_events > 0 or remaining_amount > 0:
            remaining_events -= 1
            if remaining_amount <= 0:
                continue  # a free event: no minimum either
            if remaining_amount > value:
                remaining_amount = EXACT.subtract(remaining_amount, value)
                continue
            value = EXACT.subtract(value, remaining_amount)
            remaining_events, remaining_amount = 0, ZERO
        event_amount = EXACT.add(_rate(value, properties.rate), fixed)
        if low is not None and event_amount < low:
            event_amount = low
        elif high is not None and event_amount > high:
            event_amount = high
        amount = EXACT.add(amount, event_amount)
    return amount


def lago_projected_properties(properties: PercentageProperties) -> PercentageProperties:
    """The properties Lago's projection prices with: free units left out
    (docs/lago-differences.md, Q6).

    >>> lago_projected_properties(
    ...     PercentageProperties(rate="1", free_units_per_events=3)
    ... ).free_units_per_events is None
    True
    """
    # Lago: the projection's re-aggregation does not pass the free-units options.
    return properties.model_copy(
        update={"free_units_per_events": None, "free_units_per_total_aggregation": None}
    )


def _draw(draw: DrawFn) -> dict[str, Any]:
    from hypothesis import strategies as st

    from .._strategies.values import amounts

    properties: dict[str, Any] = {"rate": draw(amounts(max_value=10, max_places=3))}
    if draw(st.booleans()):
        properties["fixed_amount"] = draw(amounts(max_value=2, max_places=2))
    if draw(st.booleans()):
        properties["free_units_per_events"] = draw(st.integers(0, 5))
    if draw(st.booleans()):
        properties["free_units_per_total_aggregation"] = draw(amounts(max_value=100, max_places=2))
    if draw(st.booleans()):
        low, high = sorted(Decimal(draw(amounts(max_value=5, max_places=2))) for _ in range(2))
        if draw(st.booleans()):
            properties["per_transaction_min_amount"] = format(low, "f")
        if draw(st.booleans()):
            properties["per_transaction_max_amount"] = format(high, "f")
    return properties


PERCENTAGE_METRICS: Final = frozenset(AggregationType) - {AggregationType.LATEST_AGG}
"""What a percentage model prices: a share of an amount, which a latest value is not."""
PERCENTAGE_REFUSAL: Final = "latest_agg metrics cannot be priced with a percentage model"

RECORD = ChargeModelRecord(
    model=ChargeModel.PERCENTAGE,
    properties=PercentageProperties,
    pricer=price_percentage,
    draw_properties=_draw,
    metric_types=PERCENTAGE_METRICS,
    metric_message=PERCENTAGE_REFUSAL,
    # Running totals and per-transaction bounds read each event's value.
    needs_events=True,
    lago_scaled_properties=lago_projected_properties,
)
"""``percentage``; Lago scales its projection."""
