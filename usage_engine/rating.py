"""Rating: one pass over the events, one fee per (charge, filter bucket, pricing group).

This is the shared core of current, projected and past usage: it selects the events, routes
each to its charges' buckets and groups, aggregates, and prices every fee.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, DecimalException
from functools import lru_cache, partial
from itertools import islice
from operator import itemgetter
from typing import Any, Final, NamedTuple

from ._columns import COLUMNAR, Columns, RowProperties, column_batches, columnar
from ._dedup import COMPACT_AFTER, Salt, key_digest, new_salt
from ._gc import collector_paused
from ._ids import stable_id
from ._inputs import EventSource
from ._time import EARLIEST_SECONDS, LATEST_SECONDS, iso_micros
from .account import (
    BEFORE_SUBSCRIPTION,
    DUPLICATE,
    MALFORMED,
    NO_VALUE,
    NOT_A_NUMBER,
    OTHER_SUBSCRIPTION,
    OUTSIDE_PERIOD,
    UNKNOWN_CODE,
    Tally,
)
from .aggregation import (
    Aggregation,
    AggregationState,
    Options,
    Window,
    apply_rounding,
    as_number,
    as_text,
    new_state,
    value_reader,
)
from .buckets import Bucket, FilterRouter, buckets_of, group_of
from .errors import InvalidInput, Problem, closest, shown
from .models import AggregationType, BillableMetric, Charge, Plan
from .models.account import EventAccount
from .models.usage import BucketFee, ChargeRef, MetricRef, RejectedEvents
from .money import AMOUNT, TOO_LARGE, to_cents
from .pricing import RECORDS, PricingInput, price
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
    "EventReport",
    "RatedCharge",
    "Rating",
    "Receipt",
    "Slot",
    "View",
    "consume",
    "naming_charge",
    "plan_metrics",
    "rate",
    "rate_views",
]

ZERO = Decimal(0)


Whose = tuple[str | None, str | None]
"""Whose amounts a charge prices: the subscription and the transaction_id of its metric's
largest value (each None when unknown), named when an amount is too large to price."""


@dataclass(frozen=True, slots=True)
class RatedCharge:
    """A charge with its buckets, its priced fees and the aggregation behind each fee."""

    charge: Charge
    buckets: tuple[Bucket, ...]
    fees: tuple[BucketFee, ...]
    aggregations: tuple[Aggregation, ...]
    whose: Whose = (None, None)

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
    ``invoicing`` keeps negative prorated totals (closed periods, as Lago invoices them);
    ``retractable`` keeps what taking an event back out needs (a recording :class:`Rating`).
    """
    record = RECORDS[charge.charge_model]
    prorated = charge.prorated
    return Options(
        recurring=charge.billable_metric.recurring,
        prorated=prorated,
        pay_in_advance=charge.pay_in_advance and not plain,
        keep_events=record.keeps_events(prorated),
        precise_amounts=record.precise_amounts,
        invoicing=invoicing,
        retractable=retractable,
    )


Slot = tuple[int | None, tuple[str | None, ...]]
"""A fee's place in a charge: its filter index (None: default bucket) and pricing group."""

_NO_GROUP: tuple[str | None, ...] = ()


def _nothing(properties: Mapping[str, Any]) -> tuple[()]:
    return ()


@dataclass(frozen=True, slots=True)
class ChargeLayout:
    """What a charge's raters share whatever the subscription: buckets and filter routing."""

    buckets: tuple[Bucket, ...]
    by_index: dict[int | None, Bucket]
    group_keys: dict[int | None, tuple[str, ...]]
    router: FilterRouter
    plain: bool
    route_keys: tuple[str, ...]
    """Every property key that filters or groups read: equal values, equal slots."""
    blanks: dict[tuple[int | None, str, Options], tuple[BucketFee, Aggregation]]
    """The fee of each empty bucket, by (filter index, currency, options), once computed."""

    @classmethod
    def of(cls, charge: Charge) -> ChargeLayout:
        """The layout of ``charge``."""
        buckets = buckets_of(charge)
        keys: dict[str, None] = {}
        for bucket in buckets:
            keys.update(dict.fromkeys(bucket.values or ()))
            keys.update(dict.fromkeys(bucket.group_keys))
        return cls(
            buckets=buckets,
            by_index={bucket.index: bucket for bucket in buckets},
            group_keys={bucket.index: bucket.group_keys for bucket in buckets},
            router=FilterRouter(buckets),
            plain=not charge.filters and not charge.properties.group_keys,
            route_keys=tuple(keys),
            blanks={},
        )


Layouts = dict[int, ChargeLayout]
"""Charge layouts by ``id(charge)``, shared by the ratings of one call."""


class ChargeRater:
    """Aggregates one charge's events per bucket and group, then prices each fee."""

    __slots__ = (
        "blanks",
        "buckets",
        "by_index",
        "charge",
        "end_us",
        "group_keys",
        "metric",
        "options",
        "priced",
        "route_keys",
        "route_values",
        "router",
        "single",
        "states",
        "targets_of",
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
        self.route_keys = layout.route_keys
        self.blanks = layout.blanks
        self.end_us = window.to_us
        # The routing values as one hashable key (the bare value for a single key).
        self.route_values = itemgetter(*layout.route_keys) if layout.route_keys else _nothing
        # The slots (and states) of each tuple of routing values already seen: routing runs
        # once per distinct tuple, not once per event.
        self.targets_of: dict[Any, tuple[tuple[Slot, AggregationState], ...]] = {}
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
        targets = self.targets(properties)
        for slot, state in targets:
            state.add(ts, key, value, amount)
            if priced:
                priced.pop(slot, None)
        return [slot for slot, _ in targets]

    def add_routed(self, ts: int, key: str, properties: Mapping[str, Any], value: Any) -> None:
        """:meth:`add` for the hot loop: no precise amount, nothing returned."""
        if ts > self.end_us:
            return  # a later period: no slot is opened for it
        try:
            targets = self.targets_of[self.route_values(properties)]
        except (KeyError, TypeError):  # values not seen yet, a key missing, or unhashable
            targets = self.targets(properties)
        for _, state in targets:
            state.add(ts, key, value, None)
        priced = self.priced
        if priced:
            for slot, _ in targets:
                priced.pop(slot, None)

    def targets(self, properties: Mapping[str, Any]) -> tuple[tuple[Slot, AggregationState], ...]:
        """The slots an event with ``properties`` goes to, with their states."""
        try:
            found = self.route_values(properties)
        except KeyError:  # a routing key missing: read as None, as routing reads it
            found = tuple(map(properties.get, self.route_keys))
            if len(found) == 1:
                found = found[0]
        try:
            targets = self.targets_of.get(found)
        except TypeError:  # an unhashable value (a list, a mapping): routed every time
            return self._targets(properties)
        if targets is None:
            targets = self._targets(properties)
            # Only text values are cached: 1 and True are equal keys but different texts.
            values = found if type(found) is tuple else (found,)
            if all(type(item) is str or item is None for item in values):
                self.targets_of[found] = targets
        return targets

    def _targets(self, properties: Mapping[str, Any]) -> tuple[tuple[Slot, AggregationState], ...]:
        # Each slot the event goes to, with its state (created here if new). A slot's state
        # is never replaced afterwards (merges fold into it), so the pairs can be cached.
        states = self.states
        targets = []
        for slot in self._route(properties):
            state = states.get(slot)
            if state is None:
                state = states[slot] = self._new_state()
            targets.append((slot, state))
        return tuple(targets)

    def _route(self, properties: Mapping[str, Any]) -> tuple[Slot, ...]:
        # The filter buckets, then each one's pricing group.
        group_keys = self.group_keys
        slots = []
        for index in self.router.route(properties):
            keys = group_keys[index]
            slots.append((index, group_of(keys, properties) if keys else _NO_GROUP))
        return tuple(slots)

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

    def keep_slots(self, kept: Collection[Slot]) -> None:
        """Drop the slots not in ``kept`` (opened only by events taken back out)."""
        self.states = {slot: state for slot, state in self.states.items() if slot in kept}
        self.targets_of.clear()  # the cached routes may hold dropped states
        self.priced.clear()

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

    def rate(self, currency: str, whose: Whose = (None, None)) -> RatedCharge:
        """Price every fee (as Lago: empty groups dropped, an empty bucket shown once)."""
        fees: list[tuple[BucketFee, Aggregation]] = []
        by_index: dict[int | None, list[tuple[tuple[str | None, ...], AggregationState]]] = {}
        for (index, group), state in self.states.items():
            by_index.setdefault(index, []).append((group, state))
        for bucket in self.buckets:
            found = by_index.get(bucket.index, ())
            if len(found) > 1:
                found = sorted(found, key=_group_order)
            kept = []
            for group, state in found:
                item = self._priced_fee(bucket, group, state, currency)
                if not _empty(item[0]):
                    kept.append(item)
            if not kept:
                kept = [self._blank_fee(bucket, currency)]
            fees.extend(kept)
        return RatedCharge(
            self.charge,
            self.buckets,
            tuple(fee for fee, _ in fees),
            tuple(aggregation for _, aggregation in fees),
            whose,
        )

    def _blank_fee(self, bucket: Bucket, currency: str) -> tuple[BucketFee, Aggregation]:
        # An empty bucket's fee depends on the charge, the bucket, the currency and the
        # options only: computed once per call for every subscription of the plan.
        known = (bucket.index, currency, self.options)
        blank = self.blanks.get(known)
        if blank is None:
            empty = self._new_state().result()
            group = (None,) * len(bucket.group_keys)
            blank = self.blanks[known] = self._fee(bucket, group, empty, currency)
        return blank

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
            # Lago zeroes a negative fee; prorated and pay-in-advance units shown
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
def naming_charge(index: int, whose: Whose = (None, None)) -> Iterator[None]:
    """Name ``plan.charges[index]`` in an amount too large to compute found while pricing it.

    The money functions cannot know whose amount they round: ``whose`` adds the subscription
    and the event with the metric's largest value, when known. Any other decimal failure met
    while pricing (a quotient past the rounding context) is such an amount too.
    """
    path = f"plan.charges[{index}]"
    try:
        yield
    except DecimalException:
        raise InvalidInput.at(path, f"its amount {TOO_LARGE}{_whose(whose)}") from None
    except InvalidInput as error:
        raise InvalidInput(
            [_charge_problem(path, problem, whose) for problem in error.errors]
        ) from None


def _charge_problem(path: str, problem: Problem, whose: Whose) -> Problem:
    # A pricer names what it refuses relative to its charge ("properties.volume_ranges"): the
    # path is made whole here, as is an amount too large to compute.
    if problem.path == AMOUNT:
        return Problem(path, f"its amount {problem.message}{_whose(whose)}", problem.value)
    if problem.path.startswith("properties"):
        return Problem(f"{path}.{problem.path}", problem.message, problem.value)
    return problem


def _whose(whose: Whose) -> str:
    subscription, key = whose
    named = []
    if subscription is not None:
        named.append(f"subscription {shown(subscription)}")
    if key is not None:
        named.append(f"largest value in event transaction_id {shown(key)}")
    return f" ({', '.join(named)})" if named else ""


def _group_order(item: tuple[tuple[str | None, ...], Any]) -> tuple[tuple[bool, str], ...]:
    # Groups in value order, a missing value (None) first.
    return tuple((value is not None, value or "") for value in item[0])


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
_BEFORE_DEDUPLICATION: Final = (DUPLICATE, MALFORMED, OTHER_SUBSCRIPTION)
"""Reasons an event is set aside for before its transaction_id is kept as seen."""
COUNTED: Final = 0
"""Route kind: a count with one plain state; the loop calls ``add(ts, key, True, None)``."""
NUMERIC: Final = 1
"""Route kind: a numeric field with one plain state; the loop reads the field itself."""
ROUTED: Final = 2
"""Route kind: a numeric field of one charge with filters or groups; the loop reads the field
and calls ``rater.add``, which routes the event to its slots."""
DISTINCT: Final = 3
"""Route kind: a unique count with one plain state; the loop reads the value's text."""
GENERAL: Final = 4
"""Route kind: anything else (several charges, precise amounts, recorded receipts)."""
Route = tuple[int, Callable[..., Any], str | None, int, int]
"""How the hot loop rates one code: its kind, the function to call, the field it reads, and
the first and last µs an event of the code counts in (outside them it is set aside)."""
_ALWAYS: Final = -(2**63)
"""The lower bound of a recurring metric's events: every earlier event carries over."""
Receipt = tuple[int, list[Slot] | None, int, Any, Decimal | None]
"""Where one event went in one rater: (rater position, slots, µs, value, precise amount)."""
LARGE_VALUE: Final = 10**30
_LARGE_DIGITS: Final = 30  # a Decimal's adjusted exponent from LARGE_VALUE on
"""Values of this magnitude or more are noted per metric, so that an amount too large to price
can name the event behind it; below it the loop does not look."""


class Rating:
    """The raters of one subscription's plan, for one or more views, fed one event at a time.

    Feeding deduplicates by ``transaction_id`` (the first occurrence wins, whatever its code,
    as Lago's PostgreSQL store does) and evaluates metric expressions (a failing one makes the
    event malformed: Lago rejects it at ingestion). With ``record``, each event's contributions
    are kept so that a later duplicate can be taken back out (see :mod:`usage_engine.state`),
    and the aggregation states are built retractable.
    """

    __slots__ = (
        "aside",
        "bounds",
        "by_code",
        "compact",
        "distinct",
        "largest",
        "metrics",
        "own",
        "per_view",
        "plan",
        "raters",
        "readers",
        "receipts",
        "rejections",
        "routes",
        "salt",
        "seen",
        "spans",
        "started",
        "subscription",
        "tally",
    )

    def __init__(
        self,
        plan: Plan,
        views: Sequence[View],
        rejections: Rejections,
        *,
        record: bool = False,
        layouts: Layouts | None = None,
        subscription: str | None = None,
        options: Options | None = None,
    ) -> None:
        # ``options``, when given, are every rater's instead of its charge's own (aggregating
        # one metric with chosen rules, see usage_engine.aggregate).
        self.plan = plan
        self.subscription = subscription
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
                    options
                    or charge_options(
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
        self.receipts: dict[str, list[Receipt]] | None = {} if record else None
        # What a recording rating set aside after deduplication, per transaction_id: a later
        # merge may find an earlier copy, which makes this one a duplicate instead.
        self.aside: dict[str, tuple[str, str | None]] = {}
        self.started = min(view.window.started_us for view in views)
        # Per code, the µs bounds of its events in any view (outside them an event is of no
        # use) and in the first view, the period's own (outside them it is not rated there).
        self.bounds = {
            code: self._bounds(code, [rater for _, rater in self.by_code[code]])
            for code in self.metrics
        }
        self.spans = [
            self._bounds(rater.metric.code, [rater]) for rater in self.raters
        ]  # per rater position
        self.own = (
            self.bounds
            if len(views) == 1
            else {
                code: self._bounds(code, [r for r in self.per_view[0] if r.metric.code == code])
                for code in self.metrics
            }
        )
        # The hot loop's dispatch, per code of a metric without an expression (those take
        # :meth:`feed`, which evaluates it first).
        self.routes: dict[str, Route] = {
            code: self._route(code)
            for code, metric in self.metrics.items()
            if metric.expression is None
        }
        # Per metric code: the largest value of LARGE_VALUE or more, and its transaction_id.
        self.largest: dict[str, tuple[int | Decimal, str]] = {}
        self.rejections = rejections
        self.tally = rejections.tally
        # The transaction ids seen, as text; once ``compact`` (a long stream: see
        # usage_engine._dedup), as digests salted with this rating's ``salt``, in a set shared
        # with the stream's other ratings (many small sets would each be mostly empty slots),
        # ``distinct`` counting this rating's. A recording rating keeps text: its receipts
        # are keyed so.
        self.seen: set[Any] = set()
        self.compact = False
        self.salt: Salt = (0, 0)
        self.distinct = 0

    def compact_into(self, shared: set[Any]) -> None:
        """Keep the transaction ids seen as salted digests in ``shared`` from now on (a
        recording rating keeps them as text)."""
        if self.receipts is not None or self.compact:
            return
        salt = self.salt = new_salt()
        shared.update(key_digest(key, salt) for key in self.seen)
        self.distinct = len(self.seen)
        self.seen = shared
        self.compact = True

    def seen_key(self, key: str) -> Any:
        """What :attr:`seen` keeps for ``key``."""
        return key_digest(key, self.salt) if self.compact else key

    def seen_count(self) -> int:
        """How many distinct transaction ids this rating has seen."""
        return self.distinct if self.compact else len(self.seen)

    def _bounds(self, code: str, raters: list[ChargeRater]) -> tuple[int, int]:
        # The first and last µs an event of ``code`` counts in, for ``raters``: a recurring
        # metric's earlier events carry over (a weighted sum's from the subscription's start).
        last = max(rater.window.to_us for rater in raters)
        if not any(rater.options.recurring for rater in raters):
            return min(rater.window.from_us for rater in raters), last
        if self.metrics[code].aggregation_type is AggregationType.WEIGHTED_SUM_AGG:
            return min(rater.window.started_us for rater in raters), last
        return _ALWAYS, last

    def set_aside(
        self,
        reason: str,
        key: str,
        position: Any,
        detail: str | None = None,
        why: str | None = None,
    ) -> None:
        """Tally an event of the subscription that is not rated, after deduplication."""
        self.tally.add(reason, key, position, detail, why)
        if self.receipts is not None:
            self.aside[key] = (reason, detail)

    def outside(self, key: str, ts: int, position: Any) -> None:
        """Set aside an event stamped outside the period (before the subscription, if so)."""
        if ts < self.started:
            self.set_aside(BEFORE_SUBSCRIPTION, key, position)
        else:
            self.set_aside(OUTSIDE_PERIOD, key, position)

    def unknown(self, code: str, key: str, position: Any) -> None:
        """Set aside an event whose code is none of the plan's metrics."""
        why = f"code {code!r} matches no metric of the plan"
        guess = closest(code, self.metrics)
        if guess is not None:
            why += f" (did you mean {guess!r}?)"
        self.set_aside(UNKNOWN_CODE, key, position, code, why)

    def unusable(self, code: str, key: str, value: Any, position: Any) -> None:
        """Set aside an event whose metric field is missing or not a number (Lago ignores it)."""
        field = self.metrics[code].field_name or code
        if value is None:
            why = f"properties.{field} is missing"
            self.set_aside(NO_VALUE, key, position, field, why)
        else:
            why = f"properties.{field} is not a number (got {shown(value)})"
            self.set_aside(NOT_A_NUMBER, key, position, field, why)

    def account(self) -> EventAccount:
        """The event account of everything this rating was fed."""
        counts = self.tally.counts
        read = self.seen_count() + sum(counts.get(reason, 0) for reason in _BEFORE_DEDUPLICATION)
        return self.tally.account(read)

    def report(self) -> EventReport:
        """The malformed events collected and the event account, for the results."""
        return EventReport(self.rejections.report(), self.account())

    def _route(self, code: str) -> Route:
        # The cheapest way to rate an event of ``code`` that is known to count: one plain
        # state and nothing else to do is called straight from the loop.
        targets = self.by_code[code]
        metric = self.metrics[code]
        if len(targets) == 1 and self.receipts is None and self.own[code] == self.bounds[code]:
            rater = targets[0][1]
            single = rater.single
            kind = metric.aggregation_type
            field = metric.field_name
            if not rater.options.precise_amounts and (field or kind is AggregationType.COUNT_AGG):
                numeric = kind not in (AggregationType.COUNT_AGG, AggregationType.UNIQUE_COUNT_AGG)
                low, high = self.bounds[code]
                if single is None:
                    if numeric:
                        return (ROUTED, rater.add_routed, field, low, high)
                elif kind is AggregationType.COUNT_AGG:
                    return (COUNTED, single.add, None, low, high)
                elif kind is AggregationType.UNIQUE_COUNT_AGG:
                    return (DISTINCT, single.add, field, low, high)
                else:
                    return (NUMERIC, single.add, field, low, high)
        if self.own[code] == self.bounds[code]:
            return (GENERAL, partial(self.rate_counted, code), None, *self.bounds[code])
        return (GENERAL, partial(self.rate_one, code), None, *self.bounds[code])

    def rate_one(
        self,
        code: str,
        ts: int,
        key: str,
        properties: Mapping[str, Any],
        precise: Any,
        position: Any = None,
    ) -> None:
        """Rate one new event of ``code`` (deduplicated, expression evaluated) everywhere."""
        low, high = self.bounds[code]
        if not low <= ts <= high:
            self.outside(key, ts, position)
            return
        low, high = self.own[code]
        if low <= ts <= high:
            self.rate_counted(code, ts, key, properties, precise, position)
        else:
            # Only another view counts it (a projection's basis): not rated in the period.
            self.outside(key, ts, position)
            self.rate_counted(code, ts, key, properties, precise, position, accounted=False)

    def rate_counted(
        self,
        code: str,
        ts: int,
        key: str,
        properties: Mapping[str, Any],
        precise: Any,
        position: Any = None,
        *,
        accounted: bool = True,
    ) -> None:
        """:meth:`rate_one` of an event known to lie within the code's bounds
        (``accounted=False``: one the event account has already set aside)."""
        value = self.readers[code](properties)
        if value is None:
            # No usable field: Lago ignores the event; the account says so.
            field = self.metrics[code].field_name
            if accounted:
                self.unusable(code, key, properties.get(field) if field else None, position)
            return
        if type(value) is not int or not -LARGE_VALUE < value < LARGE_VALUE:
            self.note(code, key, value)
        receipts = self.receipts
        spans = self.spans
        for rater_position, rater in self.by_code[code]:
            low, high = spans[rater_position]
            if not low <= ts <= high:
                continue  # outside this view: it opens no bucket or group there
            amount = _precise(precise) if rater.options.precise_amounts else None
            single = rater.single
            if single is not None and receipts is None:
                single.add(ts, key, value, amount)
                continue
            slots = rater.add(ts, key, properties, value, amount)
            if receipts is not None:
                receipts[key].append((rater_position, slots, ts, value, amount))

    def rate_value(
        self,
        route: Route,
        code: str,
        ts: int,
        key: str,
        value: Any,
        properties: Any,
        position: Any = None,
    ) -> None:
        """Rate a numeric field's raw value that the loop did not take as a plain integer."""
        number = value if type(value) is int else as_number(value)
        if number is None:
            self.unusable(code, key, value, position)  # Lago ignores the event
            return
        self.note(code, key, number)
        if route[0] == ROUTED:
            route[1](ts, key, properties, number)
        else:
            route[1](ts, key, number, None)

    def note(self, code: str, key: str, value: Any) -> None:
        """Keep ``value``'s transaction_id if it is the metric's largest from LARGE_VALUE on.

        Of equal values the smallest transaction_id is kept, whatever the order the events or
        the merged states came in.
        """
        kind = type(value)
        if kind is int:
            if -LARGE_VALUE < value < LARGE_VALUE:
                return
        elif kind is not Decimal or value.adjusted() < _LARGE_DIGITS:
            return  # small, or a unique count or count value, which carries no magnitude
        size = abs(value)
        known = self.largest.get(code)
        if known is None or size > known[0] or (size == known[0] and key < known[1]):
            self.largest[code] = (size, key)

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
        kept = self.seen_key(key)
        if kept in seen:
            self.tally.add(DUPLICATE, key, position)
            return
        seen.add(kept)
        self.distinct += 1
        if self.receipts is not None:
            self.receipts[key] = []
        if metric is None:
            self.unknown(code, key, position)
        else:
            self.rate_one(code, ts, key, properties, precise, position)

    def restore(self, receipts: dict[str, list[Receipt]]) -> None:
        """Take back the receipts of a recording rating read back from a checkpoint.

        Its states come back through each rater's :meth:`ChargeRater.merge_states`.
        """
        self.receipts = receipts
        self.seen = set(receipts)

    def forget_prices(self) -> None:
        """Forget the fees priced so far, before feeding more events to a rating already
        priced: :func:`consume` adds to the aggregation states directly and leaves each
        rater's priced fees as they were (a batch prices once, at the end)."""
        for rater in self.raters:
            rater.priced.clear()

    def results(self) -> list[tuple[RatedCharge, ...]]:
        """The rated charges of each view, in the plan's order."""
        currency = self.plan.amount_currency
        return [
            tuple(self.rated(index, rater, currency) for index, rater in enumerate(raters))
            for raters in self.per_view
        ]

    def rated(self, index: int, rater: ChargeRater, currency: str) -> RatedCharge:
        """``rater``'s charge priced; an amount too large to price names whose it is."""
        largest = self.largest.get(rater.metric.code)
        whose = (self.subscription, None if largest is None else largest[1])
        with naming_charge(index, whose):
            return rater.rate(currency, whose)


class EventReport(NamedTuple):
    """What a result says of its events: the malformed ones and the whole account."""

    rejected: RejectedEvents
    account: EventAccount


def _precise(value: Any) -> Decimal:
    number = as_number(value)
    return Decimal(number) if number is not None else ZERO


def consume(
    events: EventSource,
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
    with collector_paused():
        batches = column_batches(events)
        if batches is None:
            _consume(events, ratings, rejections, positions, broadcast_orphans)
            return
        # A stream of batches: each rated in turn, its rows numbered on from the last batch's.
        given = None if positions is None else iter(positions)
        first = 0
        for columns in batches:
            where = (
                range(first, first + columns.size)
                if given is None
                else list(islice(given, columns.size))
            )
            _consume(columns, ratings, rejections, where, broadcast_orphans)
            first += columns.size


def _consume(
    events: EventSource | Columns,
    ratings: Mapping[str, Rating],
    rejections: Rejections,
    positions: Iterable[Any] | None,
    broadcast_orphans: bool,
) -> None:
    find = ratings.get
    tally = rejections.tally
    iso = iso_micros
    large = LARGE_VALUE
    # Columnar input is read from its columns, row by row, by the same steps as an event
    # mapping: only where each value comes from differs (``raw`` is then the row index).
    columns = columnar(events)
    source: Any = columns  # typed loosely: read only where ``columns`` is known to be given
    fields: Any = None
    properties: Any
    # A long stream keeps its seen keys as digests once its ratings have seen COMPACT_AFTER
    # transaction ids, over this call and earlier ones.
    compacted = any(rating.compact for rating in ratings.values())
    countdown = max(1, COMPACT_AFTER - sum(rating.seen_count() for rating in ratings.values()))
    if columns is None:
        assert not isinstance(events, Columns)  # columnar() gives Columns back as they are
        rows = numbered(events, 0, positions)
    else:
        rows = numbered(columns.rows, 0, positions)
        subscriptions, keys, codes = columns.subscriptions, columns.keys, columns.codes
        instants, own, fields = columns.micros, columns.properties, columns.fields
    for position, raw in rows:
        if columns is not None:
            subscription = subscriptions[raw]
            if type(subscription) is not str:
                _check_and_feed(source.row(raw), position, ratings, rejections, broadcast_orphans)
                continue
            rating = find(subscription)
            key = keys[raw]
            if rating is None:
                tally.add(OTHER_SUBSCRIPTION, id_text(key), position)
                continue
            code = codes[raw]
            ts = instants[raw]
            properties = own[raw]
        elif type(raw) is dict:
            subscription = raw.get("external_subscription_id")
            if type(subscription) is not str:
                _check_and_feed(raw, position, ratings, rejections, broadcast_orphans)
                continue
            rating = find(subscription)
            if rating is None:
                tally.add(OTHER_SUBSCRIPTION, id_text(raw.get("transaction_id")), position)
                continue
            try:
                key = raw["transaction_id"]
                code = raw["code"]
                stamp = raw["timestamp"]
            except KeyError:
                _check_and_feed(raw, position, ratings, rejections, broadcast_orphans)
                continue
            properties = raw.get("properties")
            if type(stamp) is int:
                ts = stamp * 1_000_000 if EARLIEST_SECONDS <= stamp < LATEST_SECONDS else None
            else:
                ts = iso(stamp) if type(stamp) is str else None
        else:
            _check_and_feed(raw, position, ratings, rejections, broadcast_orphans)
            continue
        if (
            ts is None
            or type(key) is not str
            or not key
            or type(code) is not str
            or not code
            or (type(properties) is not dict and properties is not COLUMNAR)
        ):
            if columns is not None:
                raw = source.row(raw)
            _check_and_feed(raw, position, ratings, rejections, broadcast_orphans)
            continue
        route = rating.routes.get(code)
        if route is None and code in rating.metrics:
            # An expression to evaluate first: it may reject the event.
            if columns is None:
                precise = raw.get("precise_total_amount_cents")
            else:
                properties, precise = source.properties_at(raw), source.precise_at(raw)
            rating.feed(position, key, code, ts, properties, precise)
            continue
        seen = rating.seen
        known = len(seen)
        seen.add(rating.seen_key(key) if compacted else key)  # one lookup: test and insert
        if len(seen) == known:
            # A duplicate: the first one won, as in Lago.
            rating.tally.add(DUPLICATE, key, position)
            continue
        if compacted:
            rating.distinct += 1  # the set may be shared: its size counts every rating's
        else:
            countdown -= 1
            if not countdown:
                shared: set[Any] = set()
                for each in ratings.values():
                    each.compact_into(shared)
                compacted = True
        if route is None:
            rating.unknown(code, key, position)
            continue
        # Literal kinds (COUNTED 0, NUMERIC 1, ROUTED 2, DISTINCT 3): no global lookup.
        kind, call, field, low, high = route
        if not low <= ts <= high:
            rating.outside(key, ts, position)
        elif kind == 0:
            call(ts, key, True, None)
        elif kind <= 2:
            if properties is COLUMNAR:
                value = fields[field][raw]
                if kind == 2:
                    properties = RowProperties(fields, raw)
            else:
                value = properties.get(field)
            if type(value) is not int or not -large < value < large:
                rating.rate_value(route, code, ts, key, value, properties, position)
            elif kind == 1:
                call(ts, key, value, None)
            else:
                call(ts, key, properties, value)
        elif kind == 3:
            if properties is COLUMNAR:
                value = fields[field][raw]
                removed = fields["operation_type"][raw] == "remove"
            else:
                value = properties.get(field)
                removed = properties.get("operation_type") == "remove"
            text = value if type(value) is str else as_text(value)
            if text is not None:
                call(ts, key, (text, not removed), None)
            else:  # no usable field: ignored, as Lago does
                rating.unusable(code, key, value, position)
        else:
            if columns is None:
                precise = raw.get("precise_total_amount_cents")
            else:
                properties, precise = source.properties_at(raw), source.precise_at(raw)
            call(ts, key, properties, precise, position)


def _check_and_feed(
    raw: Any,
    position: Any,
    ratings: Mapping[str, Rating],
    rejections: Rejections,
    broadcast_orphans: bool,
) -> None:
    # The slow path: full checks. A malformed event is reported to its subscription's rating,
    # or to every rating when it names no subscription.
    scratch = Rejections("collect", tally=Tally(strict=rejections.tally.strict))
    for subscription, _, key, code, ts, properties, precise in read_events(
        (raw,), ratings, scratch, positions=(position,)
    ):
        ratings[subscription].feed(position, key, code, ts, properties, precise)
    if not scratch.count:
        rejections.tally.merge(scratch.tally)  # another subscription's, if anything
        return
    where, _, reason = scratch.reasons[0].partition(": ")
    fields = raw if isinstance(raw, Mapping) else {}
    owner = id_text(fields.get("external_subscription_id"))
    transaction_id = id_text(fields.get("transaction_id")) or None
    rating = ratings.get(owner) if owner is not None else None
    if rating is not None:
        rating.rejections.record(where, reason, transaction_id)
        return
    rejections.record(where, reason, transaction_id)
    if not broadcast_orphans:
        return
    for other in ratings.values():
        if other.rejections is not rejections:
            # Reported to each subscription, accounted for once: in the stream's tally.
            other.rejections.record(where, reason, tallied=False)


def rate_views(
    plan: Plan,
    events: EventSource,
    subscription_id: str,
    views: Sequence[View],
    *,
    invalid_events: InvalidEvents = "raise",
    strict: bool = False,
    rejections: Rejections | None = None,
) -> tuple[list[tuple[RatedCharge, ...]], EventReport]:
    """Rate every charge of ``plan`` once per view, reading the events once.

    Returns the rated charges of each view, in the plan's order, and what became of the
    events (:class:`EventReport`). ``strict`` makes any event set aside for a reason other
    than a duplicate or a timestamp outside the period an InvalidInput. ``rejections``, when
    given, is used instead of one built from those two options.
    """
    if rejections is None:
        rejections = Rejections(invalid_events, strict=strict)
    rating = Rating(plan, views, rejections, subscription=subscription_id)
    consume(events, {subscription_id: rating}, rejections)
    return rating.results(), rating.report()


def rate(
    plan: Plan,
    events: EventSource,
    subscription_id: str,
    window: Window,
    *,
    plain: bool = False,
    invoicing: bool = False,
    invalid_events: InvalidEvents = "raise",
    strict: bool = False,
) -> tuple[tuple[RatedCharge, ...], EventReport]:
    """Rate every charge of ``plan`` over the events of one subscription in ``window``."""
    results, report = rate_views(
        plan,
        events,
        subscription_id,
        [View(window, plain=plain, invoicing=invoicing)],
        invalid_events=invalid_events,
        strict=strict,
    )
    return results[0], report
