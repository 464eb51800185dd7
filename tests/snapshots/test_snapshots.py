"""Regression snapshots: each scenario still gives exactly the output stored when it was taken.

The stored output is the engine's own, so these tests catch changes, not mistakes that were
there from the start; ``test_hand_worked.py`` checks the same scenarios against values worked
by hand.
"""

import pytest

from tests.snapshots import cases, load, run


@pytest.mark.parametrize("path", cases(), ids=lambda path: path.stem)
def test_snapshot_unchanged(path):
    """The scenario's function gives exactly the stored output."""
    case = load(path)
    assert run(case) == case["expected"]


def test_there_are_snapshots():
    """The snapshot folder is not empty (an empty parametrization would pass silently)."""
    assert len(cases()) >= 7
