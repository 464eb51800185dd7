"""Event streams for a plan's metrics around a period."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple

from hypothesis import strategies as st

from .._time import from_micros, micros
from ..models import AggregationType, ChargeModel, Plan
from .charges import GROUP_VALUES, amounts
from .subscriptions import lago_instant

__all__ = ["Shape", "draw_events", "shapes_of"]

_UNIQUE_VALUES: Final = ("u1", "u2", "u3", "u4", "u5")
_LOCATIONS: Final = ("inside",) * 8 + ("before", "after")
_EARLIEST: Final = micros(datetime(2, 1, 1, tzinfo=UTC))


class Shape(NamedTuple):
    """What an event of one code carries: its metric's field and filter keys, group keys."""

    kind: AggregationType | None
    filters: dict[str, tuple[str, ...]]
    group_keys: tuple[str, ...]
    dynamic: bool


def shapes_of(plan: Plan, codes: Sequence[str] | None) -> dict[str, Shape]:
    """The shape of the events of each code (default: the plan's metric codes)."""
    shapes: dict[str, Shape] = {}
    for charge in plan.charges:
        metric = charge.billable_metric
        known = shapes.get(metric.code)
        keys = set(charge.properties.group_keys)
        for item in charge.filters:
            keys.update(item.properties.group_keys)
        shapes[metric.code] = Shape(
            kind=metric.aggregation_type,
            filters={item.key: item.values for item in metric.filters},
            group_keys=tuple(sorted(keys | set(known.group_keys if known else ()))),
            dynamic=charge.charge_model is ChargeModel.DYNAMIC or bool(known and known.dynamic),
        )
    if codes is None:
        return shapes
    return {code: shapes.get(code, Shape(None, {}, (), False)) for code in codes}


_NUMBERS: Final = st.one_of(
    st.integers(0, 1000),
    st.integers(-20, -1),
    st.decimals(min_value=-20, max_value=1000, places=2).map(lambda value: format(value, "f")),
    st.decimals(min_value=0, max_value=100, places=4).map(lambda value: format(value, "f")),
    st.decimals(min_value=0, max_value=100, places=1).map(float),
)


@st.composite
def _properties(draw: st.DrawFn, shape: Shape) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    if shape.kind is AggregationType.UNIQUE_COUNT_AGG:
        properties["value"] = draw(st.sampled_from(_UNIQUE_VALUES))
        operation = draw(st.sampled_from((None, None, "add", "remove")))
        if operation is not None:
            properties["operation_type"] = operation
    elif shape.kind is not AggregationType.COUNT_AGG:
        properties["value"] = draw(_NUMBERS)
    for key, declared in shape.filters.items():
        # A declared value, one the metric does not declare, or none at all.
        value = draw(st.sampled_from((*declared, "other", None)))
        if value is not None:
            properties[key] = value
    for key in shape.group_keys:
        value = draw(st.sampled_from((*GROUP_VALUES, None)))
        if value is not None:
            properties[key] = value
    return properties


def _timestamp(draw: st.DrawFn, low: int, high: int) -> Any:
    # Lago's API takes unix seconds (a number or numeric text); ISO 8601 is accepted too.
    form = draw(st.sampled_from(("iso", "unix", "text", "float")))
    first_second, last_second = -(-low // 1_000_000), high // 1_000_000
    if form == "unix" and first_second <= last_second:
        return draw(st.integers(first_second, last_second))
    first_milli, last_milli = -(-low // 1000), high // 1000
    if form == "float" and first_milli <= last_milli:
        milli = draw(st.integers(first_milli, last_milli))
        return float(f"{milli // 1000}.{milli % 1000:03d}")
    at = draw(st.integers(low, high))
    if form == "text":
        return f"{at // 1_000_000}.{at % 1_000_000:06d}"
    return lago_instant(from_micros(at))


@st.composite
def draw_events(
    draw: st.DrawFn,
    *,
    shapes: dict[str, Shape],
    window: tuple[int, int],
    span: tuple[int, int] | None,
    min_events: int,
    max_events: int,
    duplicate_rate: float,
    subscription_ids: tuple[str, ...],
    id_prefix: str,
) -> list[dict[str, Any]]:
    """Distinct events of the shapes' codes, then re-sent copies, in any order."""
    if not shapes:
        return []  # no code to draw events of
    low, high = window
    length = max(high - low, 1)
    stream = []
    for index in range(draw(st.integers(min_events, max_events))):
        code = draw(st.sampled_from(sorted(shapes)))
        if span is not None:
            bounds = span
        else:
            where = draw(st.sampled_from(_LOCATIONS))
            bounds = {
                "inside": (low, high),
                "before": (max(low - length, _EARLIEST), max(low - 1, _EARLIEST)),
                "after": (high + 1, high + 7 * 86_400_000_000),
            }[where]
        event: dict[str, Any] = {
            "transaction_id": f"{id_prefix}{index}",
            "external_subscription_id": draw(st.sampled_from(subscription_ids)),
            "code": code,
            "timestamp": _timestamp(draw, *bounds),
            "properties": draw(_properties(shapes[code])),
        }
        if shapes[code].dynamic:
            event["precise_total_amount_cents"] = draw(amounts(max_value=10_000, max_places=3))
        stream.append(event)
    if duplicate_rate:
        # Re-sent copies (same transaction_id, same content), then any order.
        threshold = 100 - round(duplicate_rate * 100)
        copies = [dict(item) for item in stream if draw(st.integers(0, 99)) >= threshold]
        stream = draw(st.permutations(stream + copies)) if copies else stream
    return stream
