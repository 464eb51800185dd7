"""``percentage``: a rate on the units, per-transaction fees, free units and per-transaction
bounds (spec 4.5)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from decimal import Decimal

from ..models import AggregationType, PercentageProperties
from ..money import CONTEXT, EXACT
from ._base import PricingInput

__all__ = ["price_percentage"]

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
_COUNTS = (AggregationType.COUNT_AGG, AggregationType.UNIQUE_COUNT_AGG)


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
    # Lago: charge_models/percentage_service.rb (per-transaction min/max, spec 4.5): the free
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
