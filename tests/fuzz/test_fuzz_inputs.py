"""Mutated inputs at every entry point: InvalidInput naming a path, or a sane result."""

from __future__ import annotations

import pytest

from tests.fuzz.seeds import seed, seed_count, seed_names
from tests.fuzz.targets import TARGETS, Target, judge


@pytest.mark.parametrize("index", range(seed_count()), ids=seed_names())
@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
def test_every_seed_is_valid(target: Target, index: int) -> None:
    """Unmutated, each seed gives a sane result at every entry point."""
    assert judge(target, seed(index)) == "ok"
