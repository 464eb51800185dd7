"""What-if repricing: a closed period under plan A and plan B, charge by charge, tier by tier."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import usage_engine as ue
from tests.factories import charge, event, metric, month_period, plan, utc
from usage_engine import strategies as st_ue

MARCH = month_period(2024, 3)
CALLS = metric("count_agg", code="calls")


def _graduated(*tiers, code="api"):
    ranges = [
        {"from_value": low, "to_value": high, "per_unit_amount": price, "flat_amount": "0"}
        for low, high, price in tiers
    ]
    return charge("graduated", {"graduated_ranges": ranges}, billable_metric=CALLS, code=code)


A = plan(_graduated((0, 100, "0.10"), (101, None, "0.05")), code="a")
B = plan(_graduated((0, 50, "0.20"), (51, None, "0.04")), code="b")
CALLS_150 = [event("calls", utc(2024, 3, 10)) for _ in range(150)]


def test_two_tier_ladders_compare_on_the_merged_grid():
    diff = ue.reprice(A, B, CALLS_150, MARCH)
    (api,) = diff.charges
    # A: 100 x 0.10 + 50 x 0.05 = 12.50; B: 50 x 0.20 + 100 x 0.04 = 14.00.
    assert (api.status, api.amount_cents_a, api.amount_cents_b, api.delta_cents) == (
        "matched", 1250, 1400, 150,
    )  # fmt: skip
    assert api.percent == Decimal("12.00")
    # The grid is both ladders' bounds, 50 and 100. A at 50, 100, 150: 5.00, 10.00, 12.50;
    # B: 10.00, 12.00 (+50 x 0.04), 14.00 (+50 x 0.04).
    assert [(s.label, s.units_a, s.amount_cents_a, s.amount_cents_b, s.delta_cents)
            for s in api.segments] == [
        ("0-50", Decimal(50), 500, 1000, 500),
        ("50-100", Decimal(50), 500, 200, -300),
        ("100+", Decimal(50), 250, 200, -50),
    ]  # fmt: skip
    assert (diff.amount_delta_cents, diff.total_delta_cents) == (150, 150)
    assert diff.notes == ("usage held fixed: the same events priced under both plans",)


def test_charges_are_matched_by_code_then_metric_and_filters_or_as_mapped():
    storage = metric("sum_agg", code="gb", field_name="gb")
    a = plan(
        charge("standard", {"amount": "1"}, billable_metric=CALLS, code="api"),
        charge("standard", {"amount": "2"}, billable_metric=storage),
        charge("standard", {"amount": "3"}, billable_metric=storage, code="old"),
    )
    b = plan(
        charge("standard", {"amount": "1.5"}, billable_metric=CALLS, code="api"),
        charge("standard", {"amount": "1"}, billable_metric=storage),
        charge("standard", {"amount": "4"}, billable_metric=CALLS, code="new"),
    )
    events = [event("calls", utc(2024, 3, 2)), event("gb", utc(2024, 3, 2), {"gb": 2})]
    diff = ue.reprice(a, b, events, MARCH)
    assert [(c.key, c.status, c.amount_cents_a, c.amount_cents_b) for c in diff.charges] == [
        ("api", "matched", 100, 150),
        ("gb", "matched", 400, 200),  # no code: the metric and its (no) filters
        ("old", "removed", 600, 0),
        ("new", "added", 0, 400),
    ]
    mapped = ue.reprice(a, b, events, MARCH, charge_map={"old": "new"})
    assert [(c.key, c.status, c.delta_cents) for c in mapped.charges][-1] == (
        "old", "matched", 400 - 600,
    )  # fmt: skip


def test_a_frozen_period_is_repriced_from_its_own_figures():
    frozen = ue.past_usage(A, CALLS_150, MARCH)
    diff = ue.reprice_frozen(frozen, B, CALLS_150, MARCH, plan=A)
    assert diff.a is frozen
    assert diff.amount_delta_cents == 150
    with pytest.raises(ue.InvalidInput, match=r"^frozen\.digest: does not match the plan"):
        ue.reprice_frozen(frozen, B, CALLS_150[:10], MARCH, plan=A)
    with pytest.raises(ue.InvalidInput, match=r"^frozen: must be a PastUsage"):
        ue.reprice_frozen(frozen.to_lago(), B, CALLS_150, MARCH, plan=A)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ue.reprice(A, plan(currency="USD"), [], MARCH),
         r"^plan_b\.amount_currency: must be billed in plan A's currency, EUR"),
        (lambda: ue.reprice(A, B, [], MARCH, charge_map={"nope": "api"}),
         r"^charge_map\.nope: names no charge of plan A"),
        (lambda: ue.reprice(A, B, [], MARCH, charge_map={"api": "nope"}),
         r"^charge_map\.api: names no charge of plan B"),
        (lambda: ue.reprice(A, B, [], MARCH, charge_map=["api"]), r"^charge_map: must map"),
        (lambda: ue.reprice({"code": "x"}, B, [], MARCH), r"^plan_a\."),
    ],
)  # fmt: skip
def test_bad_input_is_refused_naming_the_field(call, message):
    with pytest.raises(ue.InvalidInput, match=message):
        call()


def test_another_interval_is_priced_over_plan_as_period():
    yearly = {**B, "interval": "yearly"}
    diff = ue.reprice(A, yearly, CALLS_150, MARCH)
    assert diff.notes[-1] == "plan B (yearly) priced over plan A's monthly period"
    assert diff.b.amount_cents == 1400


@st.composite
def _two_plans(draw):
    case = draw(st_ue.usage_cases(max_events=12))
    currency = case.plan["amount_currency"]
    other = draw(st_ue.plans(currencies=[currency], min_charges=1, max_charges=3))
    return case, other


@settings(max_examples=40, deadline=None)
@given(_two_plans())
def test_repricing_properties(drawn):
    case, other = drawn
    events_before = copy.deepcopy(case.events)
    plan_before = copy.deepcopy(case.plan)
    diff = ue.reprice(case.plan, other, case.events, case.period, taxes=case.taxes)
    back = ue.reprice(other, case.plan, case.events, case.period, taxes=case.taxes)
    assert (case.events, case.plan) == (events_before, plan_before)  # inputs unchanged
    # Σ charge Δ = total Δ; Σ segment Δ = charge Δ; each side's segments add up to its fees.
    assert sum(c.delta_cents for c in diff.charges) == diff.amount_delta_cents
    for item in diff.charges:
        assert sum(s.delta_cents for s in item.segments) == item.delta_cents
        assert sum(s.amount_cents_a for s in item.segments) == item.amount_cents_a
        assert sum(s.amount_cents_b for s in item.segments) == item.amount_cents_b
        assert sum(b.delta_cents for b in item.buckets) == item.delta_cents
    # B against A is the same comparison, every difference negated.
    swapped = {"matched": "matched", "added": "removed", "removed": "added"}
    forth = sorted((c.key, swapped[c.status], -c.delta_cents) for c in diff.charges)
    assert forth == sorted((c.key, c.status, c.delta_cents) for c in back.charges)
    assert back.amount_delta_cents == -diff.amount_delta_cents
    assert back.total_delta_cents == -diff.total_delta_cents
    # A against itself changes nothing; a frozen A is repriced from its own figures.
    same = ue.reprice(case.plan, case.plan, case.events, case.period, taxes=case.taxes)
    assert all(c.delta_cents == 0 and c.status == "matched" for c in same.charges)
    frozen = ue.past_usage(case.plan, case.events, case.period, taxes=case.taxes)
    sealed = (hash(frozen), frozen.digest, frozen.canonical_json())
    other_before = copy.deepcopy(other)
    again = ue.reprice_frozen(
        frozen, other, case.events, case.period, plan=case.plan, taxes=case.taxes
    )
    assert again.a == frozen
    # The frozen result, read back, is the one given: same hash, digest and figures.
    assert (hash(again.a), again.a.digest, again.a.canonical_json()) == sealed
    assert (case.events, case.plan, other) == (events_before, plan_before, other_before)
    assert again.b == diff.b


def test_plan_b_may_be_priced_over_a_period_of_its_own():
    yearly = {**B, "interval": "yearly"}
    year = {
        "external_subscription_id": MARCH.external_subscription_id,
        "from_datetime": "2024-01-01T00:00:00Z",
        "to_datetime": "2024-12-31T23:59:59Z",
    }
    diff = ue.reprice(A, yearly, CALLS_150, MARCH, period_b=year)
    assert diff.notes[-1] == "plan B priced over its own period, 2024-01-01 to 2024-12-31"
    assert (diff.a.amount_cents, diff.b.amount_cents) == (1250, 1400)
    with pytest.raises(ue.InvalidInput, match=r"^period_b"):
        ue.reprice(A, yearly, CALLS_150, MARCH, period_b={"from_datetime": "x"})
