"""Mutated inputs at every entry point: InvalidInput naming a path, or a sane result.

The suite runs a fixed, derandomized budget (:data:`BUDGET` inputs per entry point). For more,
on demand: ``FUZZ_EXAMPLES=20000 python -m pytest tests/fuzz`` (a fresh random run each time),
or ``python -m tests.fuzz --examples 20000`` for counts of what happened (see ``__init__``).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzz.mutations import Case, mutated_inputs
from tests.fuzz.seeds import seed, seed_count, seed_names
from tests.fuzz.targets import TARGETS, Target, judge

BUDGET = 80
"""Inputs per entry point in the suite's fixed run."""

_ON_DEMAND = os.environ.get("FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=int(_ON_DEMAND) if _ON_DEMAND else BUDGET,
    derandomize=not _ON_DEMAND,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)


@pytest.mark.parametrize("index", range(seed_count()), ids=seed_names())
@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
def test_every_seed_is_valid(target: Target, index: int) -> None:
    """Unmutated, each seed gives a sane result at every entry point."""
    assert judge(target, seed(index)) == "ok"


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
def test_mutated_input_is_invalid_input_or_a_sane_result(target: Target) -> None:
    """No other exception, no hang, no NaN or broken total (see tests.fuzz.targets.judge)."""

    @FUZZ
    @given(mutated_inputs(seed, seed_count(), target.uses))
    def fuzz(case: Case) -> None:
        judge(target, case.inputs)

    fuzz()
