"""``UsageState``: a subscription period's usage, kept up to date as events arrive.

Build it once, ``add`` new events as they come, ``merge`` states built apart (by workers, or
from checkpoints), and read current or projected usage at any moment: only the charges whose
events changed are priced again. Merging is exact: two states built from two parts of a stream
merge to the state of the whole stream, duplicates included (the first part's copy of a
``transaction_id`` wins, as in one pass). States pickle to a versioned, plain-data format.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any, Final

from ._coerce import as_period, as_plan, as_taxes
from .aggregation import Options, Window
from .errors import InvalidInput
from .models import BillingPeriod, Plan, Tax
from .models.usage import ChargeUsage, ProjectedUsage, RejectedEvents, Usage
from .money import exact_decimals
from .past import PastUsage, frozen_usage
from .projection import (
    Method,
    _check_method,
    build_projection,
    projection_basis,
    projection_ratio,
    same_rating,
)
from .rating import ChargeRater, RatedCharge, Rating, View, naming_charge
from .rollup import charge_usage
from .selection import InvalidEvents, Rejections, read_events
from .usage import _usage_of

__all__ = ["FORMAT", "UsageState"]

FORMAT: Final = 1
"""The version of the pickled form; a state of another version refuses to load."""

# The views a state keeps: the period itself, the plain re-aggregations the two projection
# methods start from, and (for past usage) the period under the invoicing rules.
_CURRENT, _EXACT_BASIS, _LAGO_BASIS, _INVOICING = 0, 1, 2, 3


def _retractable(rater: ChargeRater) -> None:
    # States of an incremental state must be able to take a duplicate back out on merge.
    options = rater.options
    rater.options = Options(
        recurring=options.recurring,
        prorated=options.prorated,
        pay_in_advance=options.pay_in_advance,
        keep_events=options.keep_events,
        precise_amounts=options.precise_amounts,
        invoicing=options.invoicing,
        retractable=True,
    )
    rater.states.clear()
    rater.single = None
    if not rater.charge.filters and not rater.charge.properties.group_keys:
        rater.single = rater.states[(None, ())] = rater._new_state()


class UsageState:
    """The incremental usage of one subscription's period.

    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"charge_model": "standard", "properties": {"amount": "1"},
    ...      "billable_metric": {"code": "calls", "aggregation_type": "count_agg"}}]}
    >>> period = {"external_subscription_id": "sub",
    ...     "from_datetime": "2024-03-01T00:00:00Z", "to_datetime": "2024-03-31T23:59:59Z"}
    >>> def calls(*ids):
    ...     return [{"transaction_id": i, "external_subscription_id": "sub", "code": "calls",
    ...              "timestamp": "2024-03-05T10:00:00Z"} for i in ids]
    >>> left, right = UsageState(plan, period), UsageState(plan, period)
    >>> left.add(calls("a", "b"))
    >>> right.add(calls("b", "c"))  # "b" again: a duplicate across the two states
    >>> left.merge(right)
    >>> left.current_usage().amount_cents
    300
    """

    def __init__(
        self,
        plan: Any,
        period: Any,
        *,
        taxes: Iterable[Any] = (),
        invalid_events: InvalidEvents = "raise",
        past: bool = False,
    ) -> None:
        self._plan = as_plan(plan)
        self._period = as_period(period)
        self._taxes = as_taxes(taxes)
        self._rejections = Rejections(invalid_events)
        if not isinstance(past, bool):
            raise InvalidInput.at("past", "must be True or False", past)
        self._past = past
        self._build()

    def _build(self) -> None:
        wanted = [
            View(Window.of(self._period)),
            projection_basis(self._period, "exact"),
            projection_basis(self._period, "lago"),
        ]
        if self._past:
            wanted.append(View(Window.of(self._period), invoicing=True))
        # Views that rate alike share one set of raters: usually all three do.
        views: list[View] = []
        self._slot: list[int] = []
        for view in wanted:
            match = next(
                (i for i, kept in enumerate(views) if same_rating(self._plan, kept, view)), None
            )
            if match is None:
                views.append(view)
                match = len(views) - 1
            self._slot.append(match)
        self._rating = Rating(self._plan, views, self._rejections, record=True)
        for rater in self._rating.raters:
            _retractable(rater)
        self._priced: dict[int, RatedCharge] = {}
        self._rollups: dict[int, tuple[RatedCharge, ChargeUsage]] = {}

    @property
    def plan(self) -> Plan:
        """The plan the state prices."""
        return self._plan

    @property
    def period(self) -> BillingPeriod:
        """The period the state covers."""
        return self._period

    @property
    def rejected_events(self) -> RejectedEvents:
        """The malformed events collected so far (``invalid_events="collect"``)."""
        return self._rejections.report()

    @property
    def events_count(self) -> int:
        """How many distinct transaction_ids of the subscription the state has seen."""
        return len(self._rating.seen)

    @exact_decimals
    def add(self, events: Iterable[Any], *, positions: Iterable[Any] | None = None) -> None:
        """Fold in more events of the subscription (others are ignored), read once.

        ``positions``, one per event, name malformed events in errors instead of their index.
        """
        rating = self._rating
        receipts = rating.receipts
        assert receipts is not None
        stale = self._priced
        feed = rating.feed
        for _sub, position, key, code, ts, properties, precise in read_events(
            events,
            (self._period.external_subscription_id,),
            self._rejections,
            positions=positions,
        ):
            known = len(receipts)
            feed(position, key, code, ts, properties, precise)
            if len(receipts) != known:
                for receipt in receipts[key]:
                    stale.pop(receipt[0], None)

    @exact_decimals
    def merge(self, other: UsageState) -> None:
        """Fold in a state of the same plan and period, its events coming after this one's.

        ``other`` is left unchanged.
        """
        if not isinstance(other, UsageState):
            msg = "must be a UsageState"
            raise InvalidInput.at("other", msg, type(other).__name__)
        expected = (self._plan, self._period, self._taxes, self._past)
        if (other._plan, other._period, other._taxes, other._past) != expected:
            msg = "must be a state of the same plan, period and taxes, and the same past option"
            raise InvalidInput.at("other", msg, other._period.external_subscription_id)
        # Work on a copy: the merged state must not share anything with ``other``.
        other = copy.deepcopy(other)
        mine, theirs = self._rating, other._rating
        assert mine.receipts is not None
        assert theirs.receipts is not None
        repeated = mine.receipts.keys() & theirs.receipts.keys()
        if repeated:
            # The other state's copies lose: take them back out.
            for key in repeated:
                for position, slots, ts, value, amount in theirs.receipts.pop(key):
                    rater = theirs.raters[position]
                    targets = [rater.single] if slots is None else [rater.states[s] for s in slots]
                    for state in targets:
                        assert state is not None
                        state.retract(ts, key, value, amount)
                theirs.seen.discard(key)
        touched = {receipt[0] for receipts in theirs.receipts.values() for receipt in receipts}
        for position, (rater, incoming) in enumerate(zip(mine.raters, theirs.raters, strict=True)):
            if position in touched or repeated:
                self._priced.pop(position, None)
            rater.merge(incoming)
        mine.seen |= theirs.seen
        mine.receipts.update(theirs.receipts)
        self._rejections.count += other._rejections.count
        room = 10 - len(self._rejections.reasons)
        self._rejections.reasons.extend(other._rejections.reasons[:room])

    def _rated(self, view: int) -> tuple[RatedCharge, ...]:
        # Price only the charges whose events changed since they were last priced.
        rating = self._rating
        count = len(self._plan.charges)
        currency = self._plan.amount_currency
        rated = []
        first = self._slot[view] * count
        for position in range(first, first + count):
            priced = self._priced.get(position)
            if priced is None:
                with naming_charge(position - first):
                    priced = rating.raters[position].rate(currency)
                self._priced[position] = priced
            rated.append(priced)
        return tuple(rated)

    @exact_decimals
    def current_usage(self) -> Usage:
        """The current usage of the period, as :func:`usage_engine.current_usage` gives it."""
        return _usage_of(
            self._plan,
            self._period,
            self._rated(_CURRENT),
            self._taxes,
            self.rejected_events,
            rolled=self._rolled,
        )

    def _rolled(self, rated: RatedCharge) -> ChargeUsage:
        # The roll-up of a priced charge, kept as long as the priced charge is.
        if len(self._rollups) > 2 * len(self._priced):
            live = {id(item) for item in self._priced.values()}
            self._rollups = {key: kept for key, kept in self._rollups.items() if key in live}
        kept = self._rollups.get(id(rated))
        if kept is None or kept[0] is not rated:
            kept = self._rollups[id(rated)] = (
                rated,
                charge_usage(rated, self._plan.amount_currency),
            )
        return kept[1]

    @exact_decimals
    def projected_usage(self, *, now: Any, method: Method = "lago") -> ProjectedUsage:
        """The projected usage at ``now``, as :func:`usage_engine.projected_usage` gives it."""
        chosen = _check_method(method)
        basis = _LAGO_BASIS if chosen == "lago" else _EXACT_BASIS
        return build_projection(
            self._plan,
            self._period,
            self._taxes,
            self._rated(_CURRENT),
            self._rated(basis),
            self.rejected_events,
            projection_ratio(self._period, now),
            chosen,
        )

    @exact_decimals
    def past_usage(self) -> PastUsage:
        """The frozen usage of the period, as :func:`usage_engine.past_usage` gives it.

        Only a state built with ``past=True`` keeps the invoicing rules this needs.
        """
        if not self._past:
            msg = "is False: build the state with past=True to read past usage"
            raise InvalidInput.at("past", msg, False)
        return frozen_usage(
            self._plan, self._period, self._rated(_INVOICING), self._taxes, self.rejected_events
        )

    def __getstate__(self) -> dict[str, Any]:
        rating = self._rating
        return {
            "format": FORMAT,
            "plan": self._plan.model_dump(mode="json", by_alias=True),
            "period": self._period.model_dump(mode="json"),
            "taxes": [tax.model_dump(mode="json") for tax in self._taxes],
            "invalid_events": self._rejections.mode,
            "past": self._past,
            "rejected": [self._rejections.count, list(self._rejections.reasons)],
            "receipts": rating.receipts,
            "states": [
                {slot: _fields(state) for slot, state in rater.states.items()}
                for rater in rating.raters
            ],
        }

    def __setstate__(self, data: dict[str, Any]) -> None:
        if not isinstance(data, dict):
            msg = "is not a pickled UsageState"
            raise InvalidInput.at("state", msg, type(data).__name__)
        if data.get("format") != FORMAT:
            msg = f"is format {data.get('format')!r}; this version reads format {FORMAT}"
            raise InvalidInput.at("state", msg, data.get("format"))
        self._plan = as_plan(data["plan"])
        self._period = as_period(data["period"])
        self._taxes = tuple(Tax.model_validate(tax) for tax in data["taxes"])
        self._rejections = Rejections(data["invalid_events"])
        self._past = bool(data.get("past", False))
        self._rejections.count, reasons = data["rejected"]
        self._rejections.reasons = list(reasons)
        self._build()
        rating = self._rating
        rating.receipts = data["receipts"]
        rating.seen = set(data["receipts"])
        for rater, states in zip(rating.raters, data["states"], strict=True):
            rater.states.clear()
            for slot, fields in states.items():
                state = rater._new_state()
                for name, value in fields.items():
                    setattr(state, name, value)
                rater.states[slot] = state
            if rater.single is not None:
                rater.single = rater.states[(None, ())]


def _fields(state: Any) -> dict[str, Any]:
    # A state's own data: everything but the window and options it is rebuilt with.
    return {
        name: getattr(state, name) for name in state.__slots__ if name not in ("window", "options")
    }
