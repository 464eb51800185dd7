"""``aggregate``: one metric's aggregation over a period's events, without filters or groups.

It reads and rates the events with the same core as the usage functions
(:mod:`usage_engine.rating`): one charge of the metric, priced at nothing, with the options
asked for.
"""

from __future__ import annotations

from ._coerce import as_metric, as_period
from ._inputs import EventsInput, MetricInput, PeriodInput
from .aggregation import Aggregation, Options, Window, apply_rounding
from .models import AggregationType, BillableMetric, Plan
from .models.usage import RejectedEvents
from .money import exact_decimals
from .rating import Rating, View, consume
from .selection import InvalidEvents, Rejections

__all__ = ["aggregate"]


@exact_decimals
def aggregate(
    metric: MetricInput,
    events: EventsInput,
    period: PeriodInput,
    *,
    options: Options | None = None,
    invalid_events: InvalidEvents = "raise",
) -> tuple[Aggregation, RejectedEvents]:
    """Aggregate ``metric`` over the events of ``period``'s subscription, by Lago's rules.

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
    the_metric = as_metric(metric)
    the_period = as_period(period)
    if options is None:
        options = Options(recurring=the_metric.recurring)
    rejections = Rejections(invalid_events)
    rating = Rating(
        _plan_of(the_metric),
        [View(Window.of(the_period))],
        rejections,
        subscription=the_period.external_subscription_id,
        options=options,
    )
    consume(events, {the_period.external_subscription_id: rating}, rejections)
    (rater,) = rating.raters
    assert rater.single is not None  # one charge without filters or groups: one state
    result = apply_rounding(
        rater.single.result(),
        the_metric.rounding_function,
        the_metric.rounding_precision,
        weighted=the_metric.aggregation_type is AggregationType.WEIGHTED_SUM_AGG,
    )
    return result, rejections.report()


def _plan_of(metric: BillableMetric) -> Plan:
    # A plan with one free charge of the metric: the rating core then reads the events as the
    # usage functions do.
    charge = {"charge_model": "standard", "properties": {"amount": "0"}, "billable_metric": metric}
    return Plan.model_validate(
        {"code": "aggregate", "interval": "monthly", "amount_currency": "EUR", "charges": [charge]}
    )
