"""A fee's amount split into named parts, with the charge model's own pricer: the tiers of a
ladder, or a percentage's rate, fixed fees and per-transaction adjustment."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ._reprice import tier_parts
from .aggregation import Aggregation
from .models import Charge, ChargeModel
from .models.usage import BucketFee
from .money import EXACT
from .pricing import PricingInput, price

__all__ = ["Part", "fee_parts"]

Part = tuple[str, Decimal, Decimal]
"""``(name, units, amount)``."""
ZERO = Decimal(0)


def _percentage(
    charge: Charge, fee: BucketFee, aggregation: Aggregation, currency: str, invoicing: bool
) -> list[Part]:
    properties = (
        charge.properties
        if fee.filter_index is None
        else charge.filters[fee.filter_index].properties
    )
    pricing = PricingInput(
        aggregation, charge.billable_metric.aggregation_type, charge.prorated, currency, invoicing
    )
    plain = {"per_transaction_min_amount": None, "per_transaction_max_amount": None}
    rate = price(
        ChargeModel.PERCENTAGE, properties.model_copy(update={**plain, "fixed_amount": None}),
        pricing,
    )  # fmt: skip
    fixed = price(
        ChargeModel.PERCENTAGE, properties.model_copy(update={**plain, "rate": ZERO}), pricing
    )
    # What the per-transaction bounds change, every digit kept.
    adjustment = EXACT.subtract(EXACT.subtract(fee.amount, rate), fixed)
    return [
        ("percentage.rate", fee.units, rate),
        ("percentage.fixed_fee", ZERO, fixed),
        ("percentage.min_max_adjustment", ZERO, adjustment),
    ]


def _graduated(charge: Charge, fee: BucketFee, tiers: list[tuple[Decimal, Decimal]]) -> list[Part]:
    # Each tier's units at its per-unit price, and the rest of its amount: its flat amount.
    properties = (
        charge.properties
        if fee.filter_index is None
        else charge.filters[fee.filter_index].properties
    )
    ranges: Sequence[Any] = getattr(properties, "graduated_ranges", ())
    if len(ranges) != len(tiers):  # bounds that coincide: one part per distinct bound
        return [(f"tier[{i + 1}]", units, amount) for i, (units, amount) in enumerate(tiers)]
    found: list[Part] = []
    for index, ((units, amount), tier) in enumerate(zip(tiers, ranges, strict=True)):
        per_unit = EXACT.multiply(units, tier.per_unit_amount)
        found.append((f"tier[{index + 1}].per_unit", units, per_unit))
        found.append((f"tier[{index + 1}].flat", ZERO, EXACT.subtract(amount, per_unit)))
    return found


def fee_parts(
    charge: Charge, fee: BucketFee, aggregation: Aggregation, currency: str, invoicing: bool
) -> list[Part] | None:
    """The named parts of ``fee`` (they add up to its amount), or None when its model has none.

    A graduated ladder gives ``tier[i].per_unit`` and ``tier[i].flat``, a volume one
    ``tier[i]``, a package ``package``, a standard charge
    ``usage``; a percentage ``percentage.rate``, ``percentage.fixed_fee`` and
    ``percentage.min_max_adjustment``.
    """
    model = charge.charge_model
    if model is ChargeModel.PERCENTAGE and not charge.prorated:
        return _percentage(charge, fee, aggregation, currency, invoicing)
    tiers = tier_parts(charge, fee, currency)
    if tiers is None:
        return None
    if model is ChargeModel.GRADUATED:
        return _graduated(charge, fee, tiers)
    if model is ChargeModel.VOLUME:
        return [(f"tier[{i + 1}]", units, amount) for i, (units, amount) in enumerate(tiers)]
    name = "package" if model is ChargeModel.PACKAGE else "usage"
    return [(name, units, amount) for units, amount in tiers]
