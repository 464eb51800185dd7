"""``graduated`` with ``prorated = true``: tiers chosen by full units, prorated units priced
(Lago's prorated graduated charges)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from ..models.properties import GraduatedRange
from ..money import CONTEXT, EXACT
from ._base import PricingInput
from ._tiers import tier_walk

if TYPE_CHECKING:
    from .graduated import GraduatedProperties

__all__ = ["price_prorated_graduated"]

ZERO = Decimal(0)


def price_prorated_graduated(
    properties: GraduatedProperties, pricing_input: PricingInput
) -> Decimal:
    """Return the prorated graduated amount of a bucket (Lago's ``prorated_graduated_service.rb``).

    The aggregation's ``prorated_entries`` are the bucket's ``(full, prorated)`` pairs in time
    order and its ``units`` the prorated units. The tier an entry is priced in follows the
    cumulative full units; its prorated value is what is priced, and the part of an entry past a
    tier boundary moves to the next tier at that entry's ``prorated / full`` ratio. Flat amounts
    follow the peak of the full units. Zero units cost the first tier's flat amount; an
    ``invoicing`` input selects Lago's invoicing path, where a negative full total costs 0.

    >>> from usage_engine.aggregation import Aggregation
    >>> from usage_engine.models import AggregationType, GraduatedProperties, GraduatedRange
    >>> properties = GraduatedProperties(graduated_ranges=(
    ...     GraduatedRange(from_value=0, to_value=5, per_unit_amount="10", flat_amount="100"),
    ...     GraduatedRange(from_value=6, to_value=None, per_unit_amount="5", flat_amount="50"),
    ... ))
    >>> def bucket(units, *entries):
    ...     aggregation = Aggregation(
    ...         Decimal(units), len(entries), Decimal(units), Decimal(units),
    ...         prorated_entries=entries,
    ...     )
    ...     return PricingInput(aggregation, AggregationType.SUM_AGG, True, "EUR")
    >>> price_prorated_graduated(properties, bucket(0))
    Decimal('100')

    Six full units cross into the second tier: five are priced at 10, the sixth at 5, both at
    the entry's ratio 0.5:

    >>> price_prorated_graduated(properties, bucket(3, (Decimal(6), Decimal(3))))
    Decimal('177.5')
    """
    aggregation = pricing_input.aggregation
    return _walk(
        properties.graduated_ranges,
        aggregation.prorated_entries,
        aggregation.units,
        invoicing=pricing_input.invoicing,
    )


def _walk(
    tiers: Sequence[GraduatedRange],
    entries: Sequence[tuple[Decimal, Decimal]],
    units: Decimal,
    *,
    invoicing: bool,
) -> Decimal:
    tier = tiers[0]
    if units == 0:
        return tier.flat_amount
    if not entries:
        msg = (
            "prorated graduated pricing needs the bucket's prorated_entries: aggregate with "
            "Options(prorated=True, keep_events=True)"
        )
        raise ValueError(msg)
    full = [entry[0] for entry in entries]
    prorated = [entry[1] for entry in entries]
    count = len(entries)
    index = 0
    overflow = full_sum = peak = pending = result = ZERO
    while index < count or overflow != 0:
        tier = _pick_tier(tiers, full_sum, overflow, full[index] if index < count else None)
        if overflow != 0:
            ratio = _ratio(full[index - 1], prorated[index - 1])
            pending = EXACT.add(pending, EXACT.multiply(overflow, ratio))
            if tier.to_value is not None and full_sum >= tier.to_value:
                # Still above this tier too: price its share and carry the rest up.
                overflow = EXACT.subtract(full_sum, tier.to_value)
                pending = EXACT.subtract(pending, EXACT.multiply(overflow, ratio))
                result = EXACT.add(result, EXACT.multiply(pending, tier.per_unit_amount))
                pending = ZERO
                continue
            overflow = ZERO
        if index >= count:
            break
        value, share = full[index], prorated[index]
        if share == 0 and (value > 0 or (value < 0 and EXACT.add(full_sum, value) < 0)):
            # An add worth nothing this period, or a remove of nothing.
            index += 1
            continue
        full_sum = EXACT.add(full_sum, value)
        peak = max(peak, full_sum)
        pending = EXACT.add(pending, share)
        index += 1
        if _inside(full_sum, tier):
            continue
        overflow = _overflow(full_sum, tier)
        if overflow:
            ratio = _ratio(value, share)
            pending = EXACT.subtract(pending, EXACT.multiply(overflow, ratio))
        result = EXACT.add(result, EXACT.multiply(pending, tier.per_unit_amount))
        pending = ZERO
    result = EXACT.add(result, EXACT.multiply(pending, tier.per_unit_amount))
    if invoicing and full_sum < 0:
        return ZERO
    flats = ZERO
    for reached in tier_walk(tiers, peak):
        flats = EXACT.add(flats, reached.flat_amount)
    return EXACT.add(max(result, ZERO), flats)


def _ratio(full: Decimal, prorated: Decimal) -> Decimal:
    # Lago divides in floats; exact decimals give the same cents on every documented case
    # (docs/lago-differences.md, Q10). An entry of zero full units carries nothing over.
    return CONTEXT.divide(prorated, full) if full else ZERO


def _pick_tier(
    tiers: Sequence[GraduatedRange],
    full_sum: Decimal,
    overflow: Decimal,
    next_full: Decimal | None,
) -> GraduatedRange:
    if full_sum <= 0:
        return tiers[0]
    if overflow > 0:
        level = EXACT.add(EXACT.subtract(full_sum, overflow), 1)
    elif overflow < 0:
        level = EXACT.add(full_sum, overflow)
    else:
        level = full_sum
    for position, tier in enumerate(tiers):
        if tier.to_value is not None and level == tier.to_value:
            # At a tier's last unit, a rising next entry starts in the following tier.
            if next_full is not None and next_full > 0 and position + 1 < len(tiers):
                return tiers[position + 1]
            return tier
        if level >= tier.from_value and (tier.to_value is None or level < tier.to_value):
            return tier
    # A level in a gap between two tiers (decimal bounds: 0-0.2, then 1.2-) is on its way to
    # the next tier; going back to the first would walk the same units forever.
    return next((tier for tier in tiers if tier.from_value > level), tiers[-1])


def _inside(full_sum: Decimal, tier: GraduatedRange) -> bool:
    if tier.to_value is None:
        return full_sum >= EXACT.subtract(tier.from_value, 1)
    return tier.from_value <= full_sum < tier.to_value


def _overflow(full_sum: Decimal, tier: GraduatedRange) -> Decimal:
    if tier.to_value is not None and full_sum >= tier.to_value:
        return EXACT.subtract(full_sum, tier.to_value)
    return EXACT.add(EXACT.subtract(full_sum, tier.from_value), 1)
