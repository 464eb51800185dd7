"""The floor of scenario (a): the least one pass over the event dicts can do, and its check.

:func:`one_pass` visits each event dict once: it deduplicates by (subscription,
transaction_id), the first copy winning, keeps the events inside the period, and per
(subscription, metric code) counts the events, or sums the metric's field exactly for a sum
metric (integers stay integers, anything else becomes a Decimal). No validation, filters,
groups or pricing: whatever the engine spends beyond this is the price of the rest of the spec.

:func:`expected_totals` gives what it must return, from the plain-Python peer's aggregated rows,
cross-checked against the engine's units and events_count (in the peers' ``Result`` shape) for
every charge that has neither filters nor pricing groups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from .peers.pricing import AggRow, Charge, Result

__all__ = ["Totals", "differences", "expected_totals", "one_pass", "sum_fields"]

Totals = dict[tuple[str, str], int | Decimal]
"""``{(subscription, metric code): count or exact sum}``."""


def sum_fields(charges: Sequence[Charge]) -> dict[str, str]:
    """The field summed for each sum metric of the plan; every other metric is counted.

    >>> from .peers.pricing import compile_plan
    >>> from .workload import load_plan
    >>> sorted(sum_fields(compile_plan(load_plan())).items())
    [('storage_gb', 'gb'), ('tokens', 'tokens')]
    """
    return {
        charge.metric_code: charge.field
        for charge in charges
        if charge.aggregation == "sum_agg" and charge.field
    }


def one_pass(
    events: Iterable[Mapping[str, Any]],
    summed: Mapping[str, str],
    period_from: int,
    period_to: int,
) -> Totals:
    """Count or sum per (subscription, code) the unique events stamped in ``[from, to)``.

    Timestamps must be unix seconds. A re-sent event counts once; a sum skips a missing value.

    >>> events = [
    ...     {"external_subscription_id": "s", "transaction_id": "t1", "code": "gb",
    ...      "timestamp": 10, "properties": {"gb": "1.5"}},
    ...     {"external_subscription_id": "s", "transaction_id": "t1", "code": "gb",
    ...      "timestamp": 10, "properties": {"gb": "1.5"}},
    ...     {"external_subscription_id": "s", "transaction_id": "t2", "code": "calls",
    ...      "timestamp": 20, "properties": {}},
    ... ]
    >>> one_pass(events, {"gb": "gb"}, 0, 20)
    {('s', 'gb'): Decimal('1.5')}
    """
    seen: set[tuple[str, str]] = set()
    remember = seen.add
    totals: Totals = {}
    current = totals.get
    # Locals and a single visit per dict: each further pass over 10^6 scattered dicts pays the
    # memory traffic again (see benchmarks/README.md).
    for event in events:
        sub = event["external_subscription_id"]
        key = (sub, event["transaction_id"])
        if key in seen:
            continue
        remember(key)
        stamp = event["timestamp"]
        if stamp < period_from or stamp >= period_to:
            continue
        code = event["code"]
        slot = (sub, code)
        field = summed.get(code)
        if field is None:
            totals[slot] = current(slot, 0) + 1
            continue
        value = event["properties"].get(field)
        if value is not None:
            exact = value if type(value) is int else Decimal(str(value))
            totals[slot] = current(slot, 0) + exact
    return totals


def expected_totals(charges: Sequence[Charge], rows: Iterable[AggRow], engine: Result) -> Totals:
    """What :func:`one_pass` must give, from the plain-Python peer's rows.

    A metric's total comes from the first charge on it, over all its filter buckets and pricing
    groups: the sum of its units for a sum metric, else its number of events. For a charge
    without filters or groups, ``engine`` (the engine's figures in the peers' shape) must show
    the same: its units for a sum, its events_count for a count or a max (a unique count's
    events_count is its number of values, so only the peer's rows say how many events it had).
    Raises ``ValueError`` naming the first (subscription, code) where they differ.

    >>> from .peers.pricing import ChargeTotal, compile_plan
    >>> from .workload import load_plan
    >>> charges = compile_plan(load_plan())[:1]  # api_calls_standard only
    >>> rows = [AggRow("s", 0, -1, (), 3, 3)]
    >>> engine = {"s": {"api_calls_standard": ChargeTotal(0, "3", 3)}}
    >>> expected_totals(charges, rows, engine)
    {('s', 'api_calls'): 3}
    >>> expected_totals(charges, rows, {"s": {"api_calls_standard": ChargeTotal(0, "2", 2)}})
    Traceback (most recent call last):
    ...
    ValueError: engine and plain Python differ on ('s', 'api_calls'): 2 against 3
    """
    first: dict[str, Charge] = {}
    for charge in charges:
        first.setdefault(charge.metric_code, charge)
    totals: Totals = {}
    for row in rows:
        charge = charges[row.charge]
        if first[charge.metric_code] is not charge:
            continue
        slot = (row.sub, charge.metric_code)
        if charge.aggregation == "sum_agg":
            totals[slot] = totals.get(slot, 0) + _exact(row.units)
        else:
            totals[slot] = totals.get(slot, 0) + row.events
    plain = [
        charge
        for charge in first.values()
        if not charge.filters and not charge.group_keys and charge.aggregation != "unique_count_agg"
    ]
    for sub, per_charge in engine.items():
        for charge in plain:
            figures = per_charge[charge.code]
            slot = (sub, charge.metric_code)
            if charge.aggregation == "sum_agg":
                claimed: int | Decimal = Decimal(figures.units)
            else:
                claimed = figures.events
            if claimed != totals.get(slot, 0):
                msg = (
                    f"engine and plain Python differ on {slot}: {claimed} against "
                    f"{totals.get(slot, 0)}"
                )
                raise ValueError(msg)
    return totals


def differences(expected: Totals, got: Totals, limit: int = 10) -> list[str]:
    """The first (subscription, code) totals that differ, a missing one reading as 0.

    >>> differences({("s", "calls"): 2}, {("s", "calls"): 2, ("s", "gb"): Decimal(0)})
    []
    >>> differences({("s", "calls"): 2}, {})
    ["('s', 'calls'): expected 2, got 0"]
    """
    lines = []
    for slot in sorted(set(expected) | set(got)):
        want, have = expected.get(slot, 0), got.get(slot, 0)
        if want != have:
            lines.append(f"{slot}: expected {want}, got {have}")
            if len(lines) >= limit:
                break
    return lines


def _exact(units: Any) -> int | Decimal:
    if type(units) is int or isinstance(units, Decimal):
        return units
    return Decimal(str(units))
