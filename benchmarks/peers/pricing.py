"""What every peer shares: the compiled plan, Lago pricing of aggregated units, the results.

The peers (plain Python, DuckDB, Polars) differ only in how they go from raw events to rows
``(subscription, charge, filter bucket, pricing group) -> units, events``; :func:`charge_totals`
prices those rows with the same Decimal code for all of them and rolls them up per charge, so
that comparing peers compares their aggregation.

Pricing follows the project's spec (section 4), not the engine's code: the first graduated
range's flat amount and a volume range's flat amount are charged at zero units too, and every
filter bucket of a listed subscription is priced even without events (section 5.4). Only the
charge models and aggregations of the benchmark plan are supported; the filter matching is
"first matching filter, else the default bucket", which equals Lago's for disjoint filters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Context, Decimal
from itertools import pairwise
from typing import Any, Final, NamedTuple

__all__ = [
    "DEFAULT_BUCKET",
    "AggRow",
    "Charge",
    "ChargeTotal",
    "Result",
    "bucket_of",
    "canon",
    "charge_totals",
    "compile_plan",
    "diff",
    "price",
]

DEFAULT_BUCKET: Final = -1
"""The bucket of a filtered charge's events that match none of its filters."""
ZERO: Final = Decimal(0)
CTX: Final = Context(prec=60)  # never round an amount before the cents


@dataclass(frozen=True)
class Charge:
    """One charge of the plan, ready for the peers."""

    index: int
    code: str
    metric_code: str
    aggregation: str  # count_agg | sum_agg | max_agg | unique_count_agg
    field: str | None
    model: str  # standard | graduated | volume | package
    properties: Mapping[str, Any]
    # (display name, {key: allowed values}, properties) per charge filter, in order
    filters: tuple[tuple[str, Mapping[str, frozenset[str]], Mapping[str, Any]], ...] = ()
    group_keys: tuple[str, ...] = ()

    def bucket_properties(self, bucket: int) -> Mapping[str, Any]:
        """The pricing properties of a bucket (the charge's for the default bucket)."""
        return self.properties if bucket == DEFAULT_BUCKET else self.filters[bucket][2]

    @property
    def buckets(self) -> tuple[int, ...]:
        """Every bucket index: the filters', then the default bucket."""
        return (*range(len(self.filters)), DEFAULT_BUCKET)


def _group_keys(properties: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(properties.get("pricing_group_keys") or properties.get("grouped_by") or ())


def compile_plan(plan: Mapping[str, Any]) -> list[Charge]:
    """The plan's charges (Lago's JSON shape) as the peers use them."""
    charges = []
    for index, raw in enumerate(plan["charges"]):
        metric = raw["billable_metric"]
        properties = raw["properties"]
        keys = _group_keys(properties)
        filters = []
        for item in raw.get("filters") or ():
            own = item.get("properties") or properties
            if _group_keys(own) not in ((), keys):
                msg = "the peers need every bucket of a charge to group by the same keys"
                raise NotImplementedError(msg)
            name = item.get("invoice_display_name") or json.dumps(item["values"], sort_keys=True)
            values = {key: frozenset(allowed) for key, allowed in item["values"].items()}
            filters.append((name, values, own))
        charges.append(
            Charge(
                index=index,
                code=raw.get("code") or f"{metric['code']}_{index}",
                metric_code=metric["code"],
                aggregation=metric["aggregation_type"],
                field=metric.get("field_name"),
                model=raw["charge_model"],
                properties=properties,
                filters=tuple(filters),
                group_keys=keys,
            )
        )
    return charges


def bucket_of(charge: Charge, properties: Mapping[str, Any]) -> int:
    """The first filter all of whose keys match the event's properties, else the default."""
    for index, (_, values, _) in enumerate(charge.filters):
        if all(properties.get(key) in allowed for key, allowed in values.items()):
            return index
    return DEFAULT_BUCKET


# ------------------------------------------------------------------------------------ pricing
def _d(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _standard(p: Mapping[str, Any], units: Decimal) -> Decimal:
    return CTX.multiply(units, _d(p["amount"]))


def _graduated(p: Mapping[str, Any], units: Decimal) -> Decimal:
    ranges = p["graduated_ranges"]
    adjacent = len(ranges) >= 2 and all(
        _d(later["from_value"]) == _d(earlier["to_value"]) for earlier, later in pairwise(ranges)
    )
    total = ZERO
    for tier in ranges:  # the first range is always included (spec 4.2)
        start, end = _d(tier["from_value"]), tier["to_value"]
        reached = units if end is None else min(units, _d(end))
        if start == 0:
            tier_units = reached
        elif adjacent:
            tier_units = reached - start
        else:
            tier_units = reached - start + 1
        if tier_units:
            total += CTX.multiply(tier_units, _d(tier["per_unit_amount"]))
        total += _d(tier["flat_amount"])
        if end is None or _d(end) >= units:
            break
    return total


def _volume(p: Mapping[str, Any], units: Decimal) -> Decimal:
    ceiling = units.to_integral_value(rounding=ROUND_CEILING)
    for tier in p["volume_ranges"]:
        end = tier["to_value"]
        if _d(tier["from_value"]) <= ceiling and (end is None or units <= _d(end)):
            return CTX.multiply(units, _d(tier["per_unit_amount"])) + _d(tier["flat_amount"])
    msg = f"no volume range holds {units} units"
    raise ValueError(msg)


def _package(p: Mapping[str, Any], units: Decimal) -> Decimal:
    paid = units - _d(p.get("free_units") or 0)
    if paid <= 0:
        return ZERO
    packages = CTX.divide(paid, _d(p["package_size"])).to_integral_value(rounding=ROUND_CEILING)
    return CTX.multiply(packages, _d(p["amount"]))


PRICERS: Final[Mapping[str, Callable[[Mapping[str, Any], Decimal], Decimal]]] = {
    "standard": _standard,
    "graduated": _graduated,
    "volume": _volume,
    "package": _package,
}


def price(charge: Charge, bucket: int, units: Decimal) -> Decimal:
    """The unrounded amount of a bucket's (or group's) units."""
    return PRICERS[charge.model](charge.bucket_properties(bucket), units)


def cents(amount: Decimal) -> int:
    """Currency units to cents (USD), half up."""
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def canon(value: Decimal | int | str) -> str:
    """A decimal as plain text without trailing zeros: equal numbers, equal texts."""
    text = format(_d(value).normalize(), "f")
    return "0" if text in ("0", "-0") else text


# ------------------------------------------------------------------------------------ results
class AggRow(NamedTuple):
    """One aggregated fee: units is an int, a Decimal, or decimal text."""

    sub: str
    charge: int
    bucket: int
    group: tuple[Any, ...]
    units: Any
    events: int


class ChargeTotal(NamedTuple):
    """A charge of one subscription, as the benchmark compares it."""

    amount_cents: int
    units: str
    events: int


Result = dict[str, dict[str, ChargeTotal]]
"""``{subscription: {charge code: ChargeTotal}}``."""


def charge_totals(charges: list[Charge], rows: Iterable[AggRow], subs: Iterable[str]) -> Result:
    """Price the rows and roll them up per (subscription, charge), for the listed ``subs``.

    Every fee is rounded to cents on its own; a bucket without events is priced once at zero
    units (which costs a first-tier flat amount, spec 4.2 and 5.4). ``events`` is the number
    of events, except for a unique count: its number of unique values (spec 3.5).
    """
    wanted = set(subs)
    totals: dict[tuple[str, int], list[Any]] = {}
    seen: set[tuple[str, int, int]] = set()
    for row in rows:
        if row.sub not in wanted:
            continue
        charge = charges[row.charge]
        units = _d(row.units)
        total = totals.setdefault((row.sub, row.charge), [0, ZERO, 0])
        total[0] += cents(price(charge, row.bucket, units))
        total[1] += units
        # Lago's events_count of a unique count is its number of unique values (spec 3.5).
        total[2] += int(units) if charge.aggregation == "unique_count_agg" else int(row.events)
        seen.add((row.sub, row.charge, row.bucket))
    result: Result = {}
    for sub in sorted(wanted):
        per_charge = result[sub] = {}
        for charge in charges:
            total = totals.get((sub, charge.index), [0, ZERO, 0])
            for bucket in charge.buckets:
                if (sub, charge.index, bucket) not in seen:
                    total[0] += cents(price(charge, bucket, ZERO))
            per_charge[charge.code] = ChargeTotal(total[0], canon(total[1]), total[2])
    return result


def diff(expected: Result, got: Result, limit: int = 5) -> list[str]:
    """The first differences between two results, as readable lines."""
    lines = []
    for sub in sorted(set(expected) | set(got)):
        left, right = expected.get(sub), got.get(sub)
        if left == right:
            continue
        if left is None or right is None:
            lines.append(f"{sub}: only in {'got' if left is None else 'expected'}")
        else:
            for code in sorted(set(left) | set(right)):
                if left.get(code) != right.get(code):
                    lines.append(f"{sub} {code}: expected {left.get(code)}, got {right.get(code)}")
        if len(lines) >= limit:
            break
    return lines[:limit]
