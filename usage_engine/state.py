"""``UsageState``: a subscription period's usage, kept up to date as events arrive.

Build it once, ``add`` new events as they come, ``merge`` states built apart (by workers, or
from checkpoints), and read current or projected usage at any moment: only the charges whose
events changed are priced again. Merging is exact: two states built from two parts of a stream
merge to the state of the whole stream, duplicates included (the first part's copy of a
``transaction_id`` wins, as in one pass).

A state saves to a versioned, JSON-compatible form (:meth:`UsageState.to_json`,
:meth:`UsageState.to_data`), checked when read back: anything malformed, and any total that
the recorded events do not give, is refused with InvalidInput. Pickling goes through the same
form and the same checks (but ``pickle.loads`` of untrusted bytes runs code before any check:
store JSON).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from ._checkpoint import read_receipts, read_states, receipts_data, replay_check, states_data
from ._coerce import as_period, as_plan, as_taxes
from ._inputs import EventsInput, InstantInput, PeriodInput, PlanInput, TaxesInput
from .account import DUPLICATE, LABELS, Tally
from .aggregation import Window
from .aggregation._data import bool_of, count_of, fields_of, items_of, refuse, text_of
from .errors import InvalidInput
from .models import BillingPeriod, Plan
from .models.account import EventAccount
from .models.usage import ChargeUsage, ProjectedUsage, RejectedEvents, Usage
from .money import exact_decimals
from .past import PastUsage, frozen_usage
from .projection import (
    Method,
    build_projection,
    check_method,
    projection_basis,
    projection_ratio,
    same_rating,
)
from .rating import RatedCharge, Rating, Receipt, Slot, View
from .rollup import charge_usage
from .selection import MAX_REASONS, InvalidEvents, Rejections, read_events
from .usage import usage_of

__all__ = ["FORMAT", "UsageState"]

FORMAT: Final = 3
"""The version of a state's saved form (:meth:`UsageState.to_data`, ``to_json``, pickle).

Format 1, the pickle of earlier versions, held private attributes, and format 2 had no event
account: both are refused (build such a state again from its events). A state of any other
format is refused too.
"""
_EARLIER: Final = {
    1: ", a pickle of an earlier version of usage_engine",
    2: ", from an earlier version of usage_engine without an event account",
}
_FIELDS: Final = (
    "format",
    "plan",
    "period",
    "taxes",
    "invalid_events",
    "past",
    "rejected",
    "receipts",
    "states",
    "strict",
    "account",
)

# The views a state keeps: the period itself, the plain re-aggregations the two projection
# methods start from, and (for past usage) the period under the invoicing rules.
_CURRENT, _EXACT_BASIS, _LAGO_BASIS, _INVOICING = 0, 1, 2, 3


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
        plan: PlanInput,
        period: PeriodInput,
        *,
        taxes: TaxesInput = (),
        invalid_events: InvalidEvents = "raise",
        past: bool = False,
        strict: bool = False,
    ) -> None:
        self._plan = as_plan(plan)
        self._period = as_period(period)
        self._taxes = as_taxes(taxes)
        self._rejections = _rejections(invalid_events, strict)
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
        self._views = views
        self._rating = Rating(
            self._plan,
            views,
            self._rejections,
            record=True,
            subscription=self._period.external_subscription_id,
        )
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
    def event_account(self) -> EventAccount:
        """Every event the state was given, rated or set aside (and why)."""
        return self._rating.account()

    @property
    def events_count(self) -> int:
        """How many distinct transaction_ids of the subscription the state has seen."""
        return self._rating.seen_count()

    @exact_decimals
    def add(self, events: EventsInput, *, positions: Iterable[Any] | None = None) -> None:
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
            retracted = set()
            for key in sorted(repeated):
                for position, slots, ts, value, amount in theirs.receipts.pop(key):
                    theirs.raters[position].retract(slots, ts, key, value, amount)
                    retracted.add(position)
                theirs.seen.discard(key)
                # The other copy was rated or set aside there: here it is a duplicate.
                aside = theirs.aside.pop(key, None)
                if aside is not None:
                    theirs.tally.take_back(aside[0], key, aside[1])
                theirs.tally.add(DUPLICATE, key)
            _drop_unopened_slots(theirs, retracted)
        touched = {receipt[0] for receipts in theirs.receipts.values() for receipt in receipts}
        for position, (rater, incoming) in enumerate(zip(mine.raters, theirs.raters, strict=True)):
            if position in touched or repeated:
                self._priced.pop(position, None)
            rater.merge(incoming)
        mine.seen |= theirs.seen
        mine.receipts.update(theirs.receipts)
        _note_values(mine, theirs.receipts)
        mine.aside.update(theirs.aside)
        mine.tally.merge(theirs.tally)
        self._rejections.count += other._rejections.count
        room = MAX_REASONS - len(self._rejections.reasons)
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
                priced = rating.rated(position - first, rating.raters[position], currency)
                self._priced[position] = priced
            rated.append(priced)
        return tuple(rated)

    @exact_decimals
    def current_usage(self) -> Usage:
        """The current usage of the period, as :func:`usage_engine.current_usage` gives it."""
        return usage_of(
            self._plan,
            self._period,
            self._rated(_CURRENT),
            self._taxes,
            self._rating.report(),
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
    def projected_usage(
        self, *, now: InstantInput | None, method: Method = "lago"
    ) -> ProjectedUsage:
        """The projected usage at ``now``, as :func:`usage_engine.projected_usage` gives it."""
        chosen = check_method(method)
        basis = _LAGO_BASIS if chosen == "lago" else _EXACT_BASIS
        return build_projection(
            self._plan,
            self._period,
            self._taxes,
            self._rated(_CURRENT),
            self._rated(basis),
            self._rating.report(),
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
            self._plan, self._period, self._rated(_INVOICING), self._taxes, self._rating.report()
        )

    def to_data(self) -> dict[str, Any]:
        """The state as versioned, JSON-compatible plain data, read back by :meth:`from_data`.

        Integers stay integers and decimals are written as text, exactly; the data holds the
        plan, period and taxes, and each event's receipts (where it went) with the aggregation
        states they built. docs/scale.md describes the format.
        """
        rating = self._rating
        rejections = self._rejections
        return {
            "format": FORMAT,
            "plan": self._plan.model_dump(mode="json", by_alias=True),
            "period": self._period.model_dump(mode="json"),
            "taxes": [tax.model_dump(mode="json") for tax in self._taxes],
            "invalid_events": rejections.mode,
            "past": self._past,
            "rejected": {"count": rejections.count, "reasons": list(rejections.reasons)},
            "receipts": receipts_data(rating),
            "states": states_data(rating),
            "strict": rejections.tally.strict,
            "account": {
                "tally": rejections.tally.to_data(),
                "aside": {key: list(rating.aside[key]) for key in sorted(rating.aside)},
            },
        }

    @classmethod
    def from_data(cls, data: Any) -> UsageState:
        """The state :meth:`to_data` gave, checked: InvalidInput names the path of anything
        malformed, or of a total its recorded events do not give.

        >>> UsageState.from_data({"format": 1})
        Traceback (most recent call last):
        ...
        usage_engine.errors.InvalidInput: state: is format 1, a pickle of an earlier version of \
usage_engine; this version reads format 3: build the state again from its events (got 1)
        """
        state = cls.__new__(cls)
        state._load(data, check=True)
        return state

    def to_json(self) -> str:
        """:meth:`to_data` as JSON text, keys sorted: the form to store a state in."""
        return json.dumps(self.to_data(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> UsageState:
        """The state :meth:`to_json` gave, checked as :meth:`from_data` checks it.

        >>> UsageState.from_json("[1, 2")
        Traceback (most recent call last):
        ...
        usage_engine.errors.InvalidInput: state: is not JSON (Expecting ',' delimiter at \
line 1 column 6) (got '[1, 2')
        """
        if not isinstance(text, str | bytes):
            msg = "must be the JSON text UsageState.to_json gives"
            raise InvalidInput.at("state", msg, type(text).__name__)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            msg = f"is not JSON ({error.msg} at line {error.lineno} column {error.colno})"
            raise InvalidInput.at("state", msg, text[:40]) from None
        except (ValueError, RecursionError):
            # Python's own limits: a number of more than 4300 digits, nesting past the stack.
            msg = "is not a state's JSON: a number too long or arrays nested too deep"
            raise InvalidInput.at("state", msg, text[:40]) from None
        return cls.from_data(data)

    def __reduce__(self) -> tuple[Any, ...]:
        # A pickle rebuilds the state through from_data, with its checks.
        return (UsageState.from_data, (self.to_data(),))

    def __getstate__(self) -> dict[str, Any]:
        return self.to_data()

    def __setstate__(self, data: Any) -> None:
        # Pickles of format 1 come this way: read through the same checks as JSON.
        self._load(data, check=True)

    def __deepcopy__(self, memo: dict[int, Any]) -> UsageState:
        # A copy of a state known to be sound: the replay that checks a saved one is skipped.
        clone = UsageState.__new__(UsageState)
        clone._load(self.to_data(), check=False)
        return clone

    def _load(self, data: Any, *, check: bool) -> None:
        if not isinstance(data, Mapping):
            msg = "must be a UsageState's data (an object), as UsageState.to_data gives it"
            raise InvalidInput.at("state", msg, type(data).__name__)
        version = data.get("format")
        if version != FORMAT or type(version) is not int:
            earlier = _EARLIER.get(version, "") if type(version) is int else ""
            msg = (
                f"is format {version!r}{earlier}; this version reads format {FORMAT}: "
                "build the state again from its events"
            )
            raise InvalidInput.at("state", msg, version)
        fields = fields_of(data, "state", _FIELDS)
        self._plan = as_plan(fields["plan"], "state.plan")
        self._period = as_period(fields["period"], "state.period")
        self._taxes = as_taxes(fields["taxes"], "state.taxes")
        mode = fields["invalid_events"]
        if mode not in ("raise", "collect"):
            refuse("state.invalid_events", "must be 'raise' or 'collect'", mode)
        self._rejections = _rejections(mode, bool_of(fields["strict"], "state.strict"))
        self._past = bool_of(fields["past"], "state.past")
        self._rejections.count, self._rejections.reasons = _rejected(fields["rejected"], mode)
        self._build()
        rating = self._rating
        receipts = read_receipts(fields["receipts"], rating)
        states = read_states(fields["states"], rating)
        if check:
            scratch = Rating(self._plan, self._views, Rejections("collect"), record=True)
            replay_check(receipts, states, scratch)
        rating.restore(receipts)
        _read_account(fields["account"], rating)
        _note_values(rating, receipts)
        for rater, kept in zip(rating.raters, states, strict=True):
            rater.merge_states(kept)


def _rejections(mode: InvalidEvents, strict: bool) -> Rejections:
    # A state keeps every id it set aside: a merge may find that one was a duplicate.
    return Rejections(mode, strict=strict, tally=Tally(strict=strict is True, limit=None))


def _read_account(data: Any, rating: Rating) -> None:
    # The tally and what was set aside after deduplication, checked against the receipts.
    # (An event the period does not count may still count for a projection's basis.)
    fields = fields_of(data, "state.account", ("tally", "aside"))
    rating.tally.load(fields["tally"], "state.account.tally")
    aside = fields["aside"]
    if not isinstance(aside, dict):
        refuse("state.account.aside", "must be an object", type(aside).__name__)
    for key, item in aside.items():
        path = f"state.account.aside.{key}"
        if key not in rating.seen:
            refuse(path, "must name an event the state saw", key)
        items = items_of(item, path)
        if len(items) != 2 or items[0] not in LABELS:
            refuse(path, "must be [reason, detail]", item)
        detail = items[1]
        if detail is not None:
            detail = text_of(detail, f"{path}[1]")
        rating.aside[key] = (items[0], detail)


def _note_values(rating: Rating, receipts: Mapping[str, list[Receipt]]) -> None:
    # The largest values name the event behind an amount too large to price: note those of
    # the receipts, in their order, as one pass over their events does (the first one wins).
    raters = rating.raters
    for key, found in receipts.items():
        for position, _slots, _ts, value, _amount in found:
            rating.note(raters[position].metric.code, key, value)


def _drop_unopened_slots(rating: Rating, positions: Iterable[int]) -> None:
    # A pricing group or filter bucket only events taken back out had opened is dropped: one
    # pass never opens it, and an empty slot is still priced (a flat fee at 0 units).
    assert rating.receipts is not None
    live: dict[int, set[Slot]] = {}
    for receipts in rating.receipts.values():
        for position, slots, *_ in receipts:
            if slots is not None:
                live.setdefault(position, set()).update(slots)
    for position in positions:
        rater = rating.raters[position]
        if rater.single is None:
            rater.keep_slots(live.get(position, set()))


def _rejected(data: Any, mode: str) -> tuple[int, list[str]]:
    # The count of malformed events and the first reasons, as many as were kept.
    fields = fields_of(data, "state.rejected", ("count", "reasons"))
    count = count_of(fields["count"], "state.rejected.count")
    items = items_of(fields["reasons"], "state.rejected.reasons")
    reasons = [text_of(item, f"state.rejected.reasons[{i}]") for i, item in enumerate(items)]
    if mode == "raise" and count:
        refuse("state.rejected.count", "must be 0: malformed events raise in this state", count)
    if len(reasons) != min(count, MAX_REASONS):
        msg = f"must hold the first reasons of the {count} malformed events, at most {MAX_REASONS}"
        refuse("state.rejected.reasons", msg, len(reasons))
    return count, reasons
