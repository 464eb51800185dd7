"""The shared tier walk and volume lookup (spec 4.2, 4.6)."""

from decimal import Decimal

import pytest

from tests.pricing.builders import graduated, volume
from usage_engine.pricing._tiers import is_adjacent, tier_walk, volume_tier

THREE = graduated((0, 10, 1, 0), (11, 20, 1, 0), (21, None, 1, 0)).graduated_ranges


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        pytest.param("0", 1, id="zero units still include the first tier"),
        pytest.param("10", 1, id="a tier ending at the units stops the walk"),
        pytest.param("10.5", 2, id="units past a bound include the next tier"),
        pytest.param("1000", 3, id="the open tier ends every walk"),
    ],
)
def test_tier_walk_stops_after_the_tier_reaching_the_units(units, expected):
    """The walk includes tiers in order and stops after one whose end reaches the units."""
    assert list(tier_walk(THREE, Decimal(units))) == list(THREE[:expected])


@pytest.mark.parametrize(
    ("ranges", "expected"),
    [
        pytest.param(((0, 1, 1, 0), (1, None, 1, 0)), True, id="every bound shared"),
        pytest.param(((0, 1, 1, 0), (2, None, 1, 0)), False, id="integer bounds"),
        pytest.param(
            ((0, 1, 1, 0), (1, 5, 1, 0), (6, None, 1, 0)), False, id="mixed bounds are not"
        ),
        pytest.param(((0, None, 1, 0),), False, id="a single range is not"),
    ],
)
def test_is_adjacent(ranges, expected):
    """Adjacent mode needs two or more ranges, each starting where the previous ends."""
    assert is_adjacent(graduated(*ranges).graduated_ranges) is expected


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        pytest.param("0", 0, id="zero is in the first range"),
        pytest.param("10", 0, id="a range's end is inside it"),
        pytest.param("10.01", 1, id="a fraction past an end belongs to the next range"),
        pytest.param("21", 2, id="the open range"),
    ],
)
def test_volume_tier(units, expected):
    """The volume range is the first with from ≤ ceil(units) ≤ … and units ≤ to."""
    assert volume_tier(THREE, Decimal(units)) is THREE[expected]


def test_volume_tier_none_in_a_gap():
    """A total in a gap between ranges has no range."""
    ranges = volume((0, 10, 1, 0), (12, None, 1, 0)).volume_ranges
    assert volume_tier(ranges, Decimal(11)) is None
