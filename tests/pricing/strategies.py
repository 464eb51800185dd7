"""Hypothesis strategies for pricing: prices, units and tier layouts."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from usage_engine.models import GraduatedProperties, GraduatedRange, VolumeProperties
from usage_engine.money import divide


def prices(*, places: int = 2, max_value: int = 1000) -> st.SearchStrategy[Decimal]:
    """Non-negative money amounts with at most ``places`` decimals."""
    return st.decimals(
        min_value=0, max_value=max_value, places=places, allow_nan=False, allow_infinity=False
    )


def decimal_units(*, max_value: int = 500, places: int = 2) -> st.SearchStrategy[Decimal]:
    """Non-negative quantities with at most ``places`` decimals."""
    return st.decimals(
        min_value=0, max_value=max_value, places=places, allow_nan=False, allow_infinity=False
    )


def integer_units(*, max_value: int = 200) -> st.SearchStrategy[Decimal]:
    """Non-negative whole quantities."""
    return st.integers(min_value=0, max_value=max_value).map(Decimal)


@st.composite
def integer_tiers(
    draw: st.DrawFn,
    *,
    max_tiers: int = 5,
    max_width: int = 40,
    first_from: tuple[int, ...] = (0, 1),
    non_decreasing: bool = False,
) -> tuple[GraduatedRange, ...]:
    """Integer, non-adjacent tiers (each starts one past the previous end), the last open.

    With ``non_decreasing``, each tier's unit price and flat amount are at least the previous
    tier's.
    """
    count = draw(st.integers(min_value=1, max_value=max_tiers))
    low = Decimal(draw(st.sampled_from(first_from)))
    floor_price = floor_flat = Decimal(0)
    tiers: list[GraduatedRange] = []
    for index in range(count):
        last = index == count - 1
        high = None if last else low + draw(st.integers(min_value=1, max_value=max_width))
        per_unit = draw(prices())
        flat = draw(prices())
        if non_decreasing:
            per_unit, flat = floor_price + per_unit, floor_flat + flat
            floor_price, floor_flat = per_unit, flat
        tiers.append(
            GraduatedRange(
                from_value=low, to_value=high, per_unit_amount=per_unit, flat_amount=flat
            )
        )
        if high is not None:
            low = high + 1
    return tuple(tiers)


def graduated_properties(*, max_tiers: int = 5) -> st.SearchStrategy[GraduatedProperties]:
    """Graduated properties over :func:`integer_tiers`."""
    return integer_tiers(max_tiers=max_tiers).map(
        lambda tiers: GraduatedProperties(graduated_ranges=tiers)
    )


def volume_properties(*, non_decreasing: bool = False) -> st.SearchStrategy[VolumeProperties]:
    """Gap-free volume properties starting at 0 over :func:`integer_tiers`."""
    return integer_tiers(first_from=(0,), non_decreasing=non_decreasing).map(
        lambda tiers: VolumeProperties(volume_ranges=tiers)
    )


def ratios() -> st.SearchStrategy[Decimal]:
    """Exact proration ratios: multiples of 0.05 from 0.05 to 1."""
    return st.integers(min_value=1, max_value=20).map(lambda twentieths: divide(twentieths, 20))


@st.composite
def prorated_entries(
    draw: st.DrawFn, *, max_entries: int = 8, allow_negative: bool = True
) -> tuple[tuple[Decimal, Decimal], ...]:
    """``(full, prorated)`` pairs of whole full units, prorated by ``days / 30``."""
    low = -30 if allow_negative else 1
    count = draw(st.integers(min_value=1, max_value=max_entries))
    entries = []
    for _ in range(count):
        full = Decimal(draw(st.integers(min_value=low, max_value=60)))
        days = draw(st.integers(min_value=0, max_value=30))
        entries.append((full, divide(full * days, 30)))
    return tuple(entries)
