"""What a closed period would have cost under another plan: the results of ``reprice``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..past import PastUsage
from ._result import Model
from ._simulation import percent_change
from .usage import ChargeRef, format_units

__all__ = ["BucketDiff", "ChargeDiff", "RepricingDiff", "Segment"]


class Segment(Model):
    """Units and amounts between two bounds of the merged ladder of both plans' tiers.

    ``lower`` to ``upper`` (None: no upper bound) in units; ``amount_a``/``amount_b`` exact, in
    currency units; the cents are the fees' cents split by largest remainder.
    """

    lower: Decimal
    upper: Decimal | None
    units_a: Decimal
    units_b: Decimal
    amount_a: Decimal
    amount_b: Decimal
    amount_cents_a: int
    amount_cents_b: int
    delta_cents: int

    @property
    def label(self) -> str:
        """``0-100``, ``100+``."""
        low = format_units(self.lower).removesuffix(".0")
        if self.upper is None:
            return f"{low}+"
        return f"{low}-{format_units(self.upper).removesuffix('.0')}"


class BucketDiff(Model):
    """One filter bucket and pricing group of a charge, under A and under B."""

    filter: str | None
    group: str | None
    units_a: Decimal
    units_b: Decimal
    amount_cents_a: int
    amount_cents_b: int
    delta_cents: int


class ChargeDiff(Model):
    """One charge under both plans: ``matched``, ``added`` (only in B) or ``removed`` (only in A).

    ``percent`` is the change in percent (None when A's amount is zero). ``segments`` split the
    units and amounts along the union of both charges' tier bounds, so that Σ segment Δ is the
    charge's Δ; a charge whose model does not price units alone has one segment.
    """

    key: str
    status: str
    metric_code: str
    charge_a: ChargeRef | None
    charge_b: ChargeRef | None
    units_a: Decimal
    units_b: Decimal
    amount_cents_a: int
    amount_cents_b: int
    delta_cents: int
    percent: Decimal | None
    buckets: tuple[BucketDiff, ...]
    segments: tuple[Segment, ...]


class RepricingDiff(Model):
    """A closed period under plan A (``a``) and plan B (``b``), charge by charge.

    ``a`` and ``b`` are complete frozen results. The totals are usage fees (``amount``), taxes
    and their sum, each under A, under B and the difference (B − A); minimum true-ups are in
    ``a.true_ups`` and ``b.true_ups``. Usage is held fixed: the same events are repriced.
    ``notes`` says what else was assumed (a plan B of another interval priced over A's period).
    """

    a: PastUsage
    b: PastUsage
    charges: tuple[ChargeDiff, ...]
    amount_cents_a: int
    amount_cents_b: int
    amount_delta_cents: int
    taxes_amount_cents_a: int
    taxes_amount_cents_b: int
    taxes_delta_cents: int
    total_amount_cents_a: int
    total_amount_cents_b: int
    total_delta_cents: int
    notes: tuple[str, ...]

    @property
    def percent(self) -> Decimal | None:
        """The change of the usage fees in percent (None when A's are zero)."""
        return percent_change(self.amount_cents_a, self.amount_cents_b)

    def to_rows(self) -> list[dict[str, Any]]:
        """One plain row per charge (a DataFrame or CSV takes them as they are)."""
        return [
            {
                "charge": item.key,
                "status": item.status,
                "metric_code": item.metric_code,
                "units_a": item.units_a,
                "units_b": item.units_b,
                "amount_cents_a": item.amount_cents_a,
                "amount_cents_b": item.amount_cents_b,
                "delta_cents": item.delta_cents,
                "percent": item.percent,
            }
            for item in self.charges
        ]
