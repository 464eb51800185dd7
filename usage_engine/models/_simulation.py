"""The result of a cohort simulation: each member's revenue under its plan and under scenarios.

A :class:`Simulation` keeps one record per member and derives every figure from them (totals,
per-customer changes, quantiles, counts, top movers, revenue by charge and by period), so two
simulations of parts of a cohort merge into the simulation of the whole, whatever the order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Final

from ..errors import InvalidInput
from ._result import Model
from .account import FrozenMapping

__all__ = [
    "QUANTILES",
    "CustomerChange",
    "MemberRecord",
    "Revenue",
    "ScenarioOutcome",
    "Simulation",
    "Skipped",
    "Split",
]

QUANTILES: Final = (50, 90, 95)
_PERCENT_PLACES: Final = Decimal("0.01")


class Revenue(Model):
    """A member's revenue under one plan over the window: usage fees plus minimum true-ups,
    before taxes, in minor units; split by charge and by period start."""

    amount_cents: int
    by_charge: Mapping[str, int]
    by_period: Mapping[str, int]


class MemberRecord(Model):
    """One member: a customer's subscription, its revenue under its own plan and each scenario."""

    customer_id: str
    subscription_id: str
    baseline: Revenue
    scenarios: Mapping[str, Revenue]


class Skipped(Model):
    """A member left out of the simulation, and why."""

    customer_id: str
    subscription_id: str
    reason: str


def percent_change(baseline: int, scenario: int) -> Decimal | None:
    """The change from ``baseline`` to ``scenario`` in percent, to 2 places (half up); None
    when the baseline is zero (no percentage of nothing).

    >>> percent_change(300, 400), percent_change(0, 5), percent_change(3, 2)
    (Decimal('33.33'), None, Decimal('-33.33'))
    """
    if baseline == 0:
        return None
    exact = Decimal((scenario - baseline) * 100) / Decimal(baseline)
    return exact.quantize(_PERCENT_PLACES, rounding=ROUND_HALF_UP)


class CustomerChange(Model):
    """A customer's revenue under the baseline and a scenario (all their subscriptions)."""

    customer_id: str
    baseline_cents: int
    scenario_cents: int
    delta_cents: int
    percent: Decimal | None


class Split(Model):
    """Revenue of one charge or one period under the baseline and a scenario."""

    key: str
    baseline_cents: int
    scenario_cents: int
    delta_cents: int


class ScenarioOutcome(Model):
    """What one scenario changes, over the whole cohort.

    ``quantiles`` are nearest-rank quantiles (p50, p90, p95) of the customers' percentage
    change: each is one customer's own figure, ordered by its exact value; customers whose
    baseline is zero have no percentage and are left out of them (they count in ``up``,
    ``flat`` and ``down``).
    """

    name: str
    baseline_cents: int
    scenario_cents: int
    delta_cents: int
    percent: Decimal | None
    customers: tuple[CustomerChange, ...]
    quantiles: Mapping[str, Decimal | None]
    up: int
    flat: int
    down: int
    top_increases: tuple[CustomerChange, ...]
    top_decreases: tuple[CustomerChange, ...]
    by_charge: tuple[Split, ...]
    by_period: tuple[Split, ...]


def nearest_rank(ordered: list[CustomerChange], percentile: int) -> Decimal | None:
    """The nearest-rank ``percentile`` of customers already ordered by exact change.

    >>> rows = [CustomerChange(customer_id=str(n), baseline_cents=100, scenario_cents=100 + n,
    ...     delta_cents=n, percent=Decimal(n)) for n in range(1, 11)]
    >>> nearest_rank(rows, 50), nearest_rank(rows, 95), nearest_rank([], 50)
    (Decimal('5'), Decimal('10'), None)
    """
    if not ordered:
        return None
    rank = -(-percentile * len(ordered) // 100)  # ceil(p x n / 100), in integers
    return ordered[max(rank, 1) - 1].percent


def _exact_change(item: CustomerChange) -> tuple[Fraction, str]:
    return Fraction(item.delta_cents, item.baseline_cents), item.customer_id


def _splits(
    baseline: Iterable[Mapping[str, int]], scenario: Iterable[Mapping[str, int]]
) -> tuple[Split, ...]:
    before: dict[str, int] = {}
    after: dict[str, int] = {}
    for target, parts in ((before, baseline), (after, scenario)):
        for part in parts:
            for key, cents in part.items():
                target[key] = target.get(key, 0) + cents
    return tuple(
        Split.build(
            key=key,
            baseline_cents=before.get(key, 0),
            scenario_cents=after.get(key, 0),
            delta_cents=after.get(key, 0) - before.get(key, 0),
        )
        for key in sorted(before.keys() | after.keys())
    )


def outcome(name: str, members: tuple[MemberRecord, ...], top_n: int) -> ScenarioOutcome:
    """The outcome of scenario ``name`` over ``members`` (sorted by customer and subscription)."""
    totals: dict[str, tuple[int, int]] = {}
    for member in members:
        before, after = totals.get(member.customer_id, (0, 0))
        totals[member.customer_id] = (
            before + member.baseline.amount_cents,
            after + member.scenarios[name].amount_cents,
        )
    customers = tuple(
        CustomerChange.build(
            customer_id=customer,
            baseline_cents=before,
            scenario_cents=after,
            delta_cents=after - before,
            percent=percent_change(before, after),
        )
        for customer, (before, after) in sorted(totals.items())
    )
    ordered = sorted((item for item in customers if item.baseline_cents), key=_exact_change)
    rising = sorted(
        (item for item in customers if item.delta_cents > 0),
        key=lambda item: (-item.delta_cents, item.customer_id),
    )
    falling = sorted(
        (item for item in customers if item.delta_cents < 0),
        key=lambda item: (item.delta_cents, item.customer_id),
    )
    baseline = sum(item.baseline_cents for item in customers)
    scenario = sum(item.scenario_cents for item in customers)
    return ScenarioOutcome.build(
        name=name,
        baseline_cents=baseline,
        scenario_cents=scenario,
        delta_cents=scenario - baseline,
        percent=percent_change(baseline, scenario),
        customers=customers,
        quantiles=FrozenMapping((f"p{q}", nearest_rank(ordered, q)) for q in QUANTILES),
        up=sum(1 for item in customers if item.delta_cents > 0),
        flat=sum(1 for item in customers if item.delta_cents == 0),
        down=sum(1 for item in customers if item.delta_cents < 0),
        top_increases=tuple(rising[:top_n]),
        top_decreases=tuple(falling[:top_n]),
        by_charge=_splits(
            (m.baseline.by_charge for m in members), (m.scenarios[name].by_charge for m in members)
        ),
        by_period=_splits(
            (m.baseline.by_period for m in members), (m.scenarios[name].by_period for m in members)
        ),
    )


class Simulation(Model):
    """A cohort under its own plans and under each scenario (see :func:`usage_engine.simulate`).

    ``members`` and ``skipped`` (the ``coverage``) are sorted by customer and subscription;
    ``outcomes`` holds one :class:`ScenarioOutcome` per scenario, in the order given. Usage is
    held fixed: a scenario reprices the same events, it does not guess how customers would
    react to other prices.
    """

    scenarios: tuple[str, ...]
    window: tuple[datetime, datetime]
    top_n: int
    currency: str | None
    members: tuple[MemberRecord, ...]
    skipped: tuple[Skipped, ...]
    notes: tuple[str, ...]
    outcomes: Mapping[str, ScenarioOutcome]

    @property
    def coverage(self) -> tuple[Skipped, ...]:
        """The members left out, each with its reason."""
        return self.skipped

    def __getitem__(self, name: str) -> ScenarioOutcome:
        return self.outcomes[name]

    def __iter__(self) -> Iterator[Any]:  # type: ignore[override]
        return iter(self.outcomes.values())

    def merge(self, other: Simulation) -> Simulation:
        """The simulation of both cohorts: same scenarios, window and ``top_n``; a member may
        be in only one of them."""
        for field in ("scenarios", "window", "top_n"):
            if getattr(self, field) != getattr(other, field):
                path, msg = (
                    f"other.{field}",
                    f"differs from this simulation's {getattr(self, field)!r}",
                )
                raise InvalidInput.at(path, msg, getattr(other, field))
        return assemble(
            self.scenarios,
            self.window,
            self.top_n,
            (*self.members, *other.members),
            (*self.skipped, *other.skipped),
            (*self.notes, *other.notes),
            [currency for currency in (self.currency, other.currency) if currency is not None],
        )


def _key(item: MemberRecord | Skipped) -> tuple[str, str]:
    return item.customer_id, item.subscription_id


def assemble(
    scenarios: tuple[str, ...],
    window: tuple[datetime, datetime],
    top_n: int,
    members: Iterable[MemberRecord],
    skipped: Iterable[Skipped],
    notes: Iterable[str],
    currencies: Iterable[str] = (),
) -> Simulation:
    """A :class:`Simulation` from its records, in a canonical order whatever order they came in.

    ``currencies`` are the members' currencies: a cohort is billed in one.
    """
    ordered = tuple(sorted(members, key=_key))
    left_out = tuple(sorted(skipped, key=_key))
    keys = [_key(item) for item in ordered] + [_key(item) for item in left_out]
    if len(set(keys)) != len(keys):
        repeated = sorted({key for key in keys if keys.count(key) > 1})[0]
        path, msg = "members", "holds this customer's subscription twice"
        raise InvalidInput.at(path, msg, f"{repeated[0]}/{repeated[1]}")
    return Simulation.build(
        scenarios=scenarios,
        window=window,
        top_n=top_n,
        currency=_one_currency(currencies),
        members=ordered,
        skipped=left_out,
        notes=tuple(sorted(set(notes))),
        outcomes=FrozenMapping((name, outcome(name, ordered, top_n)) for name in scenarios),
    )


def _one_currency(currencies: Iterable[str]) -> str | None:
    found = sorted(set(currencies))
    if len(found) > 1:
        path, msg = "members", "must all be billed in one currency to be added up"
        raise InvalidInput.at(path, msg, ", ".join(found))
    return found[0] if found else None
