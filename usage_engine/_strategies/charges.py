"""Metrics, charges and their properties, and plans of them."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, Final

from hypothesis import reject
from hypothesis import strategies as st

from ..models import AggregationType, ChargeModel, PlanInterval
from ..models.charge import ALL_FILTER_VALUES, narrower_filter
from ..pricing.registry import RECORDS, Prorating
from .values import amounts

__all__ = [
    "FILTER_VALUES",
    "GROUP_KEYS",
    "GROUP_VALUES",
    "allowed_models",
    "amounts",
    "charges_of",
    "draw_metric",
    "draw_plan",
    "draw_taxes",
    "properties_of",
]

FILTER_VALUES: Final = {"region": ("eu", "us", "asia"), "tier": ("gold", "silver")}
"""The filter dimensions generated metrics may declare."""
GROUP_KEYS: Final = ("project", "size")
"""The event properties generated charges may group by."""
GROUP_VALUES: Final = ("p1", "p2", "p3")

_RECURRING_TYPES: Final = frozenset(
    {AggregationType.SUM_AGG, AggregationType.UNIQUE_COUNT_AGG, AggregationType.WEIGHTED_SUM_AGG}
)
_IN_ADVANCE_TYPES: Final = frozenset(
    {AggregationType.COUNT_AGG, AggregationType.SUM_AGG, AggregationType.UNIQUE_COUNT_AGG}
)
_PRORATED_TYPES: Final = frozenset({AggregationType.SUM_AGG, AggregationType.UNIQUE_COUNT_AGG})


@cache
def subsets(values: tuple[str, ...], *, min_size: int = 0) -> st.SearchStrategy[list[str]]:
    """Lists of distinct items of ``values``, in the order of ``values``."""
    return st.lists(st.sampled_from(values), unique=True, min_size=min_size).map(
        lambda chosen: [item for item in values if item in chosen]
    )


@st.composite
def draw_metric(
    draw: st.DrawFn,
    *,
    code: str,
    aggregation_types: Sequence[AggregationType],
    recurring: bool | None,
    filters: bool,
) -> dict[str, Any]:
    """A billable metric mapping with the given code."""
    kind = draw(st.sampled_from(aggregation_types))
    metric: dict[str, Any] = {
        "code": code,
        "name": f"Metric {code}",
        "aggregation_type": kind.value,
    }
    if kind is not AggregationType.COUNT_AGG:
        metric["field_name"] = "value"
    if kind in _RECURRING_TYPES and recurring is not False:
        metric["recurring"] = recurring or draw(st.booleans())
    if kind is AggregationType.WEIGHTED_SUM_AGG and draw(st.booleans()):
        metric["weighted_interval"] = "seconds"
    if draw(st.integers(0, 3)) == 3:
        metric["rounding_function"] = draw(st.sampled_from(("round", "ceil", "floor")))
        metric["rounding_precision"] = draw(st.integers(-1, 3))
    if filters:
        metric["filters"] = [
            {"key": key, "values": draw(subsets(FILTER_VALUES[key], min_size=1))}
            for key in draw(subsets(tuple(FILTER_VALUES)))
        ]
    return metric


def allowed_models(kind: AggregationType, models: Sequence[ChargeModel]) -> list[ChargeModel]:
    """The charge models among ``models`` that can price a metric of ``kind``."""
    return [model for model in models if RECORDS[model].accepts_metric(kind)]


@st.composite
def properties_of(draw: st.DrawFn, *, model: ChargeModel, pricing_groups: bool) -> dict[str, Any]:
    """Valid ``properties`` for a charge (or charge filter) of ``model``."""
    properties = RECORDS[model].draw_properties(draw)
    if pricing_groups and draw(st.booleans()):
        keys = draw(subsets(GROUP_KEYS, min_size=1))
        # Lago's current name, or the legacy one it still reads.
        properties[draw(st.sampled_from(("pricing_group_keys", "grouped_by")))] = keys
    return properties


def _expanded(values: dict[str, list[str]], metric: dict[str, Any]) -> dict[str, frozenset[str]]:
    declared = {item["key"]: item["values"] for item in metric.get("filters", ())}
    return {
        key: frozenset(declared[key] if items == [ALL_FILTER_VALUES] else items)
        for key, items in values.items()
    }


def _partly_overlapping(left: dict[str, frozenset[str]], right: dict[str, frozenset[str]]) -> bool:
    # Filters an event can match both, neither more specific than the other: Lago counts such
    # an event twice, and the engine warns (docs/lago-differences.md, Q4).
    if not all(left[key] & right[key] for key in set(left) & set(right)):
        return False
    return not (narrower_filter(left, right) or narrower_filter(right, left))


@st.composite
def _charge_filters(
    draw: st.DrawFn, *, metric: dict[str, Any], model: ChargeModel, pricing_groups: bool
) -> list[dict[str, Any]]:
    declared = {item["key"]: item["values"] for item in metric.get("filters", ())}
    if not declared:
        return []
    kept: list[dict[str, Any]] = []
    shapes: list[dict[str, frozenset[str]]] = []
    for index in range(draw(st.integers(0, 3))):
        keys = draw(subsets(tuple(sorted(declared)), min_size=1))
        values = {}
        for key in sorted(keys):
            every = draw(st.integers(0, 4)) == 4
            values[key] = (
                [ALL_FILTER_VALUES] if every else draw(subsets(tuple(declared[key]), min_size=1))
            )
        shape = _expanded(values, metric)
        if any(_partly_overlapping(shape, other) for other in shapes):
            continue
        shapes.append(shape)
        item: dict[str, Any] = {
            "values": values,
            "properties": draw(properties_of(model=model, pricing_groups=pricing_groups)),
        }
        if draw(st.booleans()):
            item["invoice_display_name"] = f"Filter {index}"
        kept.append(item)
    return kept


@st.composite
def draw_taxes(draw: st.DrawFn, *, min_size: int = 0, max_size: int = 2) -> list[dict[str, Any]]:
    """Taxes ``[{code, name, rate}]`` with distinct codes; rates are percentages."""
    rates = draw(
        st.lists(
            st.sampled_from(("0", "5.5", "10", "20", "21", "7.7")),
            min_size=min_size,
            max_size=max_size,
        )
    )
    return [
        {"code": f"tax_{index}", "name": f"Tax {index}", "rate": rate}
        for index, rate in enumerate(rates)
    ]


@st.composite
def charges_of(
    draw: st.DrawFn,
    *,
    metric: dict[str, Any],
    charge_models: Sequence[ChargeModel],
    code: str | None,
    filters: bool,
    pricing_groups: bool,
    pay_in_advance: bool | None,
    prorated: bool | None,
    min_amount: bool,
    taxes: bool,
) -> dict[str, Any]:
    """A charge mapping pricing ``metric`` (rejected if no model of ``charge_models`` can)."""
    kind = AggregationType(metric["aggregation_type"])
    models = allowed_models(kind, charge_models)
    if not models:
        reject()
    model = draw(st.sampled_from(models))
    record = RECORDS[model]
    in_advance = False
    if kind in _IN_ADVANCE_TYPES and record.pay_in_advance and pay_in_advance is not False:
        in_advance = pay_in_advance or draw(st.booleans())
    prorating = (Prorating.ALWAYS,) if in_advance else (Prorating.ALWAYS, Prorating.IN_ARREARS)
    is_prorated = False
    if (
        metric.get("recurring")
        and kind in _PRORATED_TYPES
        and record.prorating in prorating
        and prorated is not False
    ):
        is_prorated = prorated or draw(st.booleans())
    charge: dict[str, Any] = {
        "charge_model": model.value,
        "billable_metric": metric,
        "pay_in_advance": in_advance,
        "prorated": is_prorated,
        "properties": draw(properties_of(model=model, pricing_groups=pricing_groups)),
    }
    if code is not None:
        charge["code"] = code
    if filters:
        charge["filters"] = draw(
            _charge_filters(metric=metric, model=model, pricing_groups=pricing_groups)
        )
    if min_amount and not in_advance and draw(st.booleans()):
        charge["min_amount_cents"] = draw(st.integers(0, 50_000))
    if taxes and draw(st.integers(0, 3)) == 3:
        charge["taxes"] = draw(draw_taxes(min_size=1, max_size=1))
    if draw(st.booleans()):
        charge["invoice_display_name"] = f"Charge {code or metric['code']}"
    return charge


@st.composite
def draw_plan(
    draw: st.DrawFn,
    *,
    intervals: tuple[PlanInterval, ...],
    currencies: tuple[str, ...],
    min_charges: int,
    max_charges: int,
    kinds: tuple[AggregationType, ...],
    models: tuple[ChargeModel, ...],
    options: dict[str, Any],
) -> dict[str, Any]:
    """A plan mapping: ``options`` are the charge options of :func:`charges_of`."""
    interval = draw(st.sampled_from(intervals))
    count = draw(st.integers(min_charges, max_charges))
    # One metric per code; a later charge may price the metric of an earlier one.
    known: list[dict[str, Any]] = []
    items = []
    for index in range(count):
        reuse = known and draw(st.integers(0, 4)) == 4
        metric = (
            draw(st.sampled_from(known))
            if reuse
            else draw(
                draw_metric(
                    code=f"m{len(known)}",
                    aggregation_types=kinds,
                    recurring=None,
                    filters=options["filters"],
                )
            )
        )
        if not reuse:
            known.append(metric)
        items.append(
            draw(charges_of(metric=metric, charge_models=models, code=f"c{index}", **options))
        )
    plan: dict[str, Any] = {
        "code": "plan",
        "name": "Plan",
        "interval": interval.value,
        "amount_cents": draw(st.integers(0, 10_000)),
        "amount_currency": draw(st.sampled_from(currencies)),
        "pay_in_advance": draw(st.booleans()),
        "charges": items,
    }
    if interval in (PlanInterval.YEARLY, PlanInterval.SEMIANNUAL):
        plan["bill_charges_monthly"] = draw(st.booleans())
    if options["taxes"] and draw(st.booleans()):
        plan["taxes"] = draw(draw_taxes(min_size=1))
    return plan
