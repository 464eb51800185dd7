"""Rating the benchmark plan: one subscription's events, and a batch of subscriptions."""

from __future__ import annotations

import pytest

from benchmarks.conftest import SIZES, events_of_many, events_of_one
from benchmarks.workload import NOW
from usage_engine import current_usage
from usage_engine.aggregation import Window
from usage_engine.batch import rate_subscriptions
from usage_engine.rating import rate


@pytest.mark.parametrize("n", SIZES)
def test_rate_one_subscription(benchmark, plan, period, n):
    """rating.rate: selection, routing, aggregation and pricing, without the roll-up."""
    events = events_of_one(n)
    window = Window.of(period)
    rated, report = benchmark(rate, plan, events, period.external_subscription_id, window)
    assert len(rated) == 5
    assert report.rejected.count == 0


@pytest.mark.parametrize("n", SIZES)
def test_current_usage_one_subscription(benchmark, plan, period, n):
    """current_usage: rate plus the roll-up into Lago's response models."""
    events = events_of_one(n)
    usage = benchmark(current_usage, plan, events, period, now=NOW)
    assert usage.amount_cents > 0


def test_rate_subscriptions_10k_events_100_subscriptions(benchmark, subscription_models_100):
    """rate_subscriptions: split the stream, then one current_usage per subscription."""
    events = events_of_many(10_000, 100)
    usages = benchmark(rate_subscriptions, subscription_models_100, events, now=NOW)
    assert len(usages) == 100
