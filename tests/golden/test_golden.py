"""Golden cases: Lago-shaped input in, the exact Lago-shaped output out."""

import pytest

from tests.golden import cases, load, run


@pytest.mark.parametrize("path", cases(), ids=lambda path: path.stem)
def test_golden_case(path):
    """The case's function gives exactly the stored output."""
    case = load(path)
    assert run(case) == case["expected"]


def test_there_are_golden_cases():
    """The golden folder is not empty (an empty parametrization would pass silently)."""
    assert len(cases()) >= 7
