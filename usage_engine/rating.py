"""Rating: one pass over the events, one fee per (charge, filter bucket, pricing group).

This is the shared core of current, projected and past usage: it selects the events, routes
each to its charges' buckets and groups, aggregates, and prices every fee.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ._ids import stable_id
from ._time import EARLIEST_SECONDS, LATEST_SECONDS
from .aggregation import (
    Aggregation,
    AggregationState,
    Options,
    Window,
    apply_rounding,
    as_number,
    new_state,
    value_reader,
)
from .buckets import Bucket, FilterRouter, buckets_of, group_of
from .errors import InvalidInput, Problem
from .models import AggregationType, BillableMetric, Charge, ChargeModel, Plan
from .models.usage import BucketFee, ChargeRef, MetricRef, RejectedEvents
from .money import AMOUNT, to_cents
from .pricing import PricingInput, price
from .selection import (
    InvalidEvents,
    Rejections,
    apply_expression,
    id_text,
    numbered,
    read_events,
)

__all__ = [
    "ChargeRater",
    "RatedCharge",
    "Rating",
    "Receipt",
    "Slot",
    "View",
    "consume",
    "naming_charge",
    "plan_metrics",
    "rate",
    "rate_many",
    "rate_views",
]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class RatedCharge:
    """A charge with its buckets, its priced fees and the aggregation behind each fee."""

    charge: Charge
    buckets: tuple[Bucket, ...]
    fees: tuple[BucketFee, ...]
    aggregations: tuple[Aggregation, ...]

    def bucket(self, filter_index: int | None) -> Bucket:
        """The bucket of a fee's ``filter_index``."""
        return next(bucket for bucket in self.buckets if bucket.index == filter_index)

    @property
    def ref(self) -> ChargeRef:
        """How the response names the charge."""
        charge = self.charge
        return _charge_ref(
            charge.lago_id, charge.code, charge.charge_model.value, charge.invoice_display_name
        )

    @property
    def metric_ref(self) -> MetricRef:
        """How the response names the charge's metric."""
        metric = self.charge.billable_metric
        return _metric_ref(
            metric.lago_id or stable_id("billable_metric", metric.code),
            metric.name,
            metric.code,
            metric.aggregation_type.value,
        )


# The references are immutable: one instance serves every result that names the same charge.
@lru_cache(maxsize=4096)
def _charge_ref(lago_id: str, code: str | None, model: str, name: str | None) -> ChargeRef:
    return ChargeRef.build(
        lago_id=lago_id, code=code, charge_model=model, invoice_display_name=name
    )


@lru_cache(maxsize=4096)
def _metric_ref(lago_id: str, name: str, code: str, aggregation_type: str) -> MetricRef:
    return MetricRef.build(lago_id=lago_id, name=name, code=code, aggregation_type=aggregation_type)


def charge_options(
    charge: Charge, *, plain: bool = False, invoicing: bool = False, retractable: bool = False
) -> Options:
    """What the charge needs from its aggregation.

    ``plain`` drops the pay-in-advance rules (the projection re-aggregates that way);
    ``invoicing`` keeps negative prorated totals (closed periods, spec 4.8); ``retractable``
    keeps what taking an event back out needs (a recording :class:`Rating`).
    """
    model = charge.charge_model
    prorated = charge.prorated
    return Options(
        recurring=charge.billable_metric.recurring,
        prorated=prorated,
        pay_in_advance=charge.pay_in_advance and not plain,
        keep_events=(
            model is ChargeModel.PERCENTAGE or (prorated and model is ChargeModel.GRADUATED)
        ),
        precise_amounts=model is ChargeModel.DYNAMIC,
        invoicing=invoicing,
        retractable=retractable,
    )


Slot = tuple[int | None, tuple[str | None, ...]]
"""A fee's place in a charge: its filter index (None: default bucket) and pricing group."""

_NO_GROUP: tuple[str | None, ...] = ()


@dataclass(frozen=True, slots=True)
class ChargeLayout:
    """What a charge's raters share whatever the subscription: buckets and filter routing."""

    buckets: tuple[Bucket, ...]
    by_index: dict[int | None, Bucket]
    group_keys: dict[int | None, tuple[str, ...]]
    router: FilterRouter
    plain: bool

    @classmethod
    def of(cls, charge: Charge) -> ChargeLayout:
        """The layout of ``charge``."""
        buckets = buckets_of(charge)
        return cls(
            buckets=buckets,
            by_index={bucket.index: bucket for bucket in buckets},
            group_keys={bucket.index: bucket.group_keys for bucket in buckets},
            router=FilterRouter(buckets),
            plain=not charge.filters and not charge.properties.group_keys,
        )


Layouts = dict[int, ChargeLayout]
"""Charge layouts by ``id(charge)``, shared by the ratings of one call."""


class ChargeRater:
    """Aggregates one charge's events per bucket and group, then prices each fee."""

    __slots__ = (
        "buckets",
        "by_index",
        "charge",
        "group_keys",
        "metric",
        "options",
        "priced",
        "router",
        "single",
        "states",
        "window",
    )

    def __init__(
        self,
        charge: Charge,
        window: Window,
        options: Options,
        layout: ChargeLayout | None = None,
    ) -> None:
        self.charge = charge
        self.metric: BillableMetric = charge.billable_metric
        self.window = window
        self.options = options
        if layout is None:
            layout = ChargeLayout.of(charge)
        self.buckets = layout.buckets
        self.by_index = layout.by_index
        self.group_keys = layout.group_keys
        self.router = layout.router
        self.states: dict[Slot, AggregationState] = {}
        # Each slot's priced fee, until an event changes the slot (incremental use).
        self.priced: dict[Slot, tuple[BucketFee, Aggregation]] = {}
        # The common case, no filter and no group: one state, no routing per event.
        self.single: AggregationState | None = None
        if layout.plain:
            self.single = self.states[(None, _NO_GROUP)] = self._new_state()

    def _new_state(self) -> AggregationState:
        return new_state(self.metric, self.window, self.options)

    def add(
        self,
        ts: int,
        key: str,
        properties: Mapping[str, Any],
        value: Any,
        amount: Decimal | None,
    ) -> list[Slot] | None:
        """Route one event (already known to count for the metric) to its buckets.

        Returns the slots it went to, or None for the single slot of a plain charge.
        """
        single = self.single
        priced = self.priced
        if single is not None:
            single.add(ts, key, value, amount)
            if priced:
                priced.clear()
            return None
        slots = []
        states = self.states
        group_keys = self.group_keys
        for index in self.router.route(properties):
            keys = group_keys[index]
            slot = (index, group_of(keys, properties) if keys else _NO_GROUP)
            state = states.get(slot)
            if state is None:
                state = states[slot] = self._new_state()
            state.add(ts, key, value, amount)
            priced.pop(slot, None)
            slots.append(slot)
        return slots

    def merge(self, other: ChargeRater) -> None:
        """Fold in another rater of the same charge and window."""
        self.merge_states(other.states)

    def merge_states(self, states: Mapping[Slot, AggregationState]) -> None:
        """Fold in states of the same charge and window by slot (taken over, not copied)."""
        self.priced.clear()
        for slot, state in states.items():
            mine = self.states.get(slot)
            if mine is None:
                self.states[slot] = state
            else:
                mine.merge(state)
        if self.single is not None:
            self.single = self.states[(None, _NO_GROUP)]

    def add_at(
        self, slots: Sequence[Slot] | None, ts: int, key: str, value: Any, amount: Decimal | None
    ) -> None:
        """Add one event to the slots :meth:`add` sent it to (None: the single slot)."""
        for state in self._at(slots, create=True):
            state.add(ts, key, value, amount)

    def retract(
        self, slots: Sequence[Slot] | None, ts: int, key: str, value: Any, amount: Decimal | None
    ) -> None:
        """Take back out an event :meth:`add` sent to ``slots`` (the options retractable)."""
        for state in self._at(slots, create=False):
            state.retract(ts, key, value, amount)

    def _at(self, slots: Sequence[Slot] | None, *, create: bool) -> list[AggregationState]:
        self.priced.clear()
        if slots is None:
            assert self.single is not None, "a charge with filters or groups names its slots"
            return [self.single]
        states = self.states
        if create:
            for slot in slots:
                if slot not in states:
                    states[slot] = self._new_state()
        return [states[slot] for slot in slots]

    def rate(self, currency: str) -> RatedCharge:
        """Price every fee (spec 5.4: empty groups dropped, an empty bucket shown once)."""
        fees: list[tuple[BucketFee, Aggregation]] = []
        for bucket in self.buckets:
            found = sorted(
                (
                    (group, state)
                    for (index, group), state in self.states.items()
                    if index == bucket.index
                ),
                key=lambda item: tuple((value is not None, value or "") for value in item[0]),
            )
            priced = [self._priced_fee(bucket, group, state, currency) for group, state in found]
            kept = [item for item in priced if not _empty(item[0])]
            if not kept:
                blank = self._new_state().result()
                kept = [self._fee(bucket, (None,) * len(bucket.group_keys), blank, currency)]
            fees.extend(kept)
        return RatedCharge(
            self.charge,
            self.buckets,
            tuple(fee for fee, _ in fees),
            tuple(aggregation for _, aggregation in fees),
        )

    def _priced_fee(
        self,
        bucket: Bucket,
        group: tuple[str | None, ...],
        state: AggregationState,
        currency: str,
    ) -> tuple[BucketFee, Aggregation]:
        slot = (bucket.index, group)
        known = self.priced.get(slot)
        if known is None:
            known = self.priced[slot] = self._fee(bucket, group, state.result(), currency)
        return known

    def _fee(
        self, bucket: Bucket, group: tuple[str | None, ...], raw: Aggregation, currency: str
    ) -> tuple[BucketFee, Aggregation]:
        metric = self.metric
        aggregation = apply_rounding(
            raw,
            metric.rounding_function,
            metric.rounding_precision,
            weighted=metric.aggregation_type is AggregationType.WEIGHTED_SUM_AGG,
        )
        charge = self.charge
        pricing = PricingInput(
            aggregation,
            metric.aggregation_type,
            charge.prorated,
            currency,
            invoicing=self.options.invoicing,
        )
        amount = price(charge.charge_model, bucket.properties, pricing)
        units, total = aggregation.current_units, aggregation.total_aggregated_units
        if aggregation.units < 0 or amount < 0:
            # Lago zeroes a negative fee (spec 4.0); prorated and pay-in-advance units shown
            # are already floored by the aggregation.
            amount = ZERO
            if not (charge.prorated or charge.pay_in_advance):
                units = total = ZERO
        # Trusted values built here: skip validation (this runs once per fee).
        fee = BucketFee.build(
            filter_index=bucket.index,
            grouped_by=tuple(zip(bucket.group_keys, group, strict=True)),
            units=units,
            priced_units=aggregation.units,
            total_aggregated_units=total,
            events_count=aggregation.events_count,
            amount=amount,
            amount_cents=to_cents(amount, currency),
        )
        return fee, aggregation


@contextmanager
def naming_charge(index: int) -> Iterator[None]:
    """Name ``plan.charges[index]`` in an amount too large to compute found while pricing it.

    The money functions cannot know whose amount they round.
    """
    try:
        yield
    except InvalidInput as error:
        raise InvalidInput(
            [
                Problem(f"plan.charges[{index}]", f"its amount {problem.message}", problem.value)
                if problem.path == AMOUNT
                else problem
                for problem in error.errors
            ]
        ) from None


def _empty(fee: BucketFee) -> bool:
    return not fee.units and not fee.amount_cents and not fee.events_count and not fee.amount


@dataclass(frozen=True, slots=True)
class View:
    """One way of rating the same events: a window and the unit rules of its purpose."""

    window: Window
    plain: bool = False
    invoicing: bool = False


def plan_metrics(plan: Plan) -> dict[str, BillableMetric]:
    """The plan's metrics by code; one code must mean one metric."""
    metrics: dict[str, BillableMetric] = {}
    for index, charge in enumerate(plan.charges):
        metric = charge.billable_metric
        known = metrics.setdefault(metric.code, metric)
        if known != metric:
            msg = f"metric {metric.code!r} is defined differently by another charge of the plan"
            path = f"plan.charges[{index}].billable_metric"
            raise InvalidInput.at(path, msg, metric.code)
    return metrics


_UNSET: Any = object()
_NO_ROUTE: Any = object()
Route = tuple[
    Callable[[Mapping[str, Any]], Any] | None,
    tuple[tuple[int, AggregationState | None, "ChargeRater", bool], ...],
]
"""How the hot loop rates one code: the value reader, then (end µs, single state, rater,
whether it sums precise amounts) per charge of that metric."""
Receipt = tuple[int, list[Slot] | None, int, Any, Decimal | None]
"""Where one event went in one rater: (rater position, slots, µs, value, precise amount)."""


class Rating:
    """The raters of one subscription's plan, for one or more views, fed one event at a time.

    Feeding deduplicates by ``transaction_id`` (the first occurrence wins, whatever its code,
    as Lago's PostgreSQL store does) and evaluates metric expressions (a failing one makes the
    event malformed: Lago rejects it at ingestion). With ``record``, each event's contributions
    are kept so that a later duplicate can be taken back out (see :mod:`usage_engine.state`),
    and the aggregation states are built retractable.
    """

    __slots__ = (
        "by_code",
        "last",
        "metrics",
        "per_view",
        "plan",
        "raters",
        "readers",
        "receipts",
        "rejections",
        "routes",
        "seen",
    )

    def __init__(
        self,
        plan: Plan,
        views: Sequence[View],
        rejections: Rejections,
        *,
        record: bool = False,
        layouts: Layouts | None = None,
    ) -> None:
        self.plan = plan
        self.metrics = plan_metrics(plan)
        if layouts is None:
            layouts = {}
        for charge in plan.charges:
            if id(charge) not in layouts:
                layouts[id(charge)] = ChargeLayout.of(charge)
        self.per_view: list[list[ChargeRater]] = [
            [
                ChargeRater(
                    charge,
                    view.window,
                    charge_options(
                        charge, plain=view.plain, invoicing=view.invoicing, retractable=record
                    ),
                    layouts[id(charge)],
                )
                for charge in plan.charges
            ]
            for view in views
        ]
        self.raters = [rater for raters in self.per_view for rater in raters]
        self.by_code: dict[str, list[tuple[int, ChargeRater]]] = {code: [] for code in self.metrics}
        for position, rater in enumerate(self.raters):
            self.by_code[rater.metric.code].append((position, rater))
        self.readers = {code: value_reader(metric) for code, metric in self.metrics.items()}
        # The hot loop's dispatch: per code, how to read the value and where it goes; None for
        # a metric with an expression (those take :meth:`feed`).
        self.routes: dict[str, Route | None] = {
            code: None
            if metric.expression is not None
            else (
                # count_agg reads nothing: None tells the hot loop to skip the call.
                None
                if metric.aggregation_type is AggregationType.COUNT_AGG
                else self.readers[code],
                tuple(
                    (
                        rater.window.to_us,
                        rater.single,
                        rater,
                        rater.options.precise_amounts,
                    )
                    for _, rater in self.by_code[code]
                ),
            )
            for code, metric in self.metrics.items()
        }
        self.last = max(view.window.to_us for view in views)
        self.rejections = rejections
        self.seen: set[str] = set()
        self.receipts: dict[str, list[Receipt]] | None = {} if record else None

    def feed(
        self,
        position: Any,
        key: str,
        code: str,
        ts: int,
        properties: Mapping[str, Any],
        precise: Any,
    ) -> None:
        """Take one well-formed event of the subscription."""
        metric = self.metrics.get(code)
        if metric is not None and metric.expression is not None:
            evaluated = apply_expression(metric, ts, properties)
            if isinstance(evaluated, str):
                self.rejections.reject(position, key, evaluated)
                return
            properties = evaluated
        seen = self.seen
        if key in seen:
            return
        seen.add(key)
        receipts = self.receipts
        if receipts is not None:
            receipts[key] = []
        if metric is None or ts > self.last:
            return  # another metric, or a later period (spec 2.2)
        value = _UNSET
        for rater_position, rater in self.by_code[code]:
            if ts > rater.window.to_us:
                continue
            if value is _UNSET:
                value = self.readers[code](properties)
                if value is None:
                    return  # no usable field: Lago ignores the event (spec 2.1)
            amount = None
            if rater.options.precise_amounts:
                number = as_number(precise)
                amount = Decimal(number) if number is not None else ZERO
            single = rater.single
            if single is not None and receipts is None:
                single.add(ts, key, value, amount)
                continue
            slots = rater.add(ts, key, properties, value, amount)
            if receipts is not None:
                receipts[key].append((rater_position, slots, ts, value, amount))

    def restore(self, receipts: dict[str, list[Receipt]]) -> None:
        """Take back the receipts of a recording rating read back from a checkpoint.

        Its states come back through each rater's :meth:`ChargeRater.merge_states`.
        """
        self.receipts = receipts
        self.seen = set(receipts)

    def results(self) -> list[tuple[RatedCharge, ...]]:
        """The rated charges of each view, in the plan's order."""
        currency = self.plan.amount_currency
        return [
            tuple(_rated(index, rater, currency) for index, rater in enumerate(raters))
            for raters in self.per_view
        ]


def _rated(index: int, rater: ChargeRater, currency: str) -> RatedCharge:
    with naming_charge(index):
        return rater.rate(currency)


def _precise(value: Any) -> Decimal:
    number = as_number(value)
    return Decimal(number) if number is not None else ZERO


def consume(
    events: Iterable[Any],
    ratings: Mapping[str, Rating],
    rejections: Rejections,
    positions: Iterable[Any] | None = None,
    *,
    broadcast_orphans: bool = True,
) -> None:
    """Feed every event of ``events`` to its subscription's rating, reading them once.

    This is the hot loop. A well-formed event as ``json.loads`` gives it (a dict with string
    ids, an integer timestamp, a dict of properties) of a metric without an expression is
    rated inline: the same steps as :meth:`Rating.feed`, without a call per step. Anything else
    goes through the full checks of :func:`usage_engine.selection.read_events` and ``feed``.
    ``positions``, when given, name the events in errors instead of their indexes. A malformed
    event naming no subscription goes to ``rejections``, and also to every rating's own unless
    ``broadcast_orphans`` is False.
    """
    find = ratings.get
    for position, raw in numbered(events, 0, positions):
        if type(raw) is dict:
            get = raw.get
            subscription = get("external_subscription_id")
            rating = find(subscription) if type(subscription) is str else None
            if rating is None and type(subscription) is str:
                continue  # another subscription's event
            key = get("transaction_id")
            code = get("code")
            stamp = get("timestamp")
            properties = get("properties")
            if (
                rating is not None
                and type(key) is str
                and key
                and type(code) is str
                and code
                and type(stamp) is int
                and EARLIEST_SECONDS <= stamp < LATEST_SECONDS
                and type(properties) is dict
            ):
                route = rating.routes.get(code, _NO_ROUTE)
                if route is None:  # an expression to evaluate first
                    precise = get("precise_total_amount_cents")
                    rating.feed(position, key, code, stamp * 1_000_000, properties, precise)
                    continue
                seen = rating.seen
                known = len(seen)
                seen.add(key)  # one hash lookup for the test and the insertion
                if len(seen) == known:
                    continue  # a duplicate: the first occurrence won (spec 2.3)
                ts = stamp * 1_000_000
                if route is _NO_ROUTE or ts > rating.last:
                    continue  # another metric, or a later period
                reader, targets = route
                value = True if reader is None else reader(properties)
                if value is None:
                    continue  # no usable field: Lago ignores the event (spec 2.1)
                for end, single, rater, precise_amounts in targets:
                    if ts > end:
                        continue
                    amount = (
                        _precise(get("precise_total_amount_cents")) if precise_amounts else None
                    )
                    if single is not None:
                        single.add(ts, key, value, amount)
                    else:
                        rater.add(ts, key, properties, value, amount)
                continue
        _check_and_feed(raw, position, ratings, rejections, broadcast_orphans)


def _check_and_feed(
    raw: Any,
    position: Any,
    ratings: Mapping[str, Rating],
    rejections: Rejections,
    broadcast_orphans: bool,
) -> None:
    # The slow path: full checks. A malformed event is reported to its subscription's rating,
    # or to every rating when it names no subscription.
    scratch = Rejections("collect")
    for subscription, _, key, code, ts, properties, precise in read_events(
        (raw,), ratings, scratch, positions=(position,)
    ):
        ratings[subscription].feed(position, key, code, ts, properties, precise)
    if not scratch.count:
        return
    where, _, reason = scratch.reasons[0].partition(": ")
    owner = id_text(raw.get("external_subscription_id")) if isinstance(raw, Mapping) else None
    rating = ratings.get(owner) if owner is not None else None
    if rating is not None:
        rating.rejections.record(where, reason)
        return
    rejections.record(where, reason)
    if not broadcast_orphans:
        return
    for other in ratings.values():
        if other.rejections is not rejections:
            other.rejections.record(where, reason)


def rate_views(
    plan: Plan,
    events: Iterable[Any],
    subscription_id: str,
    views: Sequence[View],
    *,
    invalid_events: InvalidEvents = "raise",
) -> tuple[list[tuple[RatedCharge, ...]], RejectedEvents]:
    """Rate every charge of ``plan`` once per view, reading the events once.

    Returns the rated charges of each view, in the plan's order, and the malformed events
    that were collected.
    """
    rejections = Rejections(invalid_events)
    rating = Rating(plan, views, rejections)
    consume(events, {subscription_id: rating}, rejections)
    return rating.results(), rejections.report()


def rate(
    plan: Plan,
    events: Iterable[Any],
    subscription_id: str,
    window: Window,
    *,
    plain: bool = False,
    invoicing: bool = False,
    invalid_events: InvalidEvents = "raise",
) -> tuple[tuple[RatedCharge, ...], RejectedEvents]:
    """Rate every charge of ``plan`` over the events of one subscription in ``window``."""
    results, rejected = rate_views(
        plan,
        events,
        subscription_id,
        [View(window, plain=plain, invoicing=invoicing)],
        invalid_events=invalid_events,
    )
    return results[0], rejected


def rate_many(
    jobs: Mapping[str, tuple[Plan, Sequence[View]]],
    events: Iterable[Any],
    *,
    invalid_events: InvalidEvents = "raise",
) -> tuple[dict[str, list[tuple[RatedCharge, ...]]], RejectedEvents]:
    """Rate many subscriptions in one pass over a stream holding all their events.

    ``jobs`` maps each ``external_subscription_id`` to its plan and views. Memory grows with
    the states and the transaction ids of the subscriptions, not with the stream.
    """
    rejections = Rejections(invalid_events)
    layouts: Layouts = {}
    ratings = {
        subscription: Rating(plan, views, rejections, layouts=layouts)
        for subscription, (plan, views) in jobs.items()
    }
    consume(events, ratings, rejections)
    return (
        {subscription: rating.results() for subscription, rating in ratings.items()},
        rejections.report(),
    )
