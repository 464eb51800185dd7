"""What-if repricing: one closed period's events priced under plan A and under plan B.

Nothing here prices: both sides are :func:`usage_engine.past_usage`, and the segments are
differences of the charge model's own pricer at the segment bounds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ._allocate import largest_remainder
from ._coerce import as_period, as_plan
from ._inputs import EventsInput, PeriodInput, PlanInput, TaxesInput
from ._labels import filter_text, group_text
from .aggregation import Aggregation
from .errors import InvalidInput
from .models import Charge, ChargeModel, Plan
from .models._repricing import BucketDiff, ChargeDiff, RepricingDiff, Segment
from .models._simulation import percent_change
from .models.usage import BucketFee, ChargeUsage
from .money import EXACT, exact_decimals
from .past import PastUsage, past_usage
from .pricing import PricingInput, price
from .selection import iterate_events

__all__ = ["reprice", "reprice_frozen"]

ZERO = Decimal(0)
# Models whose amount is a function of the units alone: their fees split along tier bounds.
_BY_UNITS = frozenset((ChargeModel.STANDARD, ChargeModel.GRADUATED, ChargeModel.VOLUME,
                       ChargeModel.PACKAGE))  # fmt: skip


def _charges_by_id(plan: Plan) -> dict[str, Charge]:
    return {charge.lago_id: charge for charge in plan.charges}


def _signature(charge: Charge) -> tuple[str, tuple[tuple[tuple[str, tuple[str, ...]], ...], ...]]:
    # A charge without a code is known by its metric and its filters' values.
    filters = tuple(sorted(tuple(sorted(item.values.items())) for item in charge.filters))
    return charge.billable_metric.code, filters


def _pairs(
    a: Plan, b: Plan, charge_map: Mapping[str, str] | None
) -> list[tuple[Charge | None, Charge | None]]:
    """A's charges with their counterparts in B: mapped, by code, then by metric and filters."""
    left, right = list(a.charges), list(b.charges)

    def find(charges: list[Charge], name: str) -> Charge | None:
        return next((c for c in charges if name in (c.code, c.lago_id, c.id)), None)

    pairs: list[tuple[Charge | None, Charge | None]] = []
    for source, target in (charge_map or {}).items():
        one, other = find(left, source), find(right, target)
        where = f"charge_map.{source}"
        if one is None:
            raise InvalidInput.at(where, "names no charge of plan A", source)
        if other is None:
            raise InvalidInput.at(where, "names no charge of plan B", target)
        left.remove(one)
        right.remove(other)
        pairs.append((one, other))
    for matcher in (lambda c: c.code, _signature):
        for one in list(left):
            key = matcher(one)
            if key is None:
                continue
            other = next((c for c in right if matcher(c) == key), None)
            if other is not None:
                left.remove(one)
                right.remove(other)
                pairs.append((one, other))
    pairs += [(one, None) for one in left]
    pairs += [(None, other) for other in right]
    order = {id(c): i for i, c in enumerate(a.charges)}
    later = {id(c): len(order) + i for i, c in enumerate(b.charges)}
    return sorted(pairs, key=lambda p: order[id(p[0])] if p[0] else later[id(p[1])])


def _bounds(charge: Charge | None) -> set[Decimal]:
    if charge is None or charge.charge_model not in (ChargeModel.GRADUATED, ChargeModel.VOLUME):
        return set()
    found: set[Decimal] = set()
    for properties in (charge.properties, *(item.properties for item in charge.filters)):
        ranges: Sequence[Any] = (
            getattr(properties, "graduated_ranges", None)
            or getattr(properties, "volume_ranges", None)
            or ()
        )
        found.update(Decimal(r.to_value) for r in ranges if r.to_value is not None)
    return {bound for bound in found if bound > 0}


def _properties(charge: Charge, fee: BucketFee) -> Any:
    if fee.filter_index is None:
        return charge.properties
    return charge.filters[fee.filter_index].properties


def tier_parts(
    charge: Charge, fee: BucketFee, currency: str
) -> list[tuple[Decimal, Decimal]] | None:
    """``(units, amount)`` of a fee in each tier of its own bucket's ladder (see
    :func:`_fee_parts`); None when its amount is not a function of its units alone."""
    properties = _properties(charge, fee)
    ranges: Sequence[Any] = (
        getattr(properties, "graduated_ranges", None)
        or getattr(properties, "volume_ranges", None)
        or ()
    )
    grid = sorted({Decimal(r.to_value) for r in ranges if r.to_value is not None} - {ZERO})
    return _fee_parts(charge, fee, grid, currency)


def _priced_at(charge: Charge, fee: BucketFee, units: Decimal, currency: str) -> Decimal:
    aggregation = Aggregation.plain(units, fee.events_count)
    pricing = PricingInput(aggregation, charge.billable_metric.aggregation_type, False, currency)
    return price(charge.charge_model, _properties(charge, fee), pricing)


def _fee_parts(
    charge: Charge, fee: BucketFee, grid: Sequence[Decimal], currency: str
) -> list[tuple[Decimal, Decimal]] | None:
    """``(units, amount)`` of the fee in each segment of ``grid``: the pricer's amount at the
    segment's upper bound less its amount at the lower one. None when the fee's amount is not
    the pricer's function of its units alone (then it is not split)."""
    units = fee.priced_units
    if charge.charge_model not in _BY_UNITS or charge.prorated or units < 0:
        return None
    if _priced_at(charge, fee, units, currency) != fee.amount:
        return None
    parts: list[tuple[Decimal, Decimal]] = []
    before = ZERO  # the amount up to the segment's lower bound
    for index, lower in enumerate([ZERO, *grid]):
        if index and units <= lower:
            parts.append((ZERO, ZERO))
            continue
        reached = min(units, grid[index]) if index < len(grid) else units
        # The first segment carries what the pricer charges at zero units (a first flat).
        upto = _priced_at(charge, fee, reached, currency)
        parts.append((EXACT.subtract(reached, lower), EXACT.subtract(upto, before)))
        before = upto
    return parts


def _segments(
    pair: tuple[Charge | None, Charge | None],
    usages: tuple[ChargeUsage | None, ChargeUsage | None],
    currency: str,
) -> tuple[Segment, ...]:
    grid = sorted(_bounds(pair[0]) | _bounds(pair[1]))
    count = len(grid) + 1
    per_side: list[tuple[list[Decimal], list[Decimal], list[int]]] = []
    for charge, usage in zip(pair, usages, strict=True):
        units, amounts, cents = [ZERO] * count, [ZERO] * count, [0] * count
        fees = () if usage is None or charge is None else usage.fees
        for fee in fees:
            assert charge is not None
            parts = _fee_parts(charge, fee, grid, currency)
            if parts is None:  # not split: all of it in the segment holding its units
                where = sum(1 for bound in grid if fee.priced_units > bound)
                parts = [(ZERO, ZERO)] * count
                parts[where] = (fee.units, fee.amount)
            shares = largest_remainder([amount for _, amount in parts], fee.amount_cents, currency)
            for index, ((inside, amount), share) in enumerate(zip(parts, shares, strict=True)):
                units[index] = EXACT.add(units[index], inside)
                amounts[index] = EXACT.add(amounts[index], amount)
                cents[index] += share
        per_side.append((units, amounts, cents))
    (units_a, amounts_a, cents_a), (units_b, amounts_b, cents_b) = per_side
    bounds = [ZERO, *grid]
    return tuple(
        Segment.build(
            lower=bounds[i],
            upper=grid[i] if i < len(grid) else None,
            units_a=units_a[i],
            units_b=units_b[i],
            amount_a=amounts_a[i],
            amount_b=amounts_b[i],
            amount_cents_a=cents_a[i],
            amount_cents_b=cents_b[i],
            delta_cents=cents_b[i] - cents_a[i],
        )
        for i in range(count)
    )


def _bucket_key(usage: ChargeUsage, fee: BucketFee) -> tuple[str | None, str | None]:
    bucket = next(
        (
            item
            for item in (*usage.filters, *(f for g in usage.grouped_usage for f in g.filters))
            if item.filter_index == fee.filter_index
        ),
        None,
    )
    label = None if bucket is None else filter_text(bucket.values, bucket.invoice_display_name)
    return label, group_text(fee.grouped_by) or None


def _buckets(usages: tuple[ChargeUsage | None, ChargeUsage | None]) -> tuple[BucketDiff, ...]:
    found: dict[tuple[str | None, str | None], list[Any]] = {}
    for side, usage in enumerate(usages):
        if usage is None:
            continue
        for fee in usage.fees:
            row = found.setdefault(_bucket_key(usage, fee), [ZERO, ZERO, 0, 0])
            row[side] = EXACT.add(row[side], fee.units)
            row[2 + side] += fee.amount_cents
    return tuple(
        BucketDiff.build(
            filter=key[0],
            group=key[1],
            units_a=row[0],
            units_b=row[1],
            amount_cents_a=row[2],
            amount_cents_b=row[3],
            delta_cents=row[3] - row[2],
        )
        for key, row in found.items()
    )


def _diff(
    pair: tuple[Charge | None, Charge | None],
    a: PastUsage,
    b: PastUsage,
) -> ChargeDiff:
    usages = tuple(
        None
        if charge is None
        else next(
            (line for line in side.charges_usage if line.charge.lago_id == charge.lago_id), None
        )
        for charge, side in zip(pair, (a, b), strict=True)
    )
    usage_a, usage_b = usages
    known = pair[0] or pair[1]
    assert known is not None
    status = "matched" if pair[0] and pair[1] else ("removed" if pair[1] is None else "added")
    cents_a = 0 if usage_a is None else usage_a.amount_cents
    cents_b = 0 if usage_b is None else usage_b.amount_cents
    return ChargeDiff.build(
        key=known.code or known.billable_metric.code,
        status=status,
        metric_code=known.billable_metric.code,
        charge_a=None if usage_a is None else usage_a.charge,
        charge_b=None if usage_b is None else usage_b.charge,
        units_a=ZERO if usage_a is None else usage_a.units,
        units_b=ZERO if usage_b is None else usage_b.units,
        amount_cents_a=cents_a,
        amount_cents_b=cents_b,
        delta_cents=cents_b - cents_a,
        percent=percent_change(cents_a, cents_b),
        buckets=_buckets((usage_a, usage_b)),
        segments=_segments(pair, (usage_a, usage_b), a.currency),
    )


def _compare(
    plan_a: Plan,
    plan_b: Plan,
    a: PastUsage,
    b: PastUsage,
    charge_map: Mapping[str, str] | None,
    *,
    own_period: bool = False,
) -> RepricingDiff:
    notes = ["usage held fixed: the same events priced under both plans"]
    if own_period:
        notes.append(
            f"plan B priced over its own period, {b.from_datetime.date()} to {b.to_datetime.date()}"
        )
    elif plan_a.interval != plan_b.interval:
        notes.append(
            f"plan B ({plan_b.interval.value}) priced over plan A's {plan_a.interval.value} period"
        )
    charges = tuple(_diff(pair, a, b) for pair in _pairs(plan_a, plan_b, charge_map))
    return RepricingDiff.build(
        a=a,
        b=b,
        charges=charges,
        amount_cents_a=a.amount_cents,
        amount_cents_b=b.amount_cents,
        amount_delta_cents=b.amount_cents - a.amount_cents,
        taxes_amount_cents_a=a.taxes_amount_cents,
        taxes_amount_cents_b=b.taxes_amount_cents,
        taxes_delta_cents=b.taxes_amount_cents - a.taxes_amount_cents,
        total_amount_cents_a=a.total_amount_cents,
        total_amount_cents_b=b.total_amount_cents,
        total_delta_cents=b.total_amount_cents - a.total_amount_cents,
        notes=tuple(notes),
    )


def _checked_plans(plan_a: PlanInput, plan_b: PlanInput) -> tuple[Plan, Plan]:
    a, b = as_plan(plan_a, "plan_a"), as_plan(plan_b, "plan_b")
    if a.amount_currency != b.amount_currency:
        msg = f"must be billed in plan A's currency, {a.amount_currency}, to be compared"
        raise InvalidInput.at("plan_b.amount_currency", msg, b.amount_currency)
    return a, b


def _map(charge_map: Mapping[str, str] | None) -> Mapping[str, str] | None:
    if charge_map is not None and not isinstance(charge_map, Mapping):
        msg = "must map plan A's charge codes to plan B's"
        raise InvalidInput.at("charge_map", msg, type(charge_map).__name__)
    return charge_map


@exact_decimals
def reprice(
    plan_a: PlanInput,
    plan_b: PlanInput,
    events: EventsInput,
    period: PeriodInput,
    *,
    charge_map: Mapping[str, str] | None = None,
    taxes: TaxesInput = (),
    period_b: PeriodInput | None = None,
) -> RepricingDiff:
    """A closed period priced under plan A and under plan B, charge by charge.

    Both sides are :func:`past_usage` of the same events and period (a plan B of another
    interval is priced over A's period, and ``notes`` says so), unless ``period_b`` gives B a
    period of its own. Charges are matched by code,
    then by metric and filters, or as ``charge_map`` says (A's code to B's); the others are
    ``removed`` or ``added``. Nothing is stored or changed.

    >>> calls = {"code": "calls", "aggregation_type": "count_agg"}
    >>> a = {"code": "a", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"code": "api", "charge_model": "standard", "properties": {"amount": "1"},
    ...      "billable_metric": calls}]}
    >>> b = {**a, "code": "b", "charges": [{**a["charges"][0], "properties": {"amount": "0.8"}}]}
    >>> period = {"external_subscription_id": "s", "from_datetime": "2024-03-01T00:00:00Z",
    ...     "to_datetime": "2024-03-31T23:59:59Z"}
    >>> events = [{"transaction_id": str(n), "external_subscription_id": "s", "code": "calls",
    ...     "timestamp": "2024-03-05T00:00:00Z"} for n in range(3)]
    >>> diff = reprice(a, b, events, period)
    >>> [(c.key, c.status, c.amount_cents_a, c.amount_cents_b, c.percent) for c in diff.charges]
    [('api', 'matched', 300, 240, Decimal('-20.00'))]
    >>> reprice(a, a, [], period).amount_delta_cents
    0
    """
    a_plan, b_plan = _checked_plans(plan_a, plan_b)
    the_period = as_period(period)
    other = the_period if period_b is None else as_period(period_b, "period_b")
    kept = list(iterate_events(events))
    a = past_usage(a_plan, kept, the_period, taxes=taxes)
    b = past_usage(b_plan, kept, other, taxes=taxes)
    return _compare(a_plan, b_plan, a, b, _map(charge_map), own_period=period_b is not None)


@exact_decimals
def reprice_frozen(
    frozen: PastUsage,
    plan_b: PlanInput,
    events: EventsInput,
    period: PeriodInput | None = None,
    *,
    plan: PlanInput,
    charge_map: Mapping[str, str] | None = None,
    taxes: TaxesInput = (),
) -> RepricingDiff:
    """:func:`reprice` of a frozen period: ``plan`` (the one ``frozen`` was computed with) and
    the events recompute it first, and a different digest is refused, so that the comparison
    starts from the very figures that were billed. The result's ``a`` is ``frozen``; its
    period is ``frozen.period`` unless ``period`` is given (a result read back from JSON).
    """
    if not isinstance(frozen, PastUsage):
        raise InvalidInput.at("frozen", "must be a PastUsage", type(frozen).__name__)
    a_plan, b_plan = _checked_plans(plan, plan_b)
    if period is None and frozen.period is None:
        msg = "is required: the frozen result was read back without its period"
        raise InvalidInput.at("period", msg, None)
    the_period = as_period(frozen.period if period is None else period)
    kept = list(iterate_events(events))
    again = past_usage(a_plan, kept, the_period, taxes=taxes)
    if again.digest != frozen.digest:
        msg = (
            "does not match the plan, events and period given: they recompute digest "
            f"{again.digest[:12]}..., not the frozen one"
        )
        raise InvalidInput.at("frozen.digest", msg, frozen.digest)
    b = past_usage(b_plan, kept, the_period, taxes=taxes)
    return _compare(a_plan, b_plan, frozen, b, _map(charge_map))
