"""Plain builders for pricing inputs: no randomness, every default visible."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from usage_engine.aggregation import Aggregation, TimedValue
from usage_engine.models import (
    AggregationType,
    GraduatedPercentageProperties,
    GraduatedPercentageRange,
    GraduatedProperties,
    GraduatedRange,
    VolumeProperties,
)
from usage_engine.pricing import PricingInput

Number = int | str | Decimal


def units_input(
    units: Number,
    *,
    events_count: int | None = None,
    aggregation_type: AggregationType = AggregationType.SUM_AGG,
    full_units: Number | None = None,
    prorated: bool = False,
    precise_cents: Number = 0,
    currency: str = "EUR",
) -> PricingInput:
    """A bucket of ``units`` (``events_count`` defaults to the units when they are whole)."""
    value = Decimal(units)
    if events_count is None:
        events_count = int(value) if value == value.to_integral_value() and value > 0 else 0
    aggregation = Aggregation(
        units=value,
        events_count=events_count,
        current_units=value,
        total_aggregated_units=value,
        full_units=None if full_units is None else Decimal(full_units),
        precise_total_amount_cents=Decimal(precise_cents),
    )
    return PricingInput(aggregation, aggregation_type, prorated, currency)


def events_input(
    values: Sequence[Number], *, aggregation_type: AggregationType = AggregationType.SUM_AGG
) -> PricingInput:
    """A sum bucket of events with ``values``, one second apart, in time order."""
    events = tuple(
        TimedValue(ts=1_000_000 * index, key=f"tx_{index}", value=Decimal(value))
        for index, value in enumerate(values)
    )
    total = sum((Decimal(event.value) for event in events), Decimal(0))
    aggregation = Aggregation(
        units=total,
        events_count=len(events),
        current_units=total,
        total_aggregated_units=total,
        events=events,
    )
    return PricingInput(aggregation, aggregation_type, False, "EUR")


Bounds = tuple[Number, Number | None, Number, Number]


def graduated(*ranges: Bounds) -> GraduatedProperties:
    """Graduated properties from ``(from, to, per_unit, flat)`` tuples."""
    return GraduatedProperties(graduated_ranges=tuple(_range(*bounds) for bounds in ranges))


def volume(*ranges: Bounds) -> VolumeProperties:
    """Volume properties from ``(from, to, per_unit, flat)`` tuples."""
    return VolumeProperties(volume_ranges=tuple(_range(*bounds) for bounds in ranges))


def graduated_percentage(*ranges: Bounds) -> GraduatedPercentageProperties:
    """Graduated-percentage properties from ``(from, to, rate, flat)`` tuples."""
    return GraduatedPercentageProperties(
        graduated_percentage_ranges=tuple(
            GraduatedPercentageRange(
                from_value=Decimal(low),
                to_value=None if high is None else Decimal(high),
                rate=Decimal(rate),
                flat_amount=Decimal(flat),
            )
            for low, high, rate, flat in ranges
        )
    )


def _range(low: Number, high: Number | None, per_unit: Number, flat: Number) -> GraduatedRange:
    return GraduatedRange(
        from_value=Decimal(low),
        to_value=None if high is None else Decimal(high),
        per_unit_amount=Decimal(per_unit),
        flat_amount=Decimal(flat),
    )
