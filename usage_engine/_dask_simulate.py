"""A cohort simulation on Dask: each partition of members simulated apart, the parts merged.

:meth:`usage_engine.Simulation.merge` is exact in any grouping, so the result is the one
process simulation of the whole cohort.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import dask.bag as db

from ._inputs import InstantInput, PlanInput
from ._simulate import simulate as simulate_here
from .errors import InvalidInput
from .models._simulation import Simulation

__all__ = ["simulate"]


def _part(
    members: Iterable[Any],
    scenarios: Mapping[str, PlanInput],
    window: tuple[InstantInput, InstantInput],
    top_n: int,
) -> list[Simulation]:
    return [simulate_here(list(members), scenarios, window=window, top_n=top_n)]


def _merge(left: Simulation, right: Simulation) -> Simulation:
    return left.merge(right)


def simulate(
    members: db.Bag | Iterable[Any],
    scenarios: Mapping[str, PlanInput],
    *,
    window: tuple[InstantInput, InstantInput],
    top_n: int = 5,
    npartitions: int | None = None,
) -> Simulation:
    """:func:`usage_engine.simulate` on Dask: ``members`` as a bag (or any iterable, spread
    over ``npartitions``), each partition simulated on a worker, the parts merged.

    The result equals the one-process simulation of the same members. A member refused as
    input is named by its position inside its partition.
    """
    empty = simulate_here([], scenarios, window=window, top_n=top_n)  # checks the arguments
    if isinstance(members, Mapping | str | bytes):
        raise InvalidInput.at("members", "must be a bag or an iterable of members", members)
    if isinstance(members, db.Bag):
        bag = members
    else:
        listed = list(members)
        if not listed:
            return empty
        bag = db.from_sequence(listed, npartitions=npartitions or min(len(listed), 8))
    parts = bag.map_partitions(_part, scenarios, window, top_n)
    found: Simulation = parts.fold(_merge, initial=empty).compute()
    return found
