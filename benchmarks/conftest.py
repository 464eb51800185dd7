"""Seeded inputs of the micro-benchmarks, built once per session and size."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from benchmarks.engine import subscription_models
from benchmarks.workload import NOW, generate, load_plan, subscriptions
from usage_engine import BillingPeriod, Plan, Subscription, billing_period
from usage_engine._coerce import as_plan

SIZES = (1_000, 10_000)
"""Events per micro-benchmark; the full-size comparison is ``python -m benchmarks.run``."""


@cache
def events_of_one(n: int) -> list[dict[str, Any]]:
    """``n`` events of one subscription, ``sub_000000``."""
    return generate(n, 1)


@cache
def events_of_many(n: int, subs: int) -> list[dict[str, Any]]:
    """``n`` events of ``subs`` Zipf-skewed subscriptions."""
    return generate(n, subs)


@pytest.fixture(scope="session")
def plan_mapping() -> dict[str, Any]:
    """The benchmark plan in Lago's JSON shape."""
    return load_plan()


@pytest.fixture(scope="session")
def plan(plan_mapping: dict[str, Any]) -> Plan:
    """The benchmark plan, validated."""
    return as_plan(plan_mapping)


@pytest.fixture(scope="session")
def subscription_mapping(plan_mapping: dict[str, Any]) -> dict[str, Any]:
    """``sub_000000`` with its plan embedded, in Lago's JSON shape."""
    return subscriptions(1, plan_mapping)[0]


@pytest.fixture(scope="session")
def period(subscription_mapping: dict[str, Any]) -> BillingPeriod:
    """October 2026, the current period of ``sub_000000``."""
    return billing_period(subscription_mapping, NOW)


@pytest.fixture(scope="session")
def subscription_models_100(plan_mapping: dict[str, Any]) -> list[Subscription]:
    """100 validated subscriptions sharing the plan."""
    return subscription_models(subscriptions(100, plan_mapping))
