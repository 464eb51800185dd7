"""Cohort simulation: a cohort's closed periods under its own plans and under scenario plans."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import usage_engine as ue
from tests.factories import charge, event, metric, plan, utc
from usage_engine import strategies as st_ue

WINDOW = ("2024-02-01T00:00:00Z", "2024-04-01T00:00:00Z")  # February and March 2024
CALLS = metric("count_agg", code="calls")
BASE = plan(charge("standard", {"amount": "1"}, billable_metric=CALLS, code="api"), code="base")
TIERED = plan(
    charge(
        "graduated",
        {
            "graduated_ranges": [
                {"from_value": 0, "to_value": 10, "per_unit_amount": "0", "flat_amount": "0"},
                {"from_value": 11, "to_value": None, "per_unit_amount": "2", "flat_amount": "0"},
            ]
        },
        billable_metric=CALLS,
        code="api",
    ),
    code="tiered",
)


def _subscription(key: str, the_plan=BASE, start: str = "2024-01-01T00:00:00Z"):
    return {"external_id": key, "plan": the_plan, "subscription_at": start}


def _calls(key: str, count: int, month: int):
    return [event("calls", utc(2024, month, 10), subscription=key) for _ in range(count)]


def _cohort():
    # acme: 5 calls in February and 20 in March; beta: 30 in March; zed: 0 calls.
    return [
        ue.Member("acme", _subscription("s_acme"), _calls("s_acme", 5, 2) + _calls("s_acme", 20, 3)),  # noqa: E501
        ("beta", _subscription("s_beta"), _calls("s_beta", 30, 3)),
        {"customer_id": "zed", "subscription": _subscription("s_zed"), "events": []},
    ]  # fmt: skip


def test_a_hand_worked_cohort():
    result = ue.simulate(_cohort(), {"tiered": TIERED, "same": BASE}, window=WINDOW, top_n=1)
    tiered = result["tiered"]
    # Base, 1.00 a call: acme 25 calls = 2500; beta 30 = 3000; zed 0.
    # Tiered, the first 10 calls of each month free, then 2.00: acme February 5 -> 0,
    # March 20 -> 10 x 2 = 2000; beta March 30 -> 20 x 2 = 4000; zed 0.
    assert [(c.customer_id, c.baseline_cents, c.scenario_cents, c.delta_cents, c.percent)
            for c in tiered.customers] == [
        ("acme", 2500, 2000, -500, Decimal("-20.00")),
        ("beta", 3000, 4000, 1000, Decimal("33.33")),  # 1000 / 3000 = 33.333...%, half up
        ("zed", 0, 0, 0, None),
    ]  # fmt: skip
    assert (tiered.baseline_cents, tiered.scenario_cents, tiered.delta_cents) == (5500, 6000, 500)
    assert tiered.percent == Decimal("9.09")  # 500 / 5500 = 9.0909...%
    assert (tiered.up, tiered.flat, tiered.down) == (1, 1, 1)
    # Nearest rank over the 2 customers with a baseline: p50 -> rank 1, p90 and p95 -> rank 2.
    assert dict(tiered.quantiles) == {
        "p50": Decimal("-20.00"),
        "p90": Decimal("33.33"),
        "p95": Decimal("33.33"),
    }
    assert [c.customer_id for c in tiered.top_increases] == ["beta"]
    assert [c.customer_id for c in tiered.top_decreases] == ["acme"]
    assert [(s.key, s.baseline_cents, s.scenario_cents) for s in tiered.by_charge] == [
        ("api", 5500, 6000)
    ]
    periods = tiered.by_period
    assert [(s.key, s.baseline_cents, s.scenario_cents, s.delta_cents) for s in periods] == [
        ("2024-02-01T00:00:00Z", 500, 0, -500),
        ("2024-03-01T00:00:00Z", 5000, 6000, 1000),
    ]  # fmt: skip
    same = result["same"]
    assert [c.delta_cents for c in same.customers] == [0, 0, 0]
    assert (same.up, same.flat, same.down) == (0, 3, 0)
    assert result.currency == "EUR"
    assert result.coverage == ()
    assert [outcome.name for outcome in result] == ["tiered", "same"]


def test_members_that_cannot_be_priced_are_listed_with_their_reason():
    dollars = {**TIERED, "amount_currency": "USD"}
    late = _subscription("s_late", start="2024-05-01T00:00:00Z")
    members = [("acme", _subscription("s_acme"), _calls("s_acme", 3, 3)), ("late", late, [])]
    result = ue.simulate(members, {"tiered": TIERED}, window=WINDOW)
    assert [(s.customer_id, s.subscription_id, s.reason) for s in result.coverage] == [
        ("late", "s_late", "no billing period of the subscription lies within the window")
    ]
    result = ue.simulate(members[:1], {"usd": dollars}, window=WINDOW)
    assert [s.reason for s in result.coverage] == [
        "scenario 'usd' is billed in USD, the subscription's plan in EUR"
    ]
    assert result["usd"].customers == ()


def test_a_scenario_with_another_interval_is_priced_over_the_subscriptions_periods():
    yearly = {**TIERED, "interval": "yearly"}
    result = ue.simulate(_cohort()[:1], {"yearly": yearly}, window=WINDOW)
    assert result.notes == (
        "scenario 'yearly' (yearly) is priced over each subscription's own periods (monthly)",
    )
    assert result["yearly"].scenario_cents == 2000


def test_merging_parts_of_a_cohort_gives_the_whole():
    scenarios = {"tiered": TIERED}
    whole = ue.simulate(_cohort(), scenarios, window=WINDOW)
    parts = [ue.simulate([member], scenarios, window=WINDOW) for member in _cohort()]
    assert parts[2].merge(parts[0]).merge(parts[1]) == whole
    with pytest.raises(ue.InvalidInput, match=r"members: holds this customer's subscription"):
        whole.merge(parts[0])
    usd = {**BASE, "amount_currency": "USD"}
    dollars = ue.simulate([("d", _subscription("s_d", usd), [])], {"tiered": usd}, window=WINDOW)
    with pytest.raises(ue.InvalidInput, match=r"members: must all be billed in one currency"):
        whole.merge(dollars)
    other = ue.simulate(_cohort(), scenarios, window=WINDOW, top_n=2)
    with pytest.raises(ue.InvalidInput, match=r"other\.top_n: differs"):
        whole.merge(other)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ue.simulate([], {}, window=WINDOW), r"scenarios: must map at least one"),
        (lambda: ue.simulate([], {"b": BASE}, window=("2024-03-01", "2024-02-01")),
         r"window\[1\]: must not be before window\[0\]"),
        (lambda: ue.simulate([], {"b": BASE}, window="2024"), r"window: must be a \(start, end\)"),
        (lambda: ue.simulate([], {"b": BASE}, window=WINDOW, top_n=-1), r"top_n: must be"),
        (lambda: ue.simulate([("a", {})], {"b": BASE}, window=WINDOW), r"members\[0\]: must be"),
        (lambda: ue.simulate([{"customer_id": "a"}], {"b": BASE}, window=WINDOW),
         r"members\[0\]\.subscription: is required"),
        (lambda: ue.simulate([("", _subscription("s"), [])], {"b": BASE}, window=WINDOW),
         r"members\[0\]\.customer_id: must be a non-empty string"),
        (lambda: ue.simulate([], {"b": {"code": "x"}}, window=WINDOW), r"scenarios\.b\."),
    ],
)  # fmt: skip
def test_bad_input_is_refused_naming_the_field(call, message):
    with pytest.raises(ue.InvalidInput, match=message):
        call()


@st.composite
def _cohorts(draw):
    case = draw(st_ue.usage_cases(max_events=10, duplicate_rate=0.0))
    currency = case.plan["amount_currency"]
    other = draw(st_ue.plans(currencies=[currency], min_charges=1, max_charges=2))
    size = draw(st.integers(1, 4))
    members = []
    for index in range(size):
        key = f"s{index}"
        subscription = {**case.subscription, "external_id": key}
        picked = draw(st.lists(st.sampled_from(case.events), unique_by=id)) if case.events else []
        events = [
            {**item, "external_subscription_id": key, "transaction_id": f"{key}-{n}"}
            for n, item in enumerate(picked)
        ]
        customer = draw(st.sampled_from(["c0", "c1", "c2"]))
        members.append((customer, subscription, events))
    period = case.period
    window = (period.charges_from_datetime, period.charges_to_datetime)
    return members, {"other": other, "same": case.plan}, window, draw(st.randoms())


@settings(max_examples=25, deadline=None)
@given(_cohorts())
def test_simulation_properties(drawn):
    members, scenarios, window, rng = drawn
    result = ue.simulate(members, scenarios, window=window)
    for outcome in result:
        # Totals are the sum over customers; quantiles are customers' own figures.
        assert outcome.baseline_cents == sum(c.baseline_cents for c in outcome.customers)
        assert outcome.scenario_cents == sum(c.scenario_cents for c in outcome.customers)
        assert outcome.delta_cents == sum(s.delta_cents for s in outcome.by_charge)
        assert outcome.delta_cents == sum(s.delta_cents for s in outcome.by_period)
        percents = {c.percent for c in outcome.customers if c.percent is not None}
        assert all(q is None or q in percents for q in outcome.quantiles.values())
        assert outcome.up + outcome.flat + outcome.down == len(outcome.customers)
    assert all(c.delta_cents == 0 for c in result["same"].customers)
    # Permuting the cohort, or merging shards in any grouping, gives the same simulation.
    shuffled = list(members)
    rng.shuffle(shuffled)
    assert ue.simulate(shuffled, scenarios, window=window) == result
    cut = rng.randint(0, len(members))
    left = ue.simulate(shuffled[:cut], scenarios, window=window)
    right = ue.simulate(shuffled[cut:], scenarios, window=window)
    assert right.merge(left) == left.merge(right) == result


def test_a_subscription_ended_as_it_started_has_one_empty_period():
    """Terminated at its start: one period of no length, priced at 0 under every plan."""
    sub = _subscription("s0", start="2024-03-01T00:00:00Z") | {
        "terminated_at": "2024-03-01T00:00:00Z"
    }
    instant = "2024-03-01T00:00:00Z"
    result = ue.simulate([("c", sub, [])], {"tiered": TIERED}, window=(instant, instant))
    assert [dict(m.baseline.by_period) for m in result.members] == [{instant: 0}]
    assert (result["tiered"].flat, result.coverage) == (1, ())
