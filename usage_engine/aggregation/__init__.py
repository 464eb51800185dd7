"""Aggregations: one mergeable state type per ``aggregation_type``, chosen through a registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from ..models import AggregationType, BillableMetric
from ._base import Aggregation, AggregationState, Options, TimedValue, Window, as_number, as_text
from .count import CountState
from .latest import LatestState
from .max import MaxState
from .rounding import apply_rounding
from .sum import SumState
from .unique_count import UniqueCountState
from .weighted_sum import WeightedSumState

__all__ = [
    "AGGREGATORS",
    "READERS",
    "Aggregation",
    "AggregationState",
    "Options",
    "StateFactory",
    "StateReader",
    "TimedValue",
    "Window",
    "apply_rounding",
    "as_number",
    "as_text",
    "field_value",
    "new_state",
    "state_from_data",
    "value_reader",
]

StateFactory = Callable[[Window, Options], AggregationState]
"""Builds an empty state for a window (each state class is one)."""

AGGREGATORS: Final[Mapping[AggregationType, StateFactory]] = MappingProxyType(
    {
        AggregationType.COUNT_AGG: CountState,
        AggregationType.SUM_AGG: SumState,
        AggregationType.MAX_AGG: MaxState,
        AggregationType.UNIQUE_COUNT_AGG: UniqueCountState,
        AggregationType.LATEST_AGG: LatestState,
        AggregationType.WEIGHTED_SUM_AGG: WeightedSumState,
    }
)
"""The state type of each aggregation type (complete: a test checks every type has one)."""

StateReader = Callable[[Window, Options, Any, str], AggregationState]
"""Reads a state back from its plain data (each state class's ``from_data``)."""

READERS: Final[Mapping[AggregationType, StateReader]] = MappingProxyType(
    {
        AggregationType.COUNT_AGG: CountState.from_data,
        AggregationType.SUM_AGG: SumState.from_data,
        AggregationType.MAX_AGG: MaxState.from_data,
        AggregationType.UNIQUE_COUNT_AGG: UniqueCountState.from_data,
        AggregationType.LATEST_AGG: LatestState.from_data,
        AggregationType.WEIGHTED_SUM_AGG: WeightedSumState.from_data,
    }
)
"""How to read back the plain data of each aggregation type's state (as complete as
:data:`AGGREGATORS`: a test checks)."""

_PRESENT: Final = True


def new_state(metric: BillableMetric, window: Window, options: Options) -> AggregationState:
    """A fresh, empty state for ``metric`` over ``window``."""
    return AGGREGATORS[metric.aggregation_type](window, options)


def state_from_data(
    metric: BillableMetric, window: Window, options: Options, data: Any, path: str = "state"
) -> AggregationState:
    """The state of ``metric`` that its ``to_data`` gave, checked: InvalidInput if malformed.

    >>> from usage_engine.models import BillableMetric
    >>> from usage_engine.aggregation._testing import window
    >>> metric = BillableMetric(code="calls", aggregation_type="count_agg")
    >>> state_from_data(metric, window(), Options(), {"version": 1, "count": 3}).result().units
    Decimal('3')
    >>> state_from_data(metric, window(), Options(), {"version": 2, "count": 3})
    Traceback (most recent call last):
    ...
    usage_engine.errors.InvalidInput: state.version: is version 2; this version of usage_engine \
reads version 1 (got 2)
    """
    return READERS[metric.aggregation_type](window, options, data, path)


def field_value(metric: BillableMetric, properties: Mapping[str, Any]) -> Any:
    """What the metric's state reads from an event, or None when the event does not count.

    count: ``True``; unique count: ``(text, is_add)`` (events without the field are ignored,
    a deliberate difference from Lago, docs/lago-differences.md Q3); other types: the numeric
    value.

    >>> from usage_engine.models import BillableMetric
    >>> metric = BillableMetric(code="seats", aggregation_type="unique_count_agg", field_name="id")
    >>> field_value(metric, {"id": 7, "operation_type": "remove"})
    ('7', False)
    """
    kind = metric.aggregation_type
    if kind is AggregationType.COUNT_AGG:
        return _PRESENT
    raw = properties.get(metric.field_name) if metric.field_name is not None else None
    if kind is AggregationType.UNIQUE_COUNT_AGG:
        text = as_text(raw)
        if text is None:
            return None
        return (text, properties.get("operation_type") != "remove")
    return as_number(raw)


def _present(properties: Mapping[str, Any]) -> Any:
    return _PRESENT


def value_reader(metric: BillableMetric) -> Callable[[Mapping[str, Any]], Any]:
    """:func:`field_value` for ``metric`` as a one-argument function, fastest for its type.

    >>> from usage_engine.models import BillableMetric
    >>> read = value_reader(BillableMetric(code="gb", aggregation_type="sum_agg", field_name="gb"))
    >>> read({"gb": 3}), read({"gb": "1.5"}), read({"gb": "1e3"})
    (3, Decimal('1.5'), None)
    """
    kind = metric.aggregation_type
    if kind is AggregationType.COUNT_AGG:
        return _present
    field = metric.field_name
    if kind is AggregationType.UNIQUE_COUNT_AGG or field is None:
        return lambda properties: field_value(metric, properties)

    def numeric(properties: Mapping[str, Any]) -> Any:
        raw = properties.get(field)
        return raw if type(raw) is int else as_number(raw)

    return numeric
