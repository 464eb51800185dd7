"""Validation alone: plans, subscriptions and events from Lago's JSON shape to models."""

from __future__ import annotations

from benchmarks.conftest import events_of_one
from usage_engine import Event
from usage_engine._coerce import as_plan, as_subscription


def test_coerce_plan(benchmark, plan_mapping):
    """The 5-charge benchmark plan (filters, pricing groups, four charge models)."""
    plan = benchmark(as_plan, plan_mapping)
    assert len(plan.charges) == 5


def test_coerce_subscription_with_plan(benchmark, subscription_mapping):
    """A subscription carrying the plan, as rate_subscriptions receives it."""
    subscription = benchmark(as_subscription, subscription_mapping)
    assert subscription.plan is not None


def test_validate_1k_events(benchmark):
    """1,000 events as Event models (optional: the engine reads plain mappings)."""
    events = events_of_one(1_000)
    models = benchmark(lambda: [Event.model_validate(event) for event in events])
    assert len(models) == 1_000
