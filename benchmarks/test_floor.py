"""The harness's own checks: the floor and the ISO 8601 workload agree with the engine.

Not micro-benchmarks: ``pytest benchmarks/test_floor.py`` runs them.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import floor
from benchmarks.engine import engine_result, subscription_models
from benchmarks.peers import naive
from benchmarks.peers.pricing import charge_totals, compile_plan
from benchmarks.workload import (
    NOW,
    PERIOD_FROM,
    PERIOD_TO,
    generate,
    load_plan,
    subscriptions,
    with_iso_timestamps,
)
from usage_engine.batch import rate_subscriptions

PLAN = load_plan()
CHARGES = compile_plan(PLAN)

workloads = st.tuples(
    st.integers(min_value=0, max_value=400),  # events
    st.integers(min_value=1, max_value=6),  # subscriptions
    st.integers(min_value=0, max_value=2**16),  # seed
    st.sampled_from([0.0, 0.05, 0.3]),  # re-sent share
    st.sampled_from([0.0, 0.1, 0.5]),  # share outside the period
)


@settings(max_examples=25, deadline=None)
@given(workloads)
def test_floor_totals_match_the_engine_and_the_peer(workload):
    """Whatever the shares of re-sends and stray events, the floor's totals are the engine's
    (charges without filters or groups) and the plain-Python peer's."""
    n, subs, seed, dup, outside = workload
    events = generate(n, subs, seed=seed, dup=dup, outside=outside)
    models = subscription_models(subscriptions(subs, PLAN, seed=seed))
    ids = [model.external_id for model in models]
    aggregator = naive.NaiveAggregator(CHARGES)
    aggregator.add(events)
    rows = list(aggregator.rows())
    engine = engine_result(rate_subscriptions(models, events, now=NOW))
    assert engine == charge_totals(CHARGES, rows, ids)
    must = floor.expected_totals(CHARGES, rows, engine)
    got = floor.one_pass(events, floor.sum_fields(CHARGES), PERIOD_FROM, PERIOD_TO)
    assert floor.differences(must, got) == []


def test_floor_counts_a_resent_event_once_and_keeps_the_period_half_open():
    """The first copy of a (subscription, transaction_id) wins; the period end is excluded."""
    event = {
        "external_subscription_id": "sub_000000",
        "transaction_id": "t1",
        "code": "storage_gb",
        "timestamp": PERIOD_FROM,
        "properties": {"gb": "0.250"},
    }
    resent = {**event, "properties": {"gb": "9.000"}}
    late = {**event, "transaction_id": "t2", "timestamp": PERIOD_TO}
    other = {**event, "external_subscription_id": "sub_000001"}
    got = floor.one_pass([event, resent, late, other], {"storage_gb": "gb"}, PERIOD_FROM, PERIOD_TO)
    assert {slot: str(total) for slot, total in got.items()} == {
        ("sub_000000", "storage_gb"): "0.250",
        ("sub_000001", "storage_gb"): "0.250",
    }


@settings(max_examples=15, deadline=None)
@given(workloads)
def test_iso_timestamps_give_the_same_figures(workload):
    """Scenario (a-iso): the engine and the plain-Python peer read the ISO 8601 spelling of
    the workload's timestamps as the same instants."""
    n, subs, seed, dup, outside = workload
    events = generate(n, subs, seed=seed, dup=dup, outside=outside)
    iso = with_iso_timestamps(events)
    assert all(len(e["timestamp"]) == 20 and e["timestamp"].endswith("Z") for e in iso)
    models = subscription_models(subscriptions(subs, PLAN, seed=seed))
    ids = [model.external_id for model in models]
    expected = naive.rate(CHARGES, events, ids)
    assert naive.rate(CHARGES, iso, ids) == expected
    assert engine_result(rate_subscriptions(models, iso, now=NOW)) == expected
