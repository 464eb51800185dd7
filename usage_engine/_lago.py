"""Lago's exports as they are: a plan whose charges name their metrics, joined with the metrics.

``GET /api/v1/plans/{code}`` gives each charge its metric's ``billable_metric_code`` and
``lago_billable_metric_id``, not the metric itself; ``GET /api/v1/billable_metrics`` gives the
metrics. :func:`plan_with_metrics` puts each metric into its charges, which is the plan shape
every function of the engine takes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._coerce import as_metric, as_plan
from ._inputs import MetricInput, PlanInput
from ._wrappers import unwrap
from .errors import InvalidInput
from .models import BillableMetric, Plan
from .models.charge import METRIC_REFERENCES

__all__ = ["plan_with_metrics"]

_METRICS = "billable_metrics"


def plan_with_metrics(plan: PlanInput, metrics: Iterable[MetricInput] | Mapping[str, Any]) -> Plan:
    """``plan`` with each charge's billable metric taken from ``metrics``, validated.

    ``plan`` is Lago's plan object, bare or as ``GET /plans/{code}`` answers it
    (``{"plan": {...}}``); a charge names its metric by ``billable_metric_code``, else
    ``lago_billable_metric_id`` (or ``billable_metric_id``). ``metrics`` is what
    ``GET /billable_metrics`` answers (``{"billable_metrics": [...], "meta": {...}}``), a list
    of metrics, or a list of such pages. A charge that already embeds its metric keeps it.
    A charge naming a metric that is not given raises :class:`~usage_engine.InvalidInput`
    naming the charge's field and the value.

    >>> plan = {"plan": {"code": "api", "interval": "monthly", "amount_currency": "EUR",
    ...     "charges": [{"billable_metric_code": "calls", "charge_model": "standard",
    ...                  "properties": {"amount": "0.5"}}]}}
    >>> metrics = {"billable_metrics": [{"code": "calls", "aggregation_type": "count_agg"}],
    ...     "meta": {"current_page": 1, "total_pages": 1}}
    >>> plan_with_metrics(plan, metrics).charges[0].billable_metric.code
    'calls'
    >>> plan_with_metrics(plan, {"billable_metrics": []})
    Traceback (most recent call last):
    ...
    usage_engine.errors.InvalidInput: plan.charges[0].billable_metric_code: is not among the \
billable metrics given (none given) (got 'calls')
    """
    if isinstance(plan, Plan):
        return plan  # a model embeds its metrics already
    raw = unwrap(plan, "plan")
    charges = raw.get("charges") if isinstance(raw, Mapping) else None
    if not isinstance(charges, list | tuple):
        return as_plan(raw)  # nothing to join: the plan's own errors, if any
    given = _metrics(metrics)
    joined = [
        _joined(charge, index, given) if isinstance(charge, Mapping) else charge
        for index, charge in enumerate(charges)
    ]
    return as_plan({**raw, "charges": joined})


class _Given:
    """The metrics given, found by code or by Lago id, each validated once when used."""

    def __init__(self, items: list[tuple[str, Any]]) -> None:
        self.items = items
        self.by_key: dict[tuple[str, str], int] = {}
        for index, (_, item) in enumerate(items):
            for name, field in (("code", "code"), ("id", "lago_id")):
                value = _field(item, field)
                if isinstance(value, str):
                    self.by_key.setdefault((name, value), index)
        self.checked: dict[int, BillableMetric] = {}

    def find(self, kind: str, value: Any) -> BillableMetric | None:
        index = self.by_key.get((kind, value)) if isinstance(value, str) else None
        if index is None:
            return None
        if index not in self.checked:
            root, item = self.items[index]
            self.checked[index] = as_metric(item, root)
        return self.checked[index]

    def codes(self) -> list[str]:
        return [value for kind, value in self.by_key if kind == "code"]


def _field(item: Any, name: str) -> Any:
    if isinstance(item, BillableMetric):
        return getattr(item, name)
    return item.get(name) if isinstance(item, Mapping) else None


def _metrics(metrics: Any) -> _Given:
    """The metrics given, each with the path naming it in errors."""
    metrics = unwrap(unwrap(metrics, _METRICS), "billable_metric")
    if isinstance(metrics, Mapping | BillableMetric):
        metrics = [metrics]  # one metric
    if isinstance(metrics, str | bytes) or not isinstance(metrics, Iterable):
        msg = "must be a list of billable metrics or Lago's {'billable_metrics': [...]}"
        raise InvalidInput.at(_METRICS, msg, metrics)
    items: list[tuple[str, Any]] = []
    for index, item in enumerate(metrics):
        page = unwrap(item, _METRICS)
        if page is not item and isinstance(page, list | tuple):
            # One page of GET /billable_metrics among others.
            root = f"{_METRICS}[{index}].{_METRICS}"
            items.extend((f"{root}[{number}]", metric) for number, metric in enumerate(page))
        else:
            items.append((f"{_METRICS}[{index}]", unwrap(item, "billable_metric")))
    return _Given(items)


def _joined(charge: Mapping[str, Any], index: int, given: _Given) -> Mapping[str, Any]:
    """The charge with its metric embedded, found by the first reference it carries."""
    if charge.get("billable_metric") is not None:
        return charge
    for key in METRIC_REFERENCES:
        value = charge.get(key)
        if value is None:
            continue
        metric = given.find("code" if key == "billable_metric_code" else "id", value)
        if metric is None:
            codes = given.codes()
            shown = f"codes: {', '.join(codes)}" if codes else "none given"
            path = f"plan.charges[{index}].{key}"
            raise InvalidInput.at(path, f"is not among the billable metrics given ({shown})", value)
        return {**charge, "billable_metric": metric}
    return charge  # names no metric: the plan's validation says billable_metric is required
