"""Whole cents for the parts of an amount: largest remainder, so that they add up exactly."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from .money import subunit_to_unit

__all__ = ["largest_remainder"]


def largest_remainder(parts: Sequence[Decimal], total_cents: int, currency: str) -> list[int]:
    """Cents for each of ``parts`` (exact amounts in currency units) adding up to ``total_cents``.

    Each part gets its exact cents rounded down; the cents still missing go one each to the
    parts with the largest remainders (ties: the earlier part), or are taken back from the
    smallest when the total asks for fewer. Nothing is plugged into a part of its own.

    >>> largest_remainder([Decimal("0.333"), Decimal("0.333"), Decimal("0.334")], 100, "EUR")
    [33, 33, 34]
    >>> largest_remainder([Decimal("0.015"), Decimal("0.015")], 3, "EUR")
    [2, 1]
    >>> largest_remainder([], 0, "EUR"), largest_remainder([Decimal("-1.505")], -151, "USD")
    ([], [-151])
    """
    factor = subunit_to_unit(currency)
    exact = [Fraction(part) * factor for part in parts]
    floors = [math.floor(value) for value in exact]
    missing = total_cents - sum(floors)
    if not parts:
        return []
    order = sorted(range(len(parts)), key=lambda i: (-(exact[i] - floors[i]), i))
    cents = list(floors)
    if missing >= 0:
        for step in range(missing):
            cents[order[step % len(order)]] += 1
    else:
        for step in range(-missing):
            cents[order[-1 - step % len(order)]] -= 1
    return cents
