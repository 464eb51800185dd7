"""Cohort simulation: every member's closed periods priced under its plan and under scenarios.

Nothing here prices: each period is :func:`usage_engine.past_usage` under one plan or the
other, and :mod:`usage_engine.models.simulation` adds the records up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from ._coerce import as_plan, as_subscription
from ._inputs import EventsInput, InstantInput, PlanInput, SubscriptionInput
from .errors import InvalidInput
from .models import BillingPeriod, Plan, Subscription
from .models._simulation import MemberRecord, Revenue, Simulation, Skipped, assemble
from .models.account import FrozenMapping
from .models.period import lago_datetime
from .money import exact_decimals
from .past import PastUsage, past_usage
from .periods import MAX_PERIODS, _instant, periods_before
from .selection import iterate_events

__all__ = ["Member", "simulate"]


class Member(NamedTuple):
    """One member of a cohort: a customer, one of its subscriptions and that subscription's
    events. ``plan`` is the baseline plan when the subscription does not carry its own."""

    customer_id: str
    subscription: SubscriptionInput
    events: EventsInput
    plan: PlanInput | None = None


def _member(value: Any, index: int) -> Member:
    path = f"members[{index}]"
    if isinstance(value, Mapping):
        missing = [key for key in ("customer_id", "subscription", "events") if key not in value]
        if missing:
            where = f"{path}.{missing[0]}"
            raise InvalidInput.at(where, "is required", None)
        member = Member(
            value["customer_id"], value["subscription"], value["events"], value.get("plan")
        )
    elif isinstance(value, tuple) and 3 <= len(value) <= 4:
        member = Member(*value)
    else:
        msg = "must be a Member, a (customer_id, subscription, events[, plan]) tuple or a mapping"
        raise InvalidInput.at(path, msg, type(value).__name__)
    if not isinstance(member.customer_id, str) or not member.customer_id:
        where, msg = f"{path}.customer_id", "must be a non-empty string"
        raise InvalidInput.at(where, msg, member.customer_id)
    return member


def _window(window: Any) -> tuple[datetime, datetime]:
    if not isinstance(window, tuple | list) or len(window) != 2:
        msg = "must be a (start, end) pair of instants"
        raise InvalidInput.at("window", msg, type(window).__name__)
    start, end = _instant(window[0], "window[0]"), _instant(window[1], "window[1]")
    if end < start:
        raise InvalidInput.at("window[1]", "must not be before window[0]", lago_datetime(end))
    return start, end


def _periods(
    subscription: Subscription, plan: Plan, start: datetime, end: datetime
) -> list[BillingPeriod]:
    # The closed periods ending by `end`, newest first, until one starts before `start`.
    count = 4
    while True:
        found = periods_before(subscription, end, count, plan=plan)
        if len(found) < count or found[-1].charges_from_datetime < start or count == MAX_PERIODS:
            break
        count = min(count * 4, MAX_PERIODS)
    inside = [period for period in found if period.charges_from_datetime >= start]
    return inside[::-1]


def _revenue(usages: Iterable[PastUsage]) -> Revenue:
    by_charge: dict[str, int] = {}
    by_period: dict[str, int] = {}
    total = 0
    for usage in usages:
        start = lago_datetime(usage.from_datetime)
        cents = usage.amount_cents + sum(item.amount_cents for item in usage.true_ups)
        total += cents
        by_period[start] = by_period.get(start, 0) + cents
        for line in usage.charges_usage:
            key = line.charge.code or line.billable_metric.code
            by_charge[key] = by_charge.get(key, 0) + line.amount_cents
        for item in usage.true_ups:
            key = f"{item.charge_code or item.billable_metric_code} (minimum)"
            by_charge[key] = by_charge.get(key, 0) + item.amount_cents
    return Revenue.build(
        amount_cents=total,
        by_charge=FrozenMapping(sorted(by_charge.items())),
        by_period=FrozenMapping(sorted(by_period.items())),
    )


def _priced(
    member: Member,
    index: int,
    scenarios: Mapping[str, Plan],
    window: tuple[datetime, datetime],
) -> tuple[MemberRecord | Skipped, str | None, list[str]]:
    path = f"members[{index}]"
    subscription = as_subscription(member.subscription, f"{path}.subscription")
    plan = subscription.plan if member.plan is None else as_plan(member.plan, f"{path}.plan")
    if plan is None:
        where, msg = f"{path}.plan", "is required: the subscription names its plan by code only"
        raise InvalidInput.at(where, msg, None)
    key = subscription.external_id

    def skipped(reason: str) -> tuple[Skipped, None, list[str]]:
        return (
            Skipped.build(customer_id=member.customer_id, subscription_id=key, reason=reason),
            None,
            [],
        )

    for name, other in scenarios.items():
        if other.amount_currency != plan.amount_currency:
            return skipped(
                f"scenario {name!r} is billed in {other.amount_currency}, "
                f"the subscription's plan in {plan.amount_currency}"
            )
    periods = _periods(subscription, plan, *window)
    if not periods:
        return skipped("no billing period of the subscription lies within the window")
    events = list(iterate_events(member.events))
    try:
        baseline = _revenue(past_usage(plan, events, period) for period in periods)
        priced = {
            name: _revenue(past_usage(other, events, period) for period in periods)
            for name, other in scenarios.items()
        }
    except InvalidInput as error:
        return skipped(str(error))
    notes = [
        f"scenario {name!r} ({other.interval.value}) is priced over each subscription's own "
        f"periods ({plan.interval.value})"
        for name, other in scenarios.items()
        if other.interval != plan.interval
    ]
    record = MemberRecord.build(
        customer_id=member.customer_id,
        subscription_id=key,
        baseline=baseline,
        scenarios=FrozenMapping(priced),
    )
    return record, plan.amount_currency, notes


@exact_decimals
def simulate(
    members: Iterable[Member | tuple[Any, ...] | Mapping[str, Any]],
    scenarios: Mapping[str, PlanInput],
    *,
    window: tuple[InstantInput, InstantInput],
    top_n: int = 5,
) -> Simulation:
    """Price a cohort's closed periods under its own plans and under each scenario plan.

    Each member is a customer's subscription with its events; the periods are the
    subscription's billing periods lying within ``window`` = (start, end). Revenue is the
    usage fees plus ``min_amount_cents`` true-ups, before taxes. Usage is held fixed: the same
    events are repriced. A member that cannot be priced (no period in the window, a scenario
    in another currency, an input the engine refuses) is left out and listed in ``coverage``.

    >>> plan = {"code": "base", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"charge_model": "standard", "properties": {"amount": "1"},
    ...      "billable_metric": {"code": "calls", "aggregation_type": "count_agg"}}]}
    >>> cheaper = {**plan, "code": "cheaper", "charges": [
    ...     {**plan["charges"][0], "properties": {"amount": "0.8"}}]}
    >>> sub = {"external_id": "s1", "plan": plan, "subscription_at": "2024-01-01T00:00:00Z"}
    >>> calls = [{"transaction_id": f"t{n}", "external_subscription_id": "s1", "code": "calls",
    ...     "timestamp": "2024-02-10T00:00:00Z"} for n in range(3)]
    >>> result = simulate([("acme", sub, calls)], {"cheaper": cheaper},
    ...     window=("2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"))
    >>> outcome = result["cheaper"]
    >>> outcome.baseline_cents, outcome.scenario_cents, outcome.percent
    (300, 240, Decimal('-20.00'))
    >>> simulate([], {"cheaper": cheaper}, window=("2024-02-01", "2024-03-01"))["cheaper"].up
    0
    """
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 0:
        raise InvalidInput.at("top_n", "must be a whole number, 0 or more", top_n)
    if not isinstance(scenarios, Mapping) or not scenarios:
        raise InvalidInput.at("scenarios", "must map at least one name to a plan", scenarios)
    plans = {}
    for name, given in scenarios.items():
        if not isinstance(name, str) or not name:
            raise InvalidInput.at("scenarios", "names must be non-empty strings", name)
        plans[name] = as_plan(given, f"scenarios.{name}")
    span = _window(window)
    if isinstance(members, Mapping | str | bytes):
        raise InvalidInput.at("members", "must be an iterable of members", type(members).__name__)
    records: list[MemberRecord] = []
    left_out: list[Skipped] = []
    currencies: list[str] = []
    notes: list[str] = []
    for index, value in enumerate(members):
        found, currency, said = _priced(_member(value, index), index, plans, span)
        if isinstance(found, MemberRecord):
            records.append(found)
        else:
            left_out.append(found)
        if currency is not None:
            currencies.append(currency)
        notes.extend(said)
    return assemble(tuple(plans), span, top_n, records, left_out, notes, currencies)
