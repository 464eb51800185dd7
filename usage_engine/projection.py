"""Projected usage: current usage extended linearly to the period end, as Lago projects it.

Two sets of rules. ``method="lago"`` reproduces Lago's per-model rules (Q6 in
docs/lago-differences.md: percentage free units ignored, flat and fixed fees scaled by
1/ratio, weighted sums and levels divided like counters). ``method="exact"`` projects each
bucket's units and re-prices them with the model's full rules: flats and free units count
once, levels (max, latest, weighted sums) are held. In both, recurring metrics are held flat,
every bucket is projected (the default bucket too) and the top-level figure is the sum of the
charges' (Q5 there, a deliberate difference).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from ._coerce import as_period, as_plan, as_taxes
from ._inputs import EventsInput, EventSource, InstantInput, PeriodInput, PlanInput, TaxesInput
from .aggregation import Aggregation, TimedValue, Window
from .errors import InvalidInput, suggest
from .models import AggregationType, BillingPeriod, Plan, Tax
from .models.charge import ChargeProperties
from .models.usage import ProjectedUsage, Usage, attach_account
from .money import divide, exact_decimals, round_places, to_cents
from .periods import ceil_days
from .pricing import RECORDS, ChargeModelRecord, PricingInput, price
from .rating import EventReport, RatedCharge, View, naming_charge, rate_views
from .selection import InvalidEvents
from .usage import read_now, usage_of

__all__ = [
    "CurrentAndProjected",
    "Method",
    "build_projection",
    "check_method",
    "current_and_projected_usage",
    "projected_usage",
    "projection_basis",
    "projection_ratio",
    "same_rating",
]

Method = Literal["lago", "exact"]
_METHODS = ("lago", "exact")
ZERO = Decimal(0)
# Levels, not flows: the exact method holds them instead of scaling them.
_LEVELS = frozenset(
    {AggregationType.MAX_AGG, AggregationType.LATEST_AGG, AggregationType.WEIGHTED_SUM_AGG}
)


def _projection_start(period: BillingPeriod) -> datetime:
    # Lago projects from the local midnight of the first day, also in a first partial period
    # as Lago's projection does.
    zone = Window.of(period).zone
    local = period.charges_from_datetime.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(period.charges_from_datetime.tzinfo)


@exact_decimals
def projection_ratio(period: PeriodInput, now: InstantInput | None) -> Decimal:
    """The share of the period elapsed at ``now``, built as Lago builds it.

    See docs/lago-differences.md, Q10.

    Today counts as a whole day; the float ratio is read through its shortest text. The
    charges period is used, also with ``bill_charges_monthly`` (Q2 there: Lago would use the
    year).

    >>> period = {"external_subscription_id": "s",
    ...     "from_datetime": "2025-01-01T00:00:00Z", "to_datetime": "2025-01-31T23:59:59Z"}
    >>> projection_ratio(period, "2025-01-11T00:00:00Z"), projection_ratio(period, "2024-12-31")
    (Decimal('0.3548387096774194'), Decimal('0'))
    """
    period = as_period(period)
    instant = read_now(now)
    start, end = _projection_start(period), period.charges_to_datetime
    if instant >= end:
        return Decimal(1)
    if instant < start:
        return ZERO
    zone = Window.of(period).zone
    # Lago divides two integers in binary floating point; its shortest text is what it uses.
    ratio = ceil_days(start, instant, zone) / ceil_days(start, end, zone)
    return Decimal(repr(min(max(ratio, 0.0), 1.0)))


def _project_units(units: Decimal, ratio: Decimal) -> Decimal:
    if not units or not ratio:
        return ZERO
    return max(round_places(divide(units, ratio), 2), ZERO)


def _lago_amount(
    rated: RatedCharge,
    properties: ChargeProperties,
    aggregation: Aggregation,
    units: Decimal,
    ratio: Decimal,
    currency: str,
) -> Decimal:
    charge = rated.charge
    record = RECORDS[charge.charge_model]
    kind = charge.billable_metric.aggregation_type
    rule = record.lago_projection_for(charge.prorated)
    if rule is not None:
        # Lago re-prices the rounded projected units with the model's projection rule.
        projected = PricingInput(Aggregation.plain(units, 0), kind, charge.prorated, currency)
        return rule(properties, projected)
    current = PricingInput(aggregation, kind, charge.prorated, currency)
    return _scaled_by_ratio(record, properties, current, ratio)


def _scaled_by_ratio(
    record: ChargeModelRecord[Any],
    properties: ChargeProperties,
    current: PricingInput,
    ratio: Decimal,
) -> Decimal:
    # Lago divides the re-aggregation's current amount by the ratio for percentage, graduated
    # percentage, dynamic and prorated graduated, flat amounts and fixed fees included,
    # after its own changes to the properties (percentage: its free units are left out).
    if record.lago_scaled_properties is not None:
        properties = record.lago_scaled_properties(properties)
    return divide(record.price(properties, current), ratio)


def _stretched(aggregation: Aggregation, units: Decimal, ratio: Decimal) -> Aggregation:
    # The exact method's projected bucket: the same stream, 1/ratio times as long. Per-event
    # inputs (running totals, per-transaction bounds) repeat the events seen so far.
    count = int(round_places(divide(aggregation.events_count, ratio), 0))
    events = aggregation.events
    if events and count > len(events):
        last = events[-1].ts
        extra = tuple(
            TimedValue(last + 1 + index, f"~{index}", events[index % len(events)].value)
            for index in range(count - len(events))
        )
        events = events + extra
    return dataclasses.replace(
        aggregation,
        units=units,
        events_count=count,
        current_units=units,
        total_aggregated_units=units,
        events=events,
        precise_total_amount_cents=divide(aggregation.precise_total_amount_cents, ratio),
    )


def _exact(
    rated: RatedCharge,
    properties: ChargeProperties,
    aggregation: Aggregation,
    ratio: Decimal,
    currency: str,
) -> tuple[Decimal, Decimal]:
    charge = rated.charge
    kind = charge.billable_metric.aggregation_type
    if aggregation.units < 0:
        # A bucket below zero costs nothing now, as in Lago, nor at the period end: pricing zero
        # units instead would bill the first tier's flat amount.
        return ZERO, ZERO
    if kind in _LEVELS:
        units = max(round_places(aggregation.units, 2), ZERO)
        projected = dataclasses.replace(aggregation, units=units)
    else:
        units = _project_units(aggregation.units, ratio)
        projected = _stretched(aggregation, units, ratio)
    pricing = PricingInput(projected, kind, charge.prorated, currency)
    return units, price(charge.charge_model, properties, pricing)


def _project(
    current: RatedCharge,
    basis: RatedCharge,
    ratio: Decimal,
    method: Method,
    currency: str,
) -> RatedCharge:
    charge = current.charge
    found = {
        (fee.filter_index, fee.grouped_by): aggregation
        for fee, aggregation in zip(basis.fees, basis.aggregations, strict=True)
    }
    fees = []
    for fee in current.fees:
        if charge.billable_metric.recurring:
            # Recurring metrics are held flat whatever the ratio, as in Lago.
            units, cents = fee.units, fee.amount_cents
        else:
            aggregation = found.get((fee.filter_index, fee.grouped_by))
            units, cents = ZERO, 0
            if aggregation is not None and ratio > 0:
                properties = current.bucket(fee.filter_index).properties
                if method == "lago":
                    units = _project_units(aggregation.units, ratio)
                    amount = _lago_amount(current, properties, aggregation, units, ratio, currency)
                else:
                    units, amount = _exact(current, properties, aggregation, ratio, currency)
                cents = to_cents(max(amount, ZERO), currency)
        fees.append(
            fee.model_copy(update={"projected_units": units, "projected_amount_cents": cents})
        )
    return dataclasses.replace(current, fees=tuple(fees))


def check_method(method: Any) -> Method:
    """``method`` when it is one of the projection methods; InvalidInput naming it otherwise."""
    if method not in _METHODS:
        msg = suggest("must be 'lago' or 'exact'", method, _METHODS)
        raise InvalidInput.at("method", msg, method)
    return method  # type: ignore[no-any-return]


@exact_decimals
def projected_usage(
    plan: PlanInput,
    events: EventsInput,
    period: PeriodInput,
    *,
    now: InstantInput | None,
    taxes: TaxesInput = (),
    method: Method = "lago",
    invalid_events: InvalidEvents = "raise",
    strict: bool = False,
) -> ProjectedUsage:
    """Current usage of ``period`` and its projection to the period end at ``now``.

    On the period's last day the ratio is 1 and the projection is the current usage with
    units rounded to 2 decimals; before the period starts every non-recurring projection is 0.

    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"charge_model": "standard", "properties": {"amount": "10"},
    ...      "billable_metric": {"code": "calls", "aggregation_type": "count_agg"}}]}
    >>> period = {"external_subscription_id": "sub",
    ...     "from_datetime": "2025-07-01T00:00:00Z", "to_datetime": "2025-07-31T23:59:59Z"}
    >>> events = [{"transaction_id": str(n), "external_subscription_id": "sub", "code": "calls",
    ...     "timestamp": "2025-07-02T10:00:00Z"} for n in range(3)]
    >>> usage = projected_usage(plan, events, period, now="2025-07-03T10:00:00Z")
    >>> usage.amount_cents, usage.projected_amount_cents
    (3000, 31000)
    """
    rated = _rate_for_projection(plan, events, period, now, taxes, method, invalid_events, strict)
    return rated.projection()


@exact_decimals
def current_and_projected_usage(
    plan: PlanInput,
    events: EventsInput,
    period: PeriodInput,
    *,
    now: InstantInput | None,
    taxes: TaxesInput = (),
    method: Method = "lago",
    invalid_events: InvalidEvents = "raise",
    strict: bool = False,
) -> CurrentAndProjected:
    """:func:`~usage_engine.current_usage` and :func:`projected_usage` from one reading.

    The events are read and rated once for both; each result equals the one its own function
    gives (``now`` only places the projection: current usage counts every event of the period).

    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"charge_model": "standard", "properties": {"amount": "10"},
    ...      "billable_metric": {"code": "calls", "aggregation_type": "count_agg"}}]}
    >>> period = {"external_subscription_id": "sub",
    ...     "from_datetime": "2025-07-01T00:00:00Z", "to_datetime": "2025-07-31T23:59:59Z"}
    >>> events = [{"transaction_id": str(n), "external_subscription_id": "sub", "code": "calls",
    ...     "timestamp": "2025-07-02T10:00:00Z"} for n in range(3)]
    >>> both = current_and_projected_usage(plan, events, period, now="2025-07-03T10:00:00Z")
    >>> both.current.amount_cents, both.projected.projected_amount_cents
    (3000, 31000)
    """
    rated = _rate_for_projection(plan, events, period, now, taxes, method, invalid_events, strict)
    current = usage_of(rated.plan, rated.period, rated.current, rated.taxes, rated.report)
    return CurrentAndProjected(current, rated.projection())


class CurrentAndProjected(NamedTuple):
    """Current usage and its projection, from one reading of the events."""

    current: Usage
    projected: ProjectedUsage


@dataclasses.dataclass(frozen=True, slots=True)
class _Rated:
    # A period's charges rated for projection: the period's own view and the basis the
    # projection re-aggregates (the same object when one view serves both).
    plan: Plan
    period: BillingPeriod
    taxes: tuple[Tax, ...]
    current: tuple[RatedCharge, ...]
    rebuilt: tuple[RatedCharge, ...]
    report: EventReport
    ratio: Decimal
    method: Method

    def projection(self) -> ProjectedUsage:
        return build_projection(
            self.plan,
            self.period,
            self.taxes,
            self.current,
            self.rebuilt,
            self.report,
            self.ratio,
            self.method,
        )


def _rate_for_projection(
    plan: Any,
    events: EventSource,
    period: Any,
    now: Any,
    taxes: Iterable[Any],
    method: Any,
    invalid_events: InvalidEvents,
    strict: bool,
) -> _Rated:
    the_plan = as_plan(plan)
    the_period = as_period(period)
    customer_taxes = as_taxes(taxes)
    chosen = check_method(method)
    ratio = projection_ratio(the_period, now)
    period_view = View(Window.of(the_period))
    basis = projection_basis(the_period, chosen)
    views = [period_view] if same_rating(the_plan, period_view, basis) else [period_view, basis]
    results, report = rate_views(
        the_plan,
        events,
        the_period.external_subscription_id,
        views,
        invalid_events=invalid_events,
        strict=strict,
    )
    return _Rated(
        the_plan, the_period, customer_taxes, results[0], results[-1], report, ratio, chosen
    )


def same_rating(plan: Plan, first: View, second: View) -> bool:
    """Whether two views rate ``plan`` alike, so that one pass serves both.

    ``plain`` only changes pay-in-advance charges; the window must be the same.
    """
    if first.window != second.window or first.invoicing != second.invoicing:
        return False
    return first.plain == second.plain or not any(c.pay_in_advance for c in plan.charges)


def projection_basis(period: BillingPeriod, method: Method) -> View:
    """The view the projection re-aggregates: plain rules, from local midnight for Lago's."""
    if method == "lago":
        start = _projection_start(period)
        return View(
            Window.of(period.model_copy(update={"charges_from_datetime": start})), plain=True
        )
    return View(Window.of(period), plain=True)


def build_projection(
    plan: Plan,
    period: BillingPeriod,
    taxes: tuple[Tax, ...],
    current: Sequence[RatedCharge],
    rebuilt: Sequence[RatedCharge],
    report: EventReport,
    ratio: Decimal,
    method: Method,
) -> ProjectedUsage:
    """Projected usage from the rated charges of the period and of the projection basis."""
    currency = plan.amount_currency
    projected = []
    for index, (item, again) in enumerate(zip(current, rebuilt, strict=True)):
        with naming_charge(index, item.whose):
            projected.append(_project(item, again, ratio, method, currency))
    usage = usage_of(plan, period, projected, taxes, report)
    projection = ProjectedUsage(
        **dict(usage),
        projected_amount_cents=sum(
            item.projected_amount_cents or 0 for item in usage.charges_usage
        ),
        ratio=ratio,
        method=method,
    )
    attach_account(projection, report.account)
    return projection
