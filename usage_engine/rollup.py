"""Roll fees up into the response: per charge, per filter bucket, per pricing group."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from .models.usage import BucketFee, ChargeUsage, FilterUsage, GroupedUsage
from .money import EXACT
from .rating import RatedCharge

__all__ = ["charge_usage", "sort_charges"]

ZERO = Decimal(0)


def _totals(fees: Sequence[BucketFee]) -> tuple[Decimal, Decimal, int, int]:
    # Exact sums: units of any magnitude add up without losing a digit.
    if len(fees) == 1:
        (fee,) = fees
        return fee.units, fee.total_aggregated_units, fee.events_count, fee.amount_cents
    add = EXACT.add
    units = total = ZERO
    events = cents = 0
    for fee in fees:
        units = add(units, fee.units)
        total = add(total, fee.total_aggregated_units)
        events += fee.events_count
        cents += fee.amount_cents
    return units, total, events, cents


def _projected(fees: Sequence[BucketFee]) -> dict[str, Any]:
    # Only projected usage sets the projected fields of its fees.
    if not fees or fees[0].projected_amount_cents is None:
        return {}
    return {
        "projected_units": functools.reduce(
            EXACT.add, (fee.projected_units or ZERO for fee in fees), ZERO
        ),
        "projected_amount_cents": sum(fee.projected_amount_cents or 0 for fee in fees),
    }


def _filters(rated: RatedCharge, fees: Sequence[BucketFee]) -> tuple[FilterUsage, ...]:
    if not rated.charge.filters:
        return ()
    by_filter: dict[int | None, list[BucketFee]] = {}
    for fee in fees:
        by_filter.setdefault(fee.filter_index, []).append(fee)
    entries = []
    for bucket in rated.buckets:
        mine = by_filter.get(bucket.index)
        if not mine:
            continue
        units, total, events, cents = _totals(mine)
        entries.append(
            FilterUsage.build(
                units=units,
                total_aggregated_units=total,
                events_count=events,
                amount_cents=cents,
                invoice_display_name=bucket.invoice_display_name,
                values=bucket.declared,
                filter_index=bucket.index,
                **_projected(mine),
            )
        )
    return tuple(entries)


def _groups(rated: RatedCharge) -> tuple[GroupedUsage, ...]:
    if not any(fee.grouped_by for fee in rated.fees):
        return ()
    order: dict[tuple[tuple[str, str | None], ...], list[BucketFee]] = {}
    for fee in rated.fees:
        order.setdefault(fee.grouped_by, []).append(fee)
    entries = []
    for grouped_by, fees in order.items():
        units, total, events, cents = _totals(fees)
        entries.append(
            GroupedUsage.build(
                units=units,
                total_aggregated_units=total,
                events_count=events,
                amount_cents=cents,
                grouped_by=grouped_by,
                filters=_filters(rated, fees),
                **_projected(fees),
            )
        )
    return tuple(entries)


def charge_usage(rated: RatedCharge, currency: str) -> ChargeUsage:
    """One ``charges_usage`` entry: sums over the charge's fees, filters and groups."""
    units, total, events, cents = _totals(rated.fees)
    return ChargeUsage.build(
        units=units,
        total_aggregated_units=total,
        events_count=events,
        amount_cents=cents,
        amount_currency=currency,
        charge=rated.ref,
        billable_metric=rated.metric_ref,
        filters=_filters(rated, rated.fees),
        grouped_usage=_groups(rated),
        fees=rated.fees,
        **_projected(rated.fees),
    )


def sort_charges(rated: Iterable[RatedCharge]) -> list[RatedCharge]:
    """Lago's order: by metric name, case-insensitive; ties keep the plan's order."""
    return sorted(rated, key=lambda item: item.charge.billable_metric.name.lower())
