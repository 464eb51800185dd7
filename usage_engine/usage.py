"""The usage functions: current usage of an open period (projected and past build on it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from ._coerce import as_period, as_plan, as_taxes
from ._inputs import EventsInput, InstantInput, PeriodInput, PlanInput, TaxesInput
from .account import REASONS, Tally
from .aggregation import Window
from .errors import InvalidInput
from .models import BillingPeriod, Plan, Tax
from .models._base import parse_instant
from .models.usage import ChargeUsage, Usage, attach_account
from .money import exact_decimals
from .rating import EventReport, RatedCharge, View, rate, rate_views
from .rollup import charge_usage, sort_charges
from .selection import InvalidEvents, Rejections
from .taxes import applicable_taxes, taxes_amount_cents

__all__ = ["current_usage", "read_now", "set_aside_events", "usage_of"]


def read_now(now: Any, name: str = "now") -> datetime:
    """``now`` as an aware UTC datetime; the clock is read here, and only when ``now`` is None."""
    if now is None:
        return datetime.now(UTC)
    try:
        return parse_instant(now)
    except ValueError as error:
        raise InvalidInput.at(name, str(error), now) from None


def usage_of(
    plan: Plan,
    period: BillingPeriod,
    rated: Sequence[RatedCharge],
    taxes: tuple[Tax, ...],
    report: EventReport,
    *,
    tax_each_fee: bool = False,
    rolled: Callable[[RatedCharge], ChargeUsage] | None = None,
) -> Usage:
    """The usage response of ``period``: its rated charges rolled up, in Lago's order, taxed.

    Current usage rounds the tax total once, as Lago's current usage does; an invoice, hence past
    usage, sums each fee's rounded tax (``tax_each_fee``). ``rolled`` lets a caller reuse charges it
    rolled up.
    """
    currency = plan.amount_currency
    ordered = sort_charges(rated)
    if rolled is None:
        charges = tuple(charge_usage(item, currency) for item in ordered)
    else:
        charges = tuple(rolled(item) for item in ordered)
    amount = sum(item.amount_cents for item in charges)
    if tax_each_fee:
        tax = sum(
            taxes_amount_cents([(fee.amount_cents, applicable_taxes(item.charge, plan, taxes))])
            for item in ordered
            for fee in item.fees
        )
    else:
        tax = taxes_amount_cents(
            (item.amount_cents, applicable_taxes(rated_charge.charge, plan, taxes))
            for item, rated_charge in zip(charges, ordered, strict=True)
        )
    usage = Usage.build(
        from_datetime=period.charges_from_datetime,
        to_datetime=period.charges_to_datetime,
        issuing_date=period.issuing_date,
        currency=currency,
        amount_cents=amount,
        taxes_amount_cents=tax,
        total_amount_cents=amount + tax,
        charges_usage=charges,
        rejected_events=report.rejected,
    )
    attach_account(usage, report.account)
    return usage


@exact_decimals
def current_usage(
    plan: PlanInput,
    events: EventsInput,
    period: PeriodInput,
    *,
    now: InstantInput | None = None,
    taxes: TaxesInput = (),
    invalid_events: InvalidEvents = "raise",
    strict: bool = False,
) -> Usage:
    """The usage of ``period`` so far: every charge of ``plan``, priced, in Lago's shape.

    Every event of the period's subscription up to the period end counts, also those stamped
    after ``now``, as in Lago: ``now`` does not change the result and is only validated.
    ``taxes`` are the customer's, used for charges whose charge and plan have none.

    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"charge_model": "standard", "properties": {"amount": "0.005"},
    ...      "billable_metric": {"code": "calls", "aggregation_type": "count_agg"}}]}
    >>> period = {"external_subscription_id": "sub",
    ...     "from_datetime": "2024-03-01T00:00:00Z", "to_datetime": "2024-03-31T23:59:59Z"}
    >>> event = {"transaction_id": "t1", "external_subscription_id": "sub", "code": "calls",
    ...     "timestamp": "2024-03-02T10:00:00Z"}
    >>> current_usage(plan, [event], period, now="2024-03-02T12:00:00Z").amount_cents
    1
    """
    plan = as_plan(plan)
    period = as_period(period)
    customer_taxes = as_taxes(taxes)
    if now is not None:
        read_now(now)
    rated, report = rate(
        plan,
        events,
        period.external_subscription_id,
        Window.of(period),
        invalid_events=invalid_events,
        strict=strict,
    )
    return usage_of(plan, period, rated, customer_taxes, report)


@exact_decimals
def set_aside_events(
    plan: PlanInput,
    events: EventsInput,
    period: PeriodInput,
    *,
    invalid_events: InvalidEvents = "collect",
) -> dict[str, tuple[str, ...]]:
    """Every transaction_id :func:`current_usage` sets aside, per reason, sorted.

    The :attr:`~usage_engine.Usage.event_account` of a result keeps the first ten of each
    reason; this reads the events again and gives them all (a malformed event without a
    usable transaction_id is counted there, and has none to list here).

    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"charge_model": "standard", "properties": {"amount": "1"},
    ...      "billable_metric": {"code": "calls", "aggregation_type": "count_agg"}}]}
    >>> period = {"external_subscription_id": "sub",
    ...     "from_datetime": "2024-03-01T00:00:00Z", "to_datetime": "2024-03-31T23:59:59Z"}
    >>> events = [{"transaction_id": key, "external_subscription_id": "sub", "code": code,
    ...     "timestamp": "2024-03-02T10:00:00Z"} for key, code in
    ...     [("t1", "calls"), ("t1", "calls"), ("t2", "cals"), ("t3", "cals")]]
    >>> set_aside_events(plan, events, period)
    {'duplicate': ('t1',), 'unknown_code': ('t2', 't3')}
    """
    plan = as_plan(plan)
    period = as_period(period)
    every = Rejections(invalid_events, tally=Tally(limit=None))
    view = View(Window.of(period))
    rate_views(plan, events, period.external_subscription_id, [view], rejections=every)
    ids = every.tally.ids
    return {reason: tuple(sorted(ids[reason])) for reason in REASONS if reason in ids}
