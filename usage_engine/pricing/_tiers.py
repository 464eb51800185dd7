"""The tier walk shared by graduated, graduated percentage and prorated graduated, and volume's
range lookup."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from itertools import pairwise
from typing import Protocol, TypeVar

from ..money import ceil_places

__all__ = ["Tier", "is_adjacent", "tier_walk", "volume_tier"]


class Tier(Protocol):
    """A range of a tiered charge: ``to_value`` None means open-ended."""

    @property
    def from_value(self) -> Decimal:
        """The first unit of the range."""
        ...

    @property
    def to_value(self) -> Decimal | None:
        """The last unit of the range, or None for the open-ended last range."""
        ...


T = TypeVar("T", bound=Tier)


def tier_walk(ranges: Sequence[T], units: Decimal) -> Iterator[T]:
    """Yield the ranges a graduated charge prices for ``units``, in order.

    Each range is included, then the walk stops after one whose ``to_value`` is None or reaches
    ``units``; the first range is therefore always included, flat amount and all, even at zero
    units (Lago: ``charge_models/graduated_service.rb``, since getlago/lago-api#5760).
    """
    for tier in ranges:
        yield tier
        if tier.to_value is None or tier.to_value >= units:
            return


def is_adjacent(ranges: Sequence[Tier]) -> bool:
    """Whether every range starts where the previous one ends (graduated's adjacent mode).

    A single range is never adjacent, and one non-adjacent boundary disables the mode for all
    (Lago: ``charge_models/graduated_service.rb``).
    """
    return len(ranges) >= 2 and all(
        tier.from_value == previous.to_value for previous, tier in pairwise(ranges)
    )


def volume_tier(ranges: Sequence[T], units: Decimal) -> T | None:
    """The first range with ``from_value ≤ ceil(units)`` and ``units ≤ to_value``, if any.

    Comparing the start with the ceiling puts 100.5 in a 101–200 range, as Lago's volume charges do.
    """
    ceiling = ceil_places(units, 0)
    for tier in ranges:
        if tier.from_value <= ceiling and (tier.to_value is None or units <= tier.to_value):
            return tier
    return None
