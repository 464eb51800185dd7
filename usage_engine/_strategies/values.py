"""Amounts and tiers as Lago writes them: the pieces the charge models' property draws share."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from hypothesis import strategies as st

__all__ = ["amounts", "tier_ranges"]


def _number(value: Decimal) -> int | float:
    # Range bounds are JSON numbers in Lago's payloads.
    return int(value) if value == value.to_integral_value() else float(value)


@cache
def amounts(*, max_value: int = 100, max_places: int = 4) -> st.SearchStrategy[str]:
    """Non-negative decimal text such as ``"12.5"``, as Lago's amounts and rates are written."""
    return st.one_of(
        [
            st.decimals(min_value=0, max_value=max_value, places=places).map(_text)
            for places in range(max_places + 1)
        ]
    )


def _text(value: Decimal) -> str:
    return format(value, "f")


@st.composite
def tier_ranges(draw: st.DrawFn, *, volume: bool, rate: bool) -> list[dict[str, Any]]:
    """Valid ranges: ``rate`` draws percentage tiers, ``volume`` volume's whole bounds."""
    # Graduated ranges start at 0 or 1 and follow on at the previous end or one after; volume
    # ranges start at 0 with whole bounds one apart, as a total in a gap has no price.
    places = 0 if volume else draw(st.sampled_from((0, 0, 1)))
    step = Decimal(1).scaleb(-places)
    lower = Decimal(0) if volume else Decimal(draw(st.sampled_from((0, 1))))
    count = draw(st.integers(1, 4))
    ranges = []
    for index in range(count):
        upper = None
        if index < count - 1:
            upper = lower + step * draw(st.integers(1, 30 * 10**places))
        tier: dict[str, Any] = {
            "from_value": _number(lower),
            "to_value": None if upper is None else _number(upper),
        }
        if rate:
            tier["rate"] = draw(amounts(max_value=10, max_places=3))
        else:
            tier["per_unit_amount"] = draw(amounts(max_value=10))
        tier["flat_amount"] = draw(st.just("0") | amounts(max_value=50, max_places=2))
        ranges.append(tier)
        if upper is not None:
            lower = upper + (1 if volume else draw(st.sampled_from((0, 1))))
    return ranges
