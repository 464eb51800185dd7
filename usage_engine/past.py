"""Past usage: the frozen, verifiable result of a closed period, as Lago invoices it.

A closed period is rated as current usage is, with the invoicing rules (a negative prorated
total is not floored), and only the fees Lago would store: zero fees are dropped. The
totals are usage only (Lago reports the whole invoice: docs/lago-differences.md, Q8);
``issuing_date`` is the invoice's date, the local day after the period (or the termination
day); a ``min_amount_cents`` true-up is its own line, never added to units or usage totals
(Q9 there). Taxes are the sum of each fee's rounded tax, as on an invoice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from ._coerce import as_period, as_plan, as_subscription, as_taxes
from ._columns import kept_events
from ._inputs import (
    EventsInput,
    InstantInput,
    PeriodInput,
    PlanInput,
    SubscriptionInput,
    TaxesInput,
)
from .aggregation import Window
from .errors import InvalidInput, shown
from .models import BillingPeriod, Plan, Tax
from .models.period import lago_datetime
from .models.usage import Usage, format_units
from .money import EXACT, divide, exact_decimals, round_places
from .periods import periods_before
from .rating import EventReport, RatedCharge, rate
from .selection import InvalidEvents
from .usage import read_now, usage_of

__all__ = ["PastUsage", "TrueUp", "Verification", "past_usage", "past_usages", "verify"]


class TrueUp(BaseModel):
    """The ``min_amount_cents`` true-up of a charge whose fees fell short of its minimum.

    ``amount_cents`` = the prorated minimum − the charge's fees, rounded half up, as in Lago.
    """

    model_config = ConfigDict(frozen=True)

    charge_lago_id: str
    charge_code: str | None
    billable_metric_code: str
    min_amount_cents: int
    prorated_min_amount_cents: Decimal
    amount_cents: int

    def to_lago(self) -> dict[str, Any]:
        """The true-up as a JSON object."""
        return {
            "charge_lago_id": self.charge_lago_id,
            "charge_code": self.charge_code,
            "billable_metric_code": self.billable_metric_code,
            "min_amount_cents": self.min_amount_cents,
            "prorated_min_amount_cents": format_units(self.prorated_min_amount_cents),
            "amount_cents": self.amount_cents,
        }


class PastUsage(Usage):
    """The frozen usage of a closed period: immutable, hashable, with a content ``digest``.

    ``digest`` is the SHA-256 of :meth:`canonical_json`, the same on every machine and for any
    order of the input events. ``true_ups`` are reported apart from the usage totals.
    """

    true_ups: tuple[TrueUp, ...] = ()
    digest: str = ""
    plan_digest: str = ""
    """SHA-256 of the plan the period was priced with (not part of ``digest``): a correction
    must be computed with the same plan."""
    period: BillingPeriod | None = None
    """The billing period priced (not part of ``digest``): what a correction recomputes. None
    for a result read back from its JSON."""

    def canonical_json(self) -> str:
        """The text the digest is computed from: the Lago shape plus the true-ups, sorted keys."""
        return _canonical(self.to_lago(), self.true_ups)


def _canonical(payload: Mapping[str, Any], true_ups: Iterable[TrueUp]) -> str:
    document = {"usage": payload, "true_ups": [item.to_lago() for item in true_ups]}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


class Verification(BaseModel):
    """Whether a stored past usage still matches its events, and what differs if not."""

    model_config = ConfigDict(frozen=True)

    matches: bool
    differences: tuple[str, ...]
    recomputed: PastUsage


def _non_empty(rated: RatedCharge) -> RatedCharge | None:
    kept = [
        (fee, aggregation)
        for fee, aggregation in zip(rated.fees, rated.aggregations, strict=True)
        if fee.units or fee.amount_cents or fee.events_count
    ]
    if not kept:
        return None
    return RatedCharge(
        rated.charge,
        rated.buckets,
        tuple(fee for fee, _ in kept),
        tuple(aggregation for _, aggregation in kept),
    )


def _true_up(rated: RatedCharge, amount_cents: int, period: BillingPeriod) -> TrueUp | None:
    minimum = rated.charge.min_amount_cents
    if not minimum:
        return None
    window = Window.of(period)
    prorated = divide(EXACT.multiply(minimum, window.prorated_days), window.duration_days)
    if amount_cents >= prorated:
        return None
    return TrueUp(
        charge_lago_id=rated.charge.lago_id,
        charge_code=rated.charge.code,
        billable_metric_code=rated.charge.billable_metric.code,
        min_amount_cents=minimum,
        prorated_min_amount_cents=prorated,
        amount_cents=int(round_places(prorated - amount_cents, 0)),
    )


def _invoice_date(period: BillingPeriod) -> date:
    # A closed period is billed on the local day after it ends, or on the day of the
    # termination that cut it short (the invoice's date, e.g. 2023-09-17 for a period
    # ending 2023-09-16).
    end = period.charges_to_datetime
    zone = Window.of(period).zone
    if period.terminated_at is not None and end == period.terminated_at:
        return end.astimezone(zone).date()
    return (end + timedelta(microseconds=1)).astimezone(zone).date()


def frozen_usage(
    plan: Plan,
    period: BillingPeriod,
    rated: tuple[RatedCharge, ...],
    taxes: tuple[Tax, ...],
    report: EventReport,
) -> PastUsage:
    """The past usage of a period from its charges rated under the invoicing rules."""
    stored = [item for item in (_non_empty(charge) for charge in rated) if item is not None]
    usage = usage_of(plan, period, stored, taxes, report, tax_each_fee=True)
    true_ups = [
        found
        for item in rated
        if (found := _true_up(item, sum(fee.amount_cents for fee in item.fees), period))
    ]
    fields = dict(usage) | {"issuing_date": _invoice_date(period)}
    result = PastUsage(**fields, true_ups=tuple(true_ups))
    digest = hashlib.sha256(result.canonical_json().encode("ascii")).hexdigest()
    update = {"digest": digest, "plan_digest": plan_digest(plan), "period": period}
    return result.model_copy(update=update).with_account(report.account)


def plan_digest(plan: Plan) -> str:
    """SHA-256 of the plan's canonical JSON: the same plan, the same digest."""
    text = json.dumps(plan.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@exact_decimals
def past_usage(
    plan: PlanInput,
    events: EventsInput,
    period: PeriodInput,
    *,
    taxes: TaxesInput = (),
    now: InstantInput | None = None,
    invalid_events: InvalidEvents = "raise",
    strict: bool = False,
) -> PastUsage:
    """The frozen usage of a closed ``period``, as Lago's past usage shows it.

    No clock is read: with ``now``, a period that has not ended by then is InvalidInput.
    Zero fees are dropped, as Lago stores none:

    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"charge_model": "standard", "properties": {"amount": "1"}, "min_amount_cents": 500,
    ...      "billable_metric": {"code": "calls", "aggregation_type": "count_agg"}}]}
    >>> period = {"external_subscription_id": "sub",
    ...     "from_datetime": "2024-03-01T00:00:00Z", "to_datetime": "2024-03-31T23:59:59Z"}
    >>> frozen = past_usage(plan, [], period)
    >>> frozen.amount_cents, frozen.charges_usage, frozen.true_ups[0].amount_cents
    (0, (), 500)
    """
    the_plan = as_plan(plan)
    the_period = as_period(period)
    customer_taxes = as_taxes(taxes)
    if now is not None and the_period.charges_to_datetime > read_now(now):
        msg = f"has not ended by now ({lago_datetime(read_now(now))}): it is not past usage yet"
        raise InvalidInput.at("period.to_datetime", msg, lago_datetime(the_period.to_datetime))
    rated, report = rate(
        the_plan,
        events,
        the_period.external_subscription_id,
        Window.of(the_period),
        invoicing=True,
        invalid_events=invalid_events,
        strict=strict,
    )
    return frozen_usage(the_plan, the_period, rated, customer_taxes, report)


@exact_decimals
def past_usages(
    subscription: SubscriptionInput,
    events: EventsInput,
    at: InstantInput,
    count: int,
    *,
    plan: PlanInput | None = None,
    taxes: TaxesInput = (),
    invalid_events: InvalidEvents = "raise",
    strict: bool = False,
) -> tuple[PastUsage, ...]:
    """The past usage of the ``count`` periods that ended before ``at``, newest first.

    Lago's ``periods_count``. The events are read once and kept for the periods; a young
    subscription has fewer periods. At most :data:`~usage_engine.periods.MAX_PERIODS` are
    rated: a larger ``count`` is :class:`InvalidInput` when more periods ended by ``at``,
    before any event is read.

    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"charge_model": "standard", "properties": {"amount": "1"},
    ...      "billable_metric": {"code": "calls", "aggregation_type": "count_agg"}}]}
    >>> subscription = {"external_id": "sub", "plan": plan,
    ...     "subscription_at": "2024-02-10T00:00:00Z"}
    >>> event = {"transaction_id": "t", "external_subscription_id": "sub", "code": "calls",
    ...     "timestamp": "2024-03-05T00:00:00Z"}
    >>> found = past_usages(subscription, [event], "2024-04-15T00:00:00Z", 5)
    >>> [(usage.from_datetime.date().isoformat(), usage.amount_cents) for usage in found]
    [('2024-03-01', 100), ('2024-02-10', 0)]
    """
    the_subscription = as_subscription(subscription)
    periods = periods_before(the_subscription, at, count, plan=plan)
    if not periods:
        return ()
    the_plan = the_subscription.plan if plan is None else as_plan(plan)
    assert the_plan is not None  # periods_before resolved it
    kept: Any = kept_events(events)  # columns are kept as they are, read once per period
    return tuple(
        past_usage(
            the_plan, kept, period, taxes=taxes, invalid_events=invalid_events, strict=strict
        )
        for period in periods
    )


def _differences(stored: Any, fresh: Any, path: str = "") -> list[str]:
    # Values are quoted as error messages quote them: a stored document may hold anything.
    if isinstance(stored, dict) and isinstance(fresh, dict):
        found = []
        for key in sorted(set(stored) | set(fresh), key=_key_text):
            where = f"{path}.{_key_text(key)}" if path else _key_text(key)
            if key not in stored:
                found.append(f"{where}: not stored, now {shown(fresh[key])}")
            elif key not in fresh:
                found.append(f"{where}: stored {shown(stored[key])}, now absent")
            else:
                found.extend(_differences(stored[key], fresh[key], where))
        return found
    if isinstance(stored, list) and isinstance(fresh, list):
        found = []
        for index in range(max(len(stored), len(fresh))):
            where = f"{path}[{index}]"
            if index >= len(stored):
                found.append(f"{where}: not stored, now {shown(fresh[index])}")
            elif index >= len(fresh):
                found.append(f"{where}: stored {shown(stored[index])}, now absent")
            else:
                found.extend(_differences(stored[index], fresh[index], where))
        return found
    return [] if _same(stored, fresh) else [f"{path}: stored {shown(stored)}, now {shown(fresh)}"]


def _key_text(key: Any) -> str:
    return key if isinstance(key, str) else shown(key)


def _same(stored: Any, fresh: Any) -> bool:
    # A stored value that cannot even be compared (a signalling NaN...) is not the fresh one.
    try:
        return bool(stored == fresh)
    except Exception:
        return False


@exact_decimals
def verify(
    stored: PastUsage | str | Mapping[str, Any],
    plan: PlanInput,
    events: EventsInput,
    period: PeriodInput,
    *,
    taxes: TaxesInput = (),
) -> Verification:
    """Recompute ``period`` from ``events`` and compare it with a stored past usage.

    ``stored`` is a :class:`PastUsage`, its ``canonical_json()`` text or parsed form, or its
    digest. The differences name each field that changed, with both values. A late event
    changes a stored period:

    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"charge_model": "standard", "properties": {"amount": "1"},
    ...      "billable_metric": {"code": "calls", "aggregation_type": "count_agg"}}]}
    >>> period = {"external_subscription_id": "sub",
    ...     "from_datetime": "2024-03-01T00:00:00Z", "to_datetime": "2024-03-31T23:59:59Z"}
    >>> def call(key):
    ...     return {"transaction_id": key, "external_subscription_id": "sub", "code": "calls",
    ...             "timestamp": "2024-03-05T00:00:00Z"}
    >>> stored = past_usage(plan, [call("a")], period)
    >>> check = verify(stored, plan, [call("a"), call("late")], period)
    >>> check.matches, check.differences[0]
    (False, 'usage.amount_cents: stored 100, now 200')
    """
    fresh = past_usage(plan, events, period, taxes=taxes)
    if isinstance(stored, str) and len(stored) == 64 and not stored.startswith("{"):
        same = stored == fresh.digest
        detail = () if same else (f"digest: stored {stored!r}, now {fresh.digest!r}",)
        return Verification(matches=same, differences=detail, recomputed=fresh)
    if isinstance(stored, PastUsage):
        document = json.loads(stored.canonical_json())
    elif isinstance(stored, str):
        try:
            document = json.loads(stored)
        except json.JSONDecodeError as error:
            msg = f"is neither a digest nor canonical JSON ({error.msg})"
            raise InvalidInput.at("stored", msg, stored[:40]) from None
        except (ValueError, RecursionError):
            # Python's own limits: a number of more than 4300 digits, nesting past the stack.
            msg = "is not canonical JSON: a number too long or arrays nested too deep"
            raise InvalidInput.at("stored", msg, stored[:40]) from None
    elif isinstance(stored, Mapping):
        document = dict(stored)
    else:
        msg = "must be a PastUsage, its canonical JSON or its digest"
        raise InvalidInput.at("stored", msg, type(stored).__name__)
    found = _differences(document, json.loads(fresh.canonical_json()))
    return Verification(matches=not found, differences=tuple(found), recomputed=fresh)
