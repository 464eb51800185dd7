"""Corrections of closed periods: the exact lines between a frozen result and a fresh one.

Nothing is patched or replayed: the period is computed again with :func:`past_usage` from the
complete events, and the two results are compared fee by fee, component by component.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ._allocate import largest_remainder
from ._coerce import as_period, as_plan, as_taxes
from ._inputs import EventsInput, PeriodInput, PlanInput, TaxesInput
from ._labels import filter_text, group_text
from ._parts import Part, fee_parts
from ._rows import currency_amount
from .aggregation import Aggregation, Window
from .errors import InvalidInput
from .models import BillingPeriod, Charge, ChargeModel, Plan, Tax
from .models._correction import Correction, CorrectionLine
from .models.usage import BucketFee, ChargeUsage
from .money import EXACT, exact_decimals
from .past import PastUsage, past_usage, plan_digest
from .rating import View, rate_views
from .selection import id_text, iterate_events
from .taxes import applicable_taxes, taxes_amount_cents

__all__ = ["apply_correction", "correct", "correct_chain"]

Shape = Literal["delta", "reverse_rebill"]
ZERO = Decimal(0)
Key = tuple[str, str | None, str | None, str]
Side = dict[Key, tuple[Decimal, Decimal, int]]  # units, exact amount, cents


def _label(line: ChargeUsage, filter_index: int | None) -> str | None:
    for bucket in (*line.filters, *(f for g in line.grouped_usage for f in g.filters)):
        if bucket.filter_index == filter_index:
            return filter_text(bucket.values, bucket.invoice_display_name)
    return None


def _percentage_parts(
    plan: Plan, events: list[Any], period: BillingPeriod
) -> dict[tuple[str, int | None, Any], list[Part]]:
    """The parts of each percentage fee, from the events rated as a closed period is: its
    per-transaction parts need the events' own values, which a frozen result does not keep."""
    if not any(charge.charge_model is ChargeModel.PERCENTAGE for charge in plan.charges):
        return {}
    view = View(Window.of(period), invoicing=True)
    results, _ = rate_views(
        plan, events, period.external_subscription_id, [view], invalid_events="collect"
    )
    found = {}
    for rated in results[0]:
        if rated.charge.charge_model is not ChargeModel.PERCENTAGE:
            continue
        for fee, aggregation in zip(rated.fees, rated.aggregations, strict=True):
            parts = fee_parts(rated.charge, fee, aggregation, plan.amount_currency, True)
            if parts is not None:
                found[(rated.charge.lago_id, fee.filter_index, fee.grouped_by)] = parts
    return found


def _components(
    usage: PastUsage,
    plan: Plan,
    percentage: dict[tuple[str, int | None, Any], list[Part]] | None = None,
) -> tuple[Side, dict[str, int]]:
    """Each fee's components (units, exact amount, cents by largest remainder), and each
    charge's fee cents by code. ``percentage`` holds the parts of percentage fees."""
    charges = {charge.lago_id: charge for charge in plan.charges}
    found: Side = {}
    per_fee: dict[str, int] = {}
    for line in usage.charges_usage:
        charge = charges.get(line.charge.lago_id)
        name = line.charge.code or line.charge.lago_id
        for fee in line.fees:
            rated = (percentage or {}).get((line.charge.lago_id, fee.filter_index, fee.grouped_by))
            parts = rated or _parts(charge, fee, usage.currency)
            labels = [name for name, _, _ in parts]
            pieces = [(units, amount) for _, units, amount in parts]
            cents = largest_remainder(
                [amount for _, amount in pieces], fee.amount_cents, usage.currency
            )
            where = (name, _label(line, fee.filter_index), group_text(fee.grouped_by) or None)
            per_fee[repr(where)] = per_fee.get(repr(where), 0) + fee.amount_cents
            for label, (units, amount), share in zip(labels, pieces, cents, strict=True):
                if units or amount or share:
                    found[(*where, label)] = (units, amount, share)
    for item in usage.true_ups:
        name = item.charge_code or item.charge_lago_id
        amount = currency_amount(item.amount_cents, usage.currency)
        found[(name, None, None, "true_up")] = (ZERO, amount, item.amount_cents)
    return found, per_fee


def _parts(charge: Charge | None, fee: BucketFee, currency: str) -> list[Part]:
    # The fee's components as attribution names them; a percentage's parts need its events,
    # which a frozen result does not keep: one component.
    # A volume fee prices every unit at one price: one component, so that a change of tier
    # is a reversal and a rebill, never units at a mixed price.
    single = (ChargeModel.PERCENTAGE, ChargeModel.VOLUME)
    if charge is not None and charge.charge_model not in single:
        aggregation = Aggregation.plain(fee.priced_units, fee.events_count)
        found = fee_parts(charge, fee, aggregation, currency, True)
        if found is not None:
            return found
    return [("usage", fee.units, fee.amount)]


def _same_price(before: tuple[Decimal, Decimal, int], after: tuple[Decimal, Decimal, int]) -> bool:
    """Whether both sides price their units alike (amount / units, compared without dividing),
    or both are amounts without units (a flat amount, a true-up)."""
    if not before[0] or not after[0]:
        return not before[0] and not after[0]
    return EXACT.multiply(before[1], after[0]) == EXACT.multiply(after[1], before[0])


def _lines(
    old: Side,
    new: Side,
    shape: Shape,
    base: str,
    service: tuple[datetime, datetime],
    booking: tuple[datetime, datetime],
) -> list[CorrectionLine]:
    lines = []

    def line(key: Key, kind: str, units: Decimal, amount: Decimal, cents: int) -> None:
        reference = hashlib.sha256(f"{base}|{key}|{kind}".encode()).hexdigest()[:24]
        lines.append(
            CorrectionLine.build(
                key=key,
                kind=kind,
                units=units,
                amount=amount,
                amount_cents=cents,
                service_period=service,
                booking_period=booking,
                corrects=base,
                reference=reference,
            )
        )

    for key in sorted(old.keys() | new.keys(), key=repr):
        before = old.get(key, (ZERO, ZERO, 0))
        after = new.get(key, (ZERO, ZERO, 0))
        if before == after:
            continue
        if shape == "delta" and _same_price(
            before, after
        ):  # units at one price, or amounts without units
            line(
                key,
                "delta",
                EXACT.subtract(after[0], before[0]),
                EXACT.subtract(after[1], before[1]),
                after[2] - before[2],
            )
            continue
        if before != (ZERO, ZERO, 0):
            line(key, "reversal", -before[0], -before[1], -before[2])
        if after != (ZERO, ZERO, 0):
            line(key, "rebill", after[0], after[1], after[2])
    return lines


def _check_plan(frozen: PastUsage, plan: Plan) -> None:
    if frozen.plan_digest and frozen.plan_digest != plan_digest(plan):
        msg = "was priced with another plan: repricing with a new plan is reprice_frozen"
        raise InvalidInput.at("frozen.plan_digest", msg, frozen.plan_digest)


def _ids(events: Iterable[Any]) -> set[str]:
    found = set()
    for event in events:
        key = id_text(event.get("transaction_id")) if isinstance(event, Mapping) else None
        if key is not None:
            found.add(key)
    return found


@exact_decimals
def correct(
    frozen: PastUsage,
    plan: PlanInput,
    events: EventsInput,
    period: PeriodInput | None = None,
    *,
    taxes: TaxesInput = (),
    shape: Shape = "delta",
    tax_mode: Literal["difference", "on_delta"] = "difference",
    on_decrease: Literal["credit", "raise"] = "credit",
    booking: Literal["service_period", "current_period"] = "service_period",
    booking_period: PeriodInput | None = None,
    previous_events: EventsInput | None = None,
) -> Correction:
    """The lines that turn ``frozen`` into the period as the complete ``events`` now give it.

    ``events`` are all of the period's events after the change (late ones in, voided ones
    out, earlier ones kept for recurring metrics); ``plan`` must be the one ``frozen`` was
    priced with; ``period`` is the frozen one (``frozen.period`` when it has one). Within each
    fee and component, an equal unit price gives a ``delta`` line,
    another price a ``reversal`` and a ``rebill`` (``shape="reverse_rebill"``: always).
    Each fee's cents move by exactly new fee cents − frozen fee cents, its components'
    cents split by largest remainder. ``tax_mode="difference"`` (new taxes − frozen taxes)
    or ``"on_delta"`` (taxes on each fee's change). ``on_decrease="raise"`` refuses a fee
    that went down. Lines are booked in the frozen period, or with
    ``booking="current_period"`` in ``booking_period``, the open period booked into.
    ``previous_events`` (the events ``frozen`` was computed from) give ``added_ids`` and
    ``voided_ids``.

    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"code": "api", "charge_model": "standard", "properties": {"amount": "0.015"},
    ...      "billable_metric": {"code": "calls", "aggregation_type": "count_agg"}}]}
    >>> period = {"external_subscription_id": "s", "from_datetime": "2024-03-01T00:00:00Z",
    ...     "to_datetime": "2024-03-31T23:59:59Z"}
    >>> def call(key):
    ...     return {"transaction_id": key, "external_subscription_id": "s", "code": "calls",
    ...             "timestamp": "2024-03-05T00:00:00Z"}
    >>> frozen = past_usage(plan, [call("a")], period)
    >>> fix = correct(frozen, plan, [call("a"), call("late")])
    >>> [(line.kind, line.units, line.amount_cents) for line in fix.lines], fix.amount_cents
    ([('delta', Decimal('1'), 1)], 1)
    """
    if not isinstance(frozen, PastUsage):
        raise InvalidInput.at("frozen", "must be a PastUsage", type(frozen).__name__)
    for name, value, allowed in (
        ("shape", shape, ("delta", "reverse_rebill")),
        ("tax_mode", tax_mode, ("difference", "on_delta")),
        ("on_decrease", on_decrease, ("credit", "raise")),
    ):
        if value not in allowed:
            msg = "must be " + " or ".join(repr(choice) for choice in allowed)
            raise InvalidInput.at(name, msg, value)
    the_plan = as_plan(plan)
    _check_plan(frozen, the_plan)
    if period is None and frozen.period is None:
        msg = "is required: the frozen result was read back without its period"
        raise InvalidInput.at("period", msg, None)
    the_period = as_period(frozen.period if period is None else period)
    customer_taxes = as_taxes(taxes)
    kept = list(iterate_events(events))
    target = past_usage(the_plan, kept, the_period, taxes=customer_taxes)
    if (target.from_datetime, target.to_datetime) != (frozen.from_datetime, frozen.to_datetime):
        msg = "is not the frozen period"
        raise InvalidInput.at("period", msg, lago_instant(the_period.charges_from_datetime))
    # A percentage fee is split into its parts only when both sides' events are known.
    split = previous_events is not None
    previous: list[Any] = [] if previous_events is None else list(iterate_events(previous_events))
    if split and past_usage(the_plan, previous, the_period, taxes=customer_taxes) != frozen:
        msg = "do not give the frozen result: they must be the events it was computed from"
        raise InvalidInput.at("previous_events", msg, None)
    old, old_fees = _components(
        frozen, the_plan, _percentage_parts(the_plan, previous, the_period) if split else None
    )
    new, new_fees = _components(
        target, the_plan, _percentage_parts(the_plan, kept, the_period) if split else None
    )
    if on_decrease == "raise":
        for where in sorted(old_fees.keys() | new_fees.keys()):
            if new_fees.get(where, 0) < old_fees.get(where, 0):
                msg = "went down, and on_decrease='raise' books no credit"
                raise InvalidInput.at("fee", msg, where)
    service = (frozen.from_datetime, frozen.to_datetime)
    booked = service
    if booking not in ("service_period", "current_period"):
        msg = "must be 'service_period' or 'current_period'"
        raise InvalidInput.at("booking", msg, booking)
    if booking == "current_period":
        if booking_period is None:
            msg = "is required with booking='current_period': the open period booked into"
            raise InvalidInput.at("booking_period", msg, None)
        other = as_period(booking_period, "booking_period")
        booked = (other.charges_from_datetime, other.charges_to_datetime)
    lines = _lines(old, new, shape, frozen.digest, service, booked)
    amount = sum(line.amount_cents for line in lines)
    difference = target.taxes_amount_cents - frozen.taxes_amount_cents
    on_delta = _tax_on_delta(frozen, target, the_plan, customer_taxes)
    tax = difference if tax_mode == "difference" else on_delta
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    if split:
        before, after = _ids(previous), _ids(kept)
        added, removed = tuple(sorted(after - before)), tuple(sorted(before - after))
    document = json.dumps(
        [
            [
                list(map(str, line.key)),
                line.kind,
                str(line.units),
                str(line.amount),
                line.amount_cents,
            ]
            for line in lines
        ],
        separators=(",", ":"),
    )
    return Correction.build(
        base_digest=frozen.digest,
        target_digest=target.digest,
        lines=tuple(lines),
        amount_cents=amount,
        taxes_amount_cents=tax,
        tax_residual_cents=difference - on_delta,
        total_amount_cents=amount + tax,
        added_ids=added,
        voided_ids=removed,
        digest=hashlib.sha256(f"{frozen.digest}|{target.digest}|{document}".encode()).hexdigest(),
        target=target,
    )


def lago_instant(value: datetime) -> str:
    from .models.period import lago_datetime

    return lago_datetime(value)


def _tax_on_delta(
    frozen: PastUsage, target: PastUsage, plan: Plan, customer: tuple[Tax, ...]
) -> int:
    """Taxes on each charge's change (Lago's credit-note path), rounded once."""
    charges = {charge.lago_id: charge for charge in plan.charges}
    cents: dict[str, int] = {}
    for sign, usage in ((-1, frozen), (1, target)):
        for line in usage.charges_usage:
            cents[line.charge.lago_id] = (
                cents.get(line.charge.lago_id, 0) + sign * line.amount_cents
            )
    return taxes_amount_cents(
        (change, applicable_taxes(charges[lago_id], plan, customer))
        for lago_id, change in cents.items()
        if lago_id in charges and change
    )


def _frozen_with_period(item: Any, index: int) -> tuple[PastUsage, BillingPeriod]:
    if isinstance(item, PastUsage):
        if item.period is None:
            where = f"frozen_periods[{index}]"
            msg = "was read back without its period: give (frozen, period)"
            raise InvalidInput.at(where, msg, item.digest)
        return item, item.period
    frozen, period = item
    return frozen, as_period(period, f"frozen_periods[{index}][1]")


def apply_correction(frozen: PastUsage, correction: Correction) -> PastUsage:
    """The new frozen result: ``frozen`` with ``correction`` applied (it must correct it)."""
    if not isinstance(correction, Correction):
        raise InvalidInput.at("correction", "must be a Correction", type(correction).__name__)
    if correction.base_digest != frozen.digest:
        msg = "corrects another frozen result"
        raise InvalidInput.at("correction.base_digest", msg, correction.base_digest)
    return correction.target


@exact_decimals
def correct_chain(
    frozen_periods: Sequence[PastUsage | tuple[PastUsage, PeriodInput]],
    plan: PlanInput,
    events: EventsInput,
    *,
    taxes: TaxesInput = (),
    max_periods_back: int | None = None,
    shape: Shape = "delta",
) -> tuple[tuple[Correction, ...], tuple[BillingPeriod, ...]]:
    """One correction per period that changed, oldest first, and the periods left alone.

    A late event of a recurring metric changes every later period: each ``(frozen, period)``
    is recomputed from the complete events. With ``max_periods_back``, only that many of the
    most recent periods are corrected; older ones that changed are returned as ignored (Kill
    Bill's horizon).
    """
    if max_periods_back is not None and (
        isinstance(max_periods_back, bool)
        or not isinstance(max_periods_back, int)
        or max_periods_back < 0
    ):
        raise InvalidInput.at(
            "max_periods_back", "must be a whole number, 0 or more", max_periods_back
        )
    kept = list(iterate_events(events))
    pairs = sorted(
        (_frozen_with_period(item, index) for index, item in enumerate(frozen_periods)),
        key=lambda pair: pair[1].charges_from_datetime,
    )
    horizon = len(pairs) if max_periods_back is None else max_periods_back
    corrections, ignored = [], []
    for index, (frozen, period) in enumerate(pairs):
        fix = correct(frozen, plan, kept, period, taxes=taxes, shape=shape)
        if not fix.lines and fix.target_digest == frozen.digest:
            continue
        if index < len(pairs) - horizon:
            ignored.append(period)
        else:
            corrections.append(fix)
    return tuple(corrections), tuple(ignored)
