"""The rows of a usage table: a charge, its filter buckets and its pricing groups, labelled."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .._labels import filter_text, group_text
from ..models import Plan
from ..models.usage import ChargeUsage, FilterUsage, GroupedUsage, Usage


def filter_label(item: FilterUsage) -> str:
    """A filter bucket's name: its display name, else its values; the default bucket says so.

    >>> from decimal import Decimal
    >>> bucket = FilterUsage(units=Decimal(1), total_aggregated_units=Decimal(1), events_count=1,
    ...     amount_cents=5, invoice_display_name=None, values=(("region", ("eu", "us")),))
    >>> filter_label(bucket), filter_label(bucket.model_copy(update={"values": None}))
    ('region: eu, us', 'no filter matched')
    """
    return filter_text(item.values, item.invoice_display_name)


def group_label(item: GroupedUsage) -> str:
    """A pricing group's name: ``key=value`` pairs (``(none)`` where the event had no value).

    >>> group = GroupedUsage(units=Decimal(1), total_aggregated_units=Decimal(1), events_count=1,
    ...     amount_cents=5, grouped_by=(("region", "eu"), ("tier", None)), filters=())
    >>> group_label(group)
    'region=eu, tier=(none)'
    """
    return group_text(item.grouped_by)


@dataclass(frozen=True, slots=True)
class _Line:
    """One row of a usage table: a charge, a filter bucket or a pricing group."""

    depth: int
    label: str
    model: str
    units: Decimal
    events: int
    cents: int
    projected_units: Decimal | None
    projected_cents: int | None


def _line(depth: int, label: str, model: str, item: Any) -> _Line:
    return _Line(
        depth,
        label,
        model,
        item.units,
        item.events_count,
        item.amount_cents,
        item.projected_units,
        item.projected_amount_cents,
    )


def _prorated_ids(plan: Plan | None) -> frozenset[str]:
    if plan is None:
        return frozenset()
    return frozenset(charge.lago_id for charge in plan.charges if charge.prorated)


def _charge_lines(charge: ChargeUsage, prorated: frozenset[str]) -> Iterator[_Line]:
    model = charge.charge.charge_model
    if charge.charge.lago_id in prorated:
        model += " (prorated)"
    yield _line(0, charge.charge.invoice_display_name or charge.billable_metric.name, model, charge)
    if charge.filters:
        for bucket in charge.filters:
            yield _line(1, filter_label(bucket), "", bucket)
            for group in charge.grouped_usage:
                # A group's filter entries carry no filter index: match them on their values.
                for inner in group.filters:
                    if (inner.values, inner.invoice_display_name) == (
                        bucket.values,
                        bucket.invoice_display_name,
                    ):
                        yield _line(2, group_label(group), "", inner)
                        break
    else:
        for group in charge.grouped_usage:
            yield _line(1, group_label(group), "", group)


def usage_lines(usage: Usage, plan: Plan | None) -> list[_Line]:
    prorated = _prorated_ids(plan)
    return [line for charge in usage.charges_usage for line in _charge_lines(charge, prorated)]
