"""Peer: plain Python. Dict loops over the events, Decimal sums, one accumulator per fee.

What a developer would write by hand for this plan: no validation beyond what the loop needs,
no per-charge options. It keeps mergeable state, so it also serves as the incremental peer
(add new events, re-price the touched subscriptions).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..workload import PERIOD_FROM, PERIOD_TO
from .pricing import DEFAULT_BUCKET, AggRow, Charge, Result, bucket_of, charge_totals

__all__ = ["NaiveAggregator", "rate"]


def _epoch(stamp: Any) -> float:
    if isinstance(stamp, int | float):
        return stamp
    if "T" in stamp:
        # ISO 8601 first: numeric text has no "T", and a failed float() costs more than the
        # parse itself (Python 3.11 reads the "Z" suffix).
        return datetime.fromisoformat(stamp).timestamp()
    try:
        return float(stamp)
    except ValueError:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _empty(aggregation: str) -> Any:
    if aggregation == "unique_count_agg":
        return set()
    return None if aggregation == "max_agg" else Decimal(0)


class NaiveAggregator:
    """Per-(subscription, charge, bucket, group) accumulators, plus the dedup set."""

    def __init__(
        self, charges: list[Charge], period_from: int = PERIOD_FROM, period_to: int = PERIOD_TO
    ) -> None:
        self.charges = charges
        self.by_metric: dict[str, list[Charge]] = defaultdict(list)
        for charge in charges:
            self.by_metric[charge.metric_code].append(charge)
        self.period_from, self.period_to = period_from, period_to
        self.seen: set[tuple[str, str]] = set()
        self.acc: dict[tuple[str, int, int, tuple[Any, ...]], list[Any]] = {}
        self.dirty: set[str] = set()

    def add(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Fold in events; a (subscription, transaction_id) seen before is skipped."""
        seen, acc, by_metric = self.seen, self.acc, self.by_metric
        period_from, period_to = self.period_from, self.period_to
        for event in events:
            sub = event["external_subscription_id"]
            key = (sub, event["transaction_id"])
            if key in seen:
                continue
            seen.add(key)
            charges = by_metric.get(event["code"])
            if not charges:
                continue
            ts = _epoch(event["timestamp"])
            if ts < period_from or ts >= period_to:
                continue
            props = event.get("properties") or {}
            self.dirty.add(sub)
            for charge in charges:
                bucket = bucket_of(charge, props) if charge.filters else DEFAULT_BUCKET
                group = tuple(props.get(k) for k in charge.group_keys)
                slot = (sub, charge.index, bucket, group)
                state = acc.get(slot)
                aggregation = charge.aggregation
                if state is None:
                    state = acc[slot] = [_empty(aggregation), 0]
                state[1] += 1
                if aggregation == "count_agg":
                    state[0] += 1
                    continue
                value = props.get(charge.field) if charge.field else None
                if value is None:
                    continue
                if aggregation == "sum_agg":
                    state[0] += Decimal(str(value))
                elif aggregation == "max_agg":
                    number = Decimal(str(value))
                    if state[0] is None or number > state[0]:
                        state[0] = number
                elif aggregation == "unique_count_agg":
                    state[0].add(value)
                else:
                    raise NotImplementedError(aggregation)

    def rows(self, subs: Iterable[str] | None = None) -> Iterator[AggRow]:
        """The aggregated fees, of ``subs`` only when given."""
        wanted = None if subs is None else set(subs)
        for (sub, charge, bucket, group), (value, events) in self.acc.items():
            if wanted is not None and sub not in wanted:
                continue
            if isinstance(value, set):
                value = len(value)
            elif value is None:
                value = Decimal(0)
            yield AggRow(sub, charge, bucket, group, value, events)


def rate(charges: list[Charge], events: Iterable[Mapping[str, Any]], subs: list[str]) -> Result:
    """Aggregate ``events`` from scratch and price every listed subscription."""
    aggregator = NaiveAggregator(charges)
    aggregator.add(events)
    return charge_totals(charges, aggregator.rows(), subs)
