"""Taxes on usage: which taxes apply to a charge, and the response's tax total."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from .models import Charge, Plan, Tax
from .money import CONTEXT, EXACT, round_places

__all__ = ["applicable_taxes", "taxes_amount_cents"]


def applicable_taxes(charge: Charge, plan: Plan, customer: tuple[Tax, ...]) -> tuple[Tax, ...]:
    """The first non-empty of the charge's, the plan's and the customer's taxes."""
    return charge.taxes or plan.taxes or customer


def taxes_amount_cents(lines: Iterable[tuple[int, tuple[Tax, ...]]]) -> int:
    """Σ cents × rate / 100 over (amount_cents, taxes) lines, rounded half up once at the end.

    Lago rounds the response's tax total once, from the unrounded per-fee products:

    >>> vat = Tax(code="vat", rate="20")
    >>> taxes_amount_cents([(2532, (vat,))])
    506
    >>> taxes_amount_cents([(1, (vat,)), (1, (vat,)), (1, (vat,))])
    1
    """
    total = Decimal(0)
    for cents, taxes in lines:
        for tax in taxes:
            total = EXACT.add(total, EXACT.multiply(cents, tax.rate))
    return int(round_places(CONTEXT.divide(total, 100), 0))
