"""``aggregate``: one metric's aggregation over a period's events, without filters or groups."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .._coerce import as_metric, as_period
from ..models import AggregationType
from ..models.usage import RejectedEvents
from ..money import exact_decimals
from ..selection import InvalidEvents, Rejections, apply_expression, read_events
from . import field_value, new_state
from ._base import Aggregation, Options, Window, as_number
from .rounding import apply_rounding

__all__ = ["aggregate"]


@exact_decimals
def aggregate(
    metric: Any,
    events: Iterable[Any],
    period: Any,
    *,
    options: Options | None = None,
    invalid_events: InvalidEvents = "raise",
) -> tuple[Aggregation, RejectedEvents]:
    """Aggregate ``metric`` over the events of ``period``'s subscription (spec 2 and 3).

    ``metric`` and ``period`` are models or mappings in Lago's shape. Returns the aggregation
    (rounded as the metric says) and the report of malformed events set aside
    (``invalid_events="collect"``; empty when they raise).

    An event stamped after ``now`` but inside the period counts; one after the period does not:

    >>> period = {"external_subscription_id": "sub",
    ...     "from_datetime": "2024-03-01T00:00:00Z", "to_datetime": "2024-03-31T23:59:59Z"}
    >>> stamps = ["2024-03-31T23:59:59Z", "2024-04-01T00:00:00Z"]
    >>> events = [{"transaction_id": str(n), "external_subscription_id": "sub", "code": "calls",
    ...     "timestamp": ts} for n, ts in enumerate(stamps)]
    >>> metric = {"code": "calls", "aggregation_type": "count_agg"}
    >>> result, rejected = aggregate(metric, events, period)
    >>> result.units, result.events_count, rejected.count
    (Decimal('1'), 1, 0)
    """
    metric = as_metric(metric)
    period = as_period(period)
    if options is None:
        options = Options(recurring=metric.recurring)
    window = Window.of(period)
    state = new_state(metric, window, options)
    rejections = Rejections(invalid_events)
    precise = options.precise_amounts
    seen: set[str] = set()
    expression = metric.parsed_expression
    for _sub, position, key, code, ts, properties, cents in read_events(
        events, (period.external_subscription_id,), rejections
    ):
        if code == metric.code and expression is not None:
            evaluated = apply_expression(metric, ts, properties)
            if isinstance(evaluated, str):
                rejections.reject(position, key, evaluated)
                continue
            properties = evaluated
        if key in seen:
            continue
        seen.add(key)
        if code != metric.code or ts > window.to_us:
            continue
        value = field_value(metric, properties)
        if value is None:
            continue  # no usable field: Lago ignores the event (spec 2.1)
        amount = _precise(cents) if precise else None
        state.add(ts, key, value, amount)
    result = apply_rounding(
        state.result(),
        metric.rounding_function,
        metric.rounding_precision,
        weighted=metric.aggregation_type is AggregationType.WEIGHTED_SUM_AGG,
    )
    return result, rejections.report()


def _precise(value: Any) -> Decimal:
    number = as_number(value)
    return Decimal(number) if number is not None else Decimal(0)
