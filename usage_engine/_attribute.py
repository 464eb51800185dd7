"""Per-event attribution: which events a period's fees came from, in cents that add up.

The events are fed one at a time, in ``(timestamp, transaction_id)`` order, to the engine's
own rating (the view current or past usage rates with), and the charges of each event's
metric are priced after it: the difference with the price before it is the event's marginal
share. Nothing here prices or selects: the rules are the rating core's and the pricers'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final, Literal

from ._allocate import largest_remainder
from ._coerce import as_period, as_plan, as_taxes
from ._inputs import EventsInput, InstantInput, PeriodInput, PlanInput, TaxesInput
from ._labels import filter_text, group_text
from ._parts import Part, fee_parts
from ._rows import currency_amount
from ._time import from_micros
from .account import (
    BEFORE_SUBSCRIPTION,
    DUPLICATE,
    NO_VALUE,
    NOT_A_NUMBER,
    OUTSIDE_PERIOD,
    UNKNOWN_CODE,
)
from .aggregation import Window
from .errors import InvalidInput
from .models import AggregationType, Charge, ChargeModel, Plan
from .models._attribution import Attribution, ChargeMethod, Residual, Share
from .models.usage import ChargeRef, Usage
from .money import EXACT, exact_decimals
from .partition import subscription_of
from .past import past_usage
from .rating import RatedCharge, Rating, View
from .selection import InvalidEvents, Rejections, id_text, iterate_events, read_events
from .usage import current_usage, read_now

__all__ = ["Method", "attribute", "split_method"]

Method = Literal["auto", "marginal", "proportional"]
ZERO = Decimal(0)
# Differences of amounts keep every digit: the pricers' 60 digits and then some.
plus, minus = EXACT.add, EXACT.subtract
_LINEAR: Final = frozenset((ChargeModel.STANDARD, ChargeModel.DYNAMIC))
_ADDITIVE: Final = frozenset((AggregationType.COUNT_AGG, AggregationType.SUM_AGG))
_DECIDED: Final = frozenset((AggregationType.MAX_AGG, AggregationType.LATEST_AGG))
_STATUS: Final = {
    DUPLICATE: "duplicate",
    OUTSIDE_PERIOD: "out_of_period",
    BEFORE_SUBSCRIPTION: "out_of_period",
    UNKNOWN_CODE: "unmatched",
    NOT_A_NUMBER: "malformed",
    NO_VALUE: "malformed",
}
Slot = tuple[str, int | None, tuple[tuple[str, str | None], ...]]
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class _Step:
    """One event's effect on one fee."""

    position: int
    key: str
    ts: int
    units: Decimal
    amount: Decimal
    counted: int
    level: Decimal  # the fee's units after the event
    components: tuple[tuple[str, Decimal, Decimal], ...]  # (name, units, amount)


@dataclass
class _Fee:
    ref: ChargeRef
    metric: str
    filter: str | None
    group: str | None
    zero: Decimal  # the price of no units
    steps: list[_Step] = field(default_factory=list)
    carried: Decimal = ZERO


def _fees_of(rated: RatedCharge) -> dict[Slot, tuple[Decimal, Decimal, int]]:
    lago_id = rated.charge.lago_id
    return {
        (lago_id, fee.filter_index, fee.grouped_by): (fee.units, fee.amount, fee.events_count)
        for fee in rated.fees
    }


def _label(rated: RatedCharge, filter_index: int | None) -> str | None:
    if not rated.charge.filters:
        return None
    bucket = rated.bucket(filter_index)
    return filter_text(bucket.declared, bucket.invoice_display_name)


def split_method(charge: Charge, asked: Method = "auto") -> tuple[str, bool]:
    """How ``charge``'s fees are split between events, and whether that split is a fact.

    >>> from usage_engine.models import Charge
    >>> charge = Charge.model_validate({"charge_model": "volume", "properties": {
    ...     "volume_ranges": [{"from_value": 0, "to_value": None, "per_unit_amount": "1"}]},
    ...     "billable_metric": {"code": "c", "aggregation_type": "count_agg"}})
    >>> split_method(charge), split_method(charge, "marginal")
    (('proportional', False), ('marginal', False))
    """
    aggregation = charge.billable_metric.aggregation_type
    # Pay in advance prices the highest level reached, not the units: not linear in them.
    fact = (
        charge.charge_model in _LINEAR
        and aggregation in _ADDITIVE
        and not charge.prorated
        and not charge.pay_in_advance
    )
    if charge.charge_model is ChargeModel.DYNAMIC:
        return "marginal", fact  # a dynamic fee is its events' own amounts, under any method
    if asked != "auto":
        return asked, fact
    if aggregation in _DECIDED:
        return "decider", fact
    if charge.charge_model is ChargeModel.VOLUME:
        return "proportional", fact
    return "marginal", fact


def _split(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``total`` split in proportion to ``weights``, exactly: the parts add up to ``total``
    (to 20 decimals, or the total's own when it has more; largest remainder)."""
    whole = sum(weights, ZERO)
    exact = [Fraction(total) * Fraction(w) / Fraction(whole) for w in weights]
    places = max(20, -int(total.as_tuple().exponent))
    scale = 10**places
    floors = [int(value * scale // 1) for value in exact]
    missing = int(Fraction(total) * scale) - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] * scale - floors[i]), i))
    for step in range(max(missing, 0)):
        floors[order[step % len(order)]] += 1
    # Built from digits: scaling in a context would round past its precision.
    return [_scaled(value, places) for value in floors]


def _scaled(value: int, places: int) -> Decimal:
    digits = Decimal(value).as_tuple()
    return Decimal((digits.sign, digits.digits, -places))


def _amounts(fee: _Fee, method: str, moved: Decimal, aggregation: AggregationType) -> list[Decimal]:
    """The precise share of each step of ``fee`` in ``moved`` (its amount less its residuals)."""
    steps = fee.steps
    if method == "proportional":
        weights = [step.units for step in steps]
        if sum(weights, ZERO) != 0:
            return _split(moved, weights)
    if method == "decider":
        counted = [i for i, step in enumerate(steps) if step.counted]
        if counted:
            # A max is decided by the first event that reached it, a latest value by the last.
            final = steps[-1].level
            reached = [i for i in counted if steps[i].level == final]
            first_max = aggregation is AggregationType.MAX_AGG and reached
            decider = reached[0] if first_max else counted[-1]
            return [moved if i == decider else ZERO for i in range(len(steps))]
    return [step.amount for step in steps]


@exact_decimals
def attribute(
    plan: PlanInput,
    events: EventsInput,
    period: PeriodInput,
    *,
    now: InstantInput | None = None,
    method: Method = "auto",
    taxes: TaxesInput = (),
    invalid_events: InvalidEvents = "raise",
) -> Attribution:
    """Which events each fee of the period came from: one share per (event, fee it reached),
    residuals for what no event caused, cents that add up to the usage exactly.

    The usage explained is ``current_usage(..., now=now)`` while the period is open at
    ``now``, else ``past_usage(...)``. ``method``: ``"marginal"`` (each event gets the price
    after it less the price before it, in ``(timestamp, transaction_id)`` order: what Lago
    charges an event on its pay-in-advance path), ``"proportional"`` (units x the fee's
    average price) or ``"auto"`` (per charge: the event deciding a max or latest value gets it
    all, volume charges are proportional, the others marginal). Within each fee, cents are
    given by largest remainder (ties in event order); nothing is plugged. A malformed event
    raises, or with ``invalid_events="collect"`` has a ``malformed`` share of nothing.

    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"code": "api", "charge_model": "graduated", "billable_metric":
    ...      {"code": "calls", "aggregation_type": "sum_agg", "field_name": "n"},
    ...      "properties": {"graduated_ranges": [
    ...          {"from_value": 0, "to_value": 100, "per_unit_amount": "0.10",
    ...           "flat_amount": "0"},
    ...          {"from_value": 101, "to_value": None, "per_unit_amount": "0.05",
    ...           "flat_amount": "0"}]}}]}
    >>> period = {"external_subscription_id": "s", "from_datetime": "2024-03-01T00:00:00Z",
    ...     "to_datetime": "2024-03-31T23:59:59Z"}
    >>> events = [{"transaction_id": key, "external_subscription_id": "s", "code": "calls",
    ...     "timestamp": f"2024-03-0{day}T00:00:00Z", "properties": {"n": n}}
    ...     for key, day, n in (("a", 2, 90), ("b", 9, 20))]
    >>> found = attribute(plan, events, period)
    >>> [(s.transaction_id, s.precise_amount, s.amount_cents) for s in found.shares]
    [('a', Decimal('9.00'), 900), ('b', Decimal('1.50'), 150)]
    """
    if method not in ("auto", "marginal", "proportional"):
        msg = "must be 'auto', 'marginal' or 'proportional'"
        raise InvalidInput.at("method", msg, method)
    the_plan = as_plan(plan)
    the_period = as_period(period)
    customer_taxes = as_taxes(taxes)
    kept = list(iterate_events(events))
    instant = None if now is None else read_now(now)
    open_now = instant is not None and instant < the_period.charges_to_datetime
    common: dict[str, Any] = {"taxes": customer_taxes, "invalid_events": invalid_events}
    usage: Usage = (
        current_usage(the_plan, kept, the_period, now=instant, **common)
        if open_now
        else past_usage(the_plan, kept, the_period, **common)
    )
    return _attribute(the_plan, the_period, kept, usage, method, invoicing=not open_now)


def _attribute(
    plan: Plan, period: Any, events: list[Any], usage: Usage, method: Method, *, invoicing: bool
) -> Attribution:
    sub = period.external_subscription_id
    currency = plan.amount_currency
    rejections = Rejections("collect")
    rating = Rating(plan, [View(Window.of(period), invoicing=invoicing)], rejections,
                    subscription=sub)  # fmt: skip
    start = int(period.charges_from_datetime.timestamp() * 1_000_000)
    # The events as the rating reads them; the first copy of a transaction_id in input order
    # is the one counted, whatever its timestamp.
    selection = Rejections("collect")
    firsts: dict[str, tuple[Any, ...]] = {}
    shares: list[Share] = []
    read: set[int] = set()
    for _, position, key, code, ts, properties, precise in read_events(events, (sub,), selection):
        read.add(position)
        if key in firsts:
            shares.append(_aside(key, ts, code, "duplicate"))
        else:
            firsts[key] = (position, key, code, ts, properties, precise)
    for position, event in enumerate(events):
        # The subscription's events the engine could not read (no id, a bad timestamp...).
        if position not in read and subscription_of(event) in (sub, None):
            shares.append(_unreadable(event))
    fees: dict[Slot, _Fee] = {}
    parts_before: dict[Slot, list[Part] | None] = {}
    before: dict[Slot, tuple[Decimal, Decimal, int]] = {}
    # What each bucket costs with no event (its blank fee): no event caused it. A pricing
    # group that replaces the blank fee takes it over; any later group starts from nothing.
    blank: dict[tuple[str, int | None], tuple[Slot, Decimal]] = {}
    for rated in rating.results()[0]:
        for slot, value in _fees_of(rated).items():
            before[slot] = value
            blank[slot[:2]] = (slot, value[1])
            fees[slot] = _new_fee(rated, slot, value[1])
    for position, key, code, ts, properties, precise in sorted(
        firsts.values(), key=lambda item: (item[3], item[1])
    ):
        counts = dict(rating.tally.counts)
        rating.forget_prices()
        rating.feed(position, key, code, ts, properties, precise)
        reason = next((r for r, n in rating.tally.counts.items() if n != counts.get(r, 0)), None)
        if reason is not None:
            shares.append(_aside(key, ts, code, _STATUS.get(reason, "malformed")))
            continue
        for index, rater in rating.by_code.get(code, ()):
            rated = rating.rated(index, rater, currency)
            by_slot = {
                (rated.charge.lago_id, f.filter_index, f.grouped_by): (f, aggregation)
                for f, aggregation in zip(rated.fees, rated.aggregations, strict=True)
            }
            priced = _fees_of(rated)
            for slot, (units, amount, counted) in priced.items():
                fee = fees.get(slot)
                if fee is None:
                    replaced = blank.get(slot[:2])
                    zero = ZERO
                    if replaced is not None and replaced[0] not in priced:
                        zero = replaced[1]
                        del blank[slot[:2]]  # taken over once
                    fee = fees[slot] = _new_fee(rated, slot, zero)
                was_units, was_amount, was_counted = before.get(slot, (ZERO, fee.zero, 0))
                before[slot] = (units, amount, counted)
                if (units, amount, counted) == (was_units, was_amount, was_counted):
                    continue
                parts = fee_parts(rated.charge, *by_slot[slot], currency, invoicing)
                earlier = parts_before.get(slot, _empty_parts(parts, fee.zero))
                parts_before[slot] = parts
                if ts < start:  # a recurring metric's event before the period: carried over
                    fee.carried = plus(fee.carried, minus(amount, was_amount))
                    continue
                fee.steps.append(
                    _Step(
                        position,
                        key,
                        ts,
                        minus(units, was_units),
                        minus(amount, was_amount),
                        counted - was_counted,
                        units,
                        _components(
                            parts, earlier, minus(units, was_units), minus(amount, was_amount)
                        ),
                    )
                )
            lago_id = rated.charge.lago_id
            for slot in [s for s in before if s[0] == lago_id and s not in priced]:
                # A blank fee replaced by a pricing group: gone, its price taken over.
                before[slot] = (ZERO, ZERO, 0)
                fees[slot].zero = ZERO
                parts_before.pop(slot, None)
    return _assemble(usage, rating, fees, shares, method, currency)


def _empty_parts(parts: list[Part] | None, zero: Decimal) -> list[Part] | None:
    # A fee with no units yet: its first part holds the price of no units.
    if parts is None:
        return None
    return [(name, ZERO, zero if index == 0 else ZERO) for index, (name, _, _) in enumerate(parts)]


def _components(
    after: list[Part] | None, before: list[Part] | None, units: Decimal, amount: Decimal
) -> tuple[Part, ...]:
    """What the event added to each part of its fee: the difference of the fee's parts."""
    if after is None or before is None or [p[0] for p in after] != [p[0] for p in before]:
        return (("usage", units, amount),)
    found = [
        (name, minus(units_after, units_before), minus(amount_after, amount_before))
        for (name, units_after, amount_after), (_, units_before, amount_before) in zip(
            after, before, strict=True
        )
        if (units_after, amount_after) != (units_before, amount_before)
    ]
    return tuple(found) or (("usage", units, amount),)


def _new_fee(rated: RatedCharge, slot: Slot, zero: Decimal) -> _Fee:
    return _Fee(
        ref=rated.ref,
        metric=rated.charge.billable_metric.code,
        filter=_label(rated, slot[1]),
        group=group_text(slot[2]) or None,
        zero=zero,
    )


def _unreadable(event: Any) -> Share:
    fields = event if isinstance(event, Mapping) else {}
    code = fields.get("code")
    return Share.build(
        transaction_id=id_text(fields.get("transaction_id")),
        timestamp=None,
        charge=None,
        metric_code=code if isinstance(code, str) else None,
        filter=None,
        group=None,
        units=ZERO,
        precise_amount=ZERO,
        amount_cents=0,
        status="malformed",
    )


def _aside(key: str, ts: int, code: str, status: str) -> Share:
    return Share.build(
        transaction_id=key,
        timestamp=from_micros(ts),
        charge=None,
        metric_code=code,
        filter=None,
        group=None,
        units=ZERO,
        precise_amount=ZERO,
        amount_cents=0,
        status=status,
    )


def _assemble(
    usage: Usage,
    rating: Rating,
    fees: dict[Slot, _Fee],
    shares: list[Share],
    method: Method,
    currency: str,
) -> Attribution:
    billed = {
        (line.charge.lago_id, fee.filter_index, fee.grouped_by): fee
        for line in usage.charges_usage
        for fee in line.fees
    }
    methods: list[ChargeMethod] = []
    residuals: list[Residual] = []
    rating.forget_prices()
    for rated in rating.results()[0]:
        chosen, fact = split_method(rated.charge, method)
        lago_id = rated.charge.lago_id
        # A linear price stays linear only while no fee is zeroed for going below zero.
        fact = fact and all(
            step.level >= 0
            for slot, fee in fees.items()
            if slot[0] == lago_id
            for step in fee.steps
        )
        methods.append(ChargeMethod.build(charge=rated.ref, method=chosen, fact=fact))
        aggregation = rated.charge.billable_metric.aggregation_type
        for fee_slot, (_, final, _) in _fees_of(rated).items():
            fee, target = fees[fee_slot], billed.get(fee_slot)
            if target is None:  # a closed period keeps no fee of 0 units, cents and events
                continue
            # The rating fed one event at a time ends where the usage explained ends.
            assert final == target.amount, (fee_slot, final, target.amount)
            moved = minus(minus(final, fee.zero), fee.carried)
            amounts = _amounts(fee, chosen, moved, aggregation)
            parts = [*amounts, fee.zero, fee.carried]
            cents = largest_remainder(parts, target.amount_cents, currency)
            for step, amount, share_cents in zip(fee.steps, amounts, cents, strict=False):
                shares.append(
                    Share.build(
                        transaction_id=step.key,
                        timestamp=from_micros(step.ts),
                        charge=fee.ref,
                        metric_code=fee.metric,
                        filter=fee.filter,
                        group=fee.group,
                        units=step.units,
                        precise_amount=amount,
                        amount_cents=share_cents,
                        status="billed" if amount or share_cents else "free",
                        components=(
                            step.components
                            if chosen == "marginal"
                            else (("usage", step.units, amount),)
                        ),
                    )
                )
            for reason, amount, share_cents in (
                ("flat_at_zero", fee.zero, cents[-2]),
                ("carried_over", fee.carried, cents[-1]),
            ):
                if amount or share_cents:
                    residuals.append(
                        Residual.build(
                            charge=fee.ref,
                            filter=fee.filter,
                            group=fee.group,
                            reason=reason,
                            precise_amount=amount,
                            amount_cents=share_cents,
                        )
                    )
    for item in getattr(usage, "true_ups", ()):
        ref = next(m.charge for m in methods if m.charge.lago_id == item.charge_lago_id)
        residuals.append(
            Residual.build(
                charge=ref,
                filter=None,
                group=None,
                reason="true_up",
                precise_amount=currency_amount(item.amount_cents, currency),
                amount_cents=item.amount_cents,
            )
        )
    # In fill order; an event's own shares before a set-aside copy of it.
    shares.sort(
        key=lambda s: (
            s.timestamp is None,
            s.timestamp or _EPOCH,
            s.transaction_id or "",
            s.status not in ("billed", "free"),
        )
    )
    return Attribution.build(
        usage=usage, shares=tuple(shares), residuals=tuple(residuals), methods=tuple(methods)
    )
