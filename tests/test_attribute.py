"""Per-event attribution: shares and residuals whose cents add up to the bill exactly."""

from __future__ import annotations

import functools
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import usage_engine as ue
from tests.factories import charge, event, metric, month_period, plan, utc
from usage_engine import strategies as st_ue
from usage_engine.money import EXACT

MARCH = month_period(2024, 3)
SUM = metric("sum_agg", code="m", field_name="n")


def _tiers(model, *tiers):
    key = "graduated_ranges" if model == "graduated" else "volume_ranges"
    ranges = [
        {"from_value": low, "to_value": high, "per_unit_amount": price, "flat_amount": flat}
        for low, high, price, flat in tiers
    ]
    return plan(charge(model, {key: ranges}, billable_metric=SUM, code="c"))


def _sums(*values):
    return [
        event("m", utc(2024, 3, 2 + index), {"n": value}, transaction_id=f"t{index}")
        for index, value in enumerate(values)
    ]


def test_graduated_shares_follow_the_fill_order():
    # 0-100 @ 0.10, then 0.05: 90 units cost 9.00; the next 20 are 10 x 0.10 + 10 x 0.05.
    the_plan = _tiers("graduated", (0, 100, "0.10", "0"), (101, None, "0.05", "0"))
    found = ue.attribute(the_plan, _sums(90, 20), MARCH)
    assert [(s.transaction_id, s.units, s.precise_amount, s.amount_cents, s.status)
            for s in found.shares] == [
        ("t0", Decimal(90), Decimal("9.00"), 900, "billed"),
        ("t1", Decimal(20), Decimal("1.50"), 150, "billed"),
    ]  # fmt: skip
    assert found.residuals == ()
    assert [(m.method, m.fact) for m in found.methods] == [("marginal", False)]
    assert found.amount_cents == found.usage.amount_cents == 1050
    # The second event's share is 10 units of the first tier and 10 of the second.
    assert [s.components for s in found.shares] == [
        (("tier[1].per_unit", Decimal(90), Decimal("9.00")),),
        (("tier[1].per_unit", Decimal(10), Decimal("1.00")),
         ("tier[2].per_unit", Decimal(10), Decimal("0.50"))),
    ]  # fmt: skip


def test_volume_crossing_a_bound_is_proportional_by_default():
    # 0-15 @ 10, then 5 for every unit: 15 units cost 150, 16 units 80.
    the_plan = _tiers("volume", (0, 15, "10", "0"), (16, None, "5", "0"))
    events = _sums(*[1] * 16)
    auto = ue.attribute(the_plan, events, MARCH)
    assert {s.precise_amount for s in auto.shares} == {Decimal(5)}
    assert sum(s.amount_cents for s in auto.shares) == 8000
    marginal = ue.attribute(the_plan, events, MARCH, method="marginal")
    # The marginal share of the crossing event is negative though every price is positive.
    assert [s.precise_amount for s in marginal.shares] == [Decimal(10)] * 15 + [Decimal(-70)]


def test_rounding_at_one_and_a_half_cents_a_unit():
    # 3 x 0.015 = 0.045, billed 0.05: 5 cents by largest remainder, ties to the earlier event.
    the_plan = plan(charge("standard", {"amount": "0.015"}, billable_metric=SUM, code="c"))
    found = ue.attribute(the_plan, _sums(1, 1, 1), MARCH)
    assert [s.amount_cents for s in found.shares] == [2, 2, 1]
    assert [(m.method, m.fact) for m in found.methods] == [("marginal", True)]


def test_a_first_flat_and_a_minimum_are_residuals():
    the_plan = _tiers("graduated", (0, 10, "1", "5"), (11, None, "0.5", "0"))
    the_plan["charges"][0]["min_amount_cents"] = 2000
    found = ue.attribute(the_plan, _sums(4), MARCH)
    # 5.00 flat at zero units, 4 x 1.00 for the event; the minimum 20.00 adds 11.00.
    assert [(s.precise_amount, s.amount_cents) for s in found.shares] == [(Decimal(4), 400)]
    assert [(r.reason, r.amount_cents) for r in found.residuals] == [
        ("flat_at_zero", 500),
        ("true_up", 1100),
    ]
    assert found.amount_cents == 2000


def test_duplicates_and_set_aside_events_get_nothing():
    the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=SUM, code="c"))
    events = [*_sums(2), _sums(3)[0], event("zz", utc(2024, 3, 4), transaction_id="u")]
    found = ue.attribute(the_plan, events, MARCH)
    assert [(s.transaction_id, s.status, s.amount_cents) for s in found.shares] == [
        ("t0", "billed", 200),
        ("t0", "duplicate", 0),
        ("u", "unmatched", 0),
    ]


def test_max_is_decided_by_the_first_event_that_reached_it():
    the_plan = plan(
        charge("standard", {"amount": "1"}, billable_metric=metric("max_agg", field_name="n"))
    )
    found = ue.attribute(the_plan, _sums(3, 7, 7, 2), MARCH)
    assert [s.amount_cents for s in found.shares] == [0, 700, 0, 0]
    assert [m.method for m in found.methods] == ["decider"]


def test_bad_method_is_refused():
    with pytest.raises(ue.InvalidInput, match=r"^method: must be 'auto', 'marginal'"):
        ue.attribute(plan(), [], MARCH, method="fair")


def _per_charge(found):
    cents, precise = defaultdict(int), defaultdict(Decimal)
    for item in (*found.shares, *found.residuals):
        if item.charge is not None:
            cents[item.charge.lago_id] += item.amount_cents
            precise[item.charge.lago_id] = EXACT.add(
                precise[item.charge.lago_id], item.precise_amount
            )
    return cents, precise


@settings(max_examples=40, deadline=None)
@given(case=st_ue.usage_cases(max_events=12), data=st.data())
def test_attribution_properties(case, data):
    now = data.draw(st.sampled_from([None, case.now]))
    found = ue.attribute(case.plan, case.events, case.period, now=now, taxes=case.taxes)
    # Every cent is somewhere: shares and residuals add up to the bill, nothing plugged.
    total = sum(s.amount_cents for s in found.shares) + sum(r.amount_cents for r in found.residuals)
    assert total == found.amount_cents
    # Per charge, the shares and residuals are its fees and its true-up, in cents and exactly.
    cents, precise = _per_charge(found)
    true_ups = {t.charge_lago_id: t for t in getattr(found.usage, "true_ups", ())}
    for line in found.usage.charges_usage:
        true_up = true_ups.get(line.charge.lago_id)
        extra = 0 if true_up is None else true_up.amount_cents
        assert cents[line.charge.lago_id] == line.amount_cents + extra
        if true_up is None:
            fees_amount = functools.reduce(EXACT.add, (f.amount for f in line.fees), Decimal(0))
            assert precise[line.charge.lago_id] == fees_amount
    assert all(s.amount_cents == 0 for s in found.shares if s.status == "duplicate")
    # A share's components add up to it; for additive aggregations, the shares' units to the
    # charge's units.
    marginal_ids = {m.charge.lago_id for m in found.methods if m.method == "marginal"}
    for share in found.shares:
        if share.charge is not None and share.charge.lago_id in marginal_ids:
            parts = functools.reduce(EXACT.add, (c[2] for c in share.components), Decimal(0))
            assert parts == share.precise_amount
    plain = {
        c.lago_id
        for c in ue.Plan.model_validate(case.plan).charges
        if c.billable_metric.aggregation_type.value in ("count_agg", "sum_agg")
        and not c.billable_metric.recurring
        and not c.prorated
        and not c.pay_in_advance
    }
    units = defaultdict(Decimal)
    for share in found.shares:
        if share.charge is not None:
            units[share.charge.lago_id] += share.units
    for line in found.usage.charges_usage:
        if line.charge.lago_id in plain and all(f.units >= 0 for f in line.fees):
            assert units[line.charge.lago_id] == line.units
    # The order the events came in does not matter.
    shuffled = list(case.events)
    random.Random(data.draw(st.integers(0, 999))).shuffle(shuffled)
    again = ue.attribute(case.plan, shuffled, case.period, now=now, taxes=case.taxes)
    if len({e["transaction_id"] for e in case.events}) == len(case.events):
        assert again == found
    # On a price linear in the units, every method gives the same split: a fact.
    proportional = ue.attribute(
        case.plan, case.events, case.period, now=now, taxes=case.taxes, method="proportional"
    )
    facts = {m.charge.lago_id for m in found.methods if m.fact}
    marginal = ue.attribute(
        case.plan, case.events, case.period, now=now, taxes=case.taxes, method="marginal"
    )
    for left, right in zip(marginal.shares, proportional.shares, strict=True):
        if left.charge is not None and left.charge.lago_id in facts:
            assert left.precise_amount == right.precise_amount


def test_a_later_event_leaves_earlier_marginal_shares_alone_except_on_volume():
    graduated = _tiers("graduated", (0, 10, "1", "0"), (11, None, "0.5", "0"))
    volume = _tiers("volume", (0, 10, "1", "0"), (11, None, "0.5", "0"))
    events = _sums(4, 5)
    later = [*events, _sums(0, 0, 3)[2]]
    for the_plan, stable in ((graduated, True), (volume, False)):
        before = [s.precise_amount for s in ue.attribute(the_plan, events, MARCH).shares]
        after = [s.precise_amount for s in ue.attribute(the_plan, later, MARCH).shares]
        # Volume reprices every unit when the total crosses a bound: 12 units at 0.5.
        assert (after[:2] == before) is stable
    assert before == [Decimal(4), Decimal(5)]
    assert after == [Decimal(2), Decimal("2.5"), Decimal("1.5")]


def test_a_later_value_takes_a_latest_charge_from_the_earlier_events():
    # latest_agg bills the last value: 7 x 1.00 after two events, then 2 x 1.00 once a third
    # comes, all of it to the newcomer. A decided split is not settled as events come.
    the_plan = plan(
        charge("standard", {"amount": "1"}, billable_metric=metric("latest_agg", field_name="n"))
    )
    early = ue.attribute(the_plan, _sums(3, 7), MARCH)
    late = ue.attribute(the_plan, _sums(3, 7, 2), MARCH)
    assert [s.amount_cents for s in early.shares] == [0, 700]
    assert [s.amount_cents for s in late.shares] == [0, 0, 200]


def _marginal_shares(found):
    marginal = {m.charge.lago_id for m in found.methods if m.method == "marginal"}
    shares = defaultdict(list)
    for share in found.shares:
        if share.charge is not None and share.charge.lago_id in marginal:
            key = (share.transaction_id, share.charge.lago_id, share.filter, share.group)
            shares[key].append((share.units, share.precise_amount, share.components))
    return dict(shares)


@settings(max_examples=30, deadline=None)
@given(case=st_ue.usage_cases(max_events=10, duplicate_rate=0.0), data=st.data())
def test_later_events_leave_every_earlier_marginal_share_alone(case, data):
    """A marginal share depends only on the events before it, so events appended later in
    ``(timestamp, transaction_id)`` order leave it as it was: the precise amounts, not the
    cents, which the fee's largest remainder shares out again."""
    from usage_engine._time import event_micros

    ordered = sorted(case.events, key=lambda e: (event_micros(e["timestamp"]), e["transaction_id"]))
    cut = data.draw(st.integers(0, len(ordered)))
    now = data.draw(st.sampled_from([None, case.now]))
    early = _marginal_shares(ue.attribute(case.plan, ordered[:cut], case.period, now=now))
    late = _marginal_shares(ue.attribute(case.plan, ordered, case.period, now=now))
    assert {key: late.get(key) for key in early} == early


def _charge_amounts(usage):
    return {
        line.charge.lago_id: functools.reduce(EXACT.add, (f.amount for f in line.fees), Decimal(0))
        for line in usage.charges_usage
    }


@settings(max_examples=20, deadline=None)
@given(case=st_ue.usage_cases(max_events=8, duplicate_rate=0.0))
def test_a_marginal_share_is_what_lagos_pay_in_advance_path_charges(case):
    """Each event's marginal share is the fee with the events up to it less the fee with the
    events before it, in (timestamp, transaction_id) order, before rounding."""
    from usage_engine._time import event_micros

    # A stored fee hides a blank amount under a cent (0.1 JPY at zero units): past usage
    # drops that fee, so the stored fees no longer show the amount before the first event.
    blank = ue.current_usage(case.plan, [], case.period)
    assume(not any(f.amount and not f.amount_cents for c in blank.charges_usage for f in c.fees))
    found = ue.attribute(case.plan, case.events, case.period, method="marginal")
    marginal = {m.charge.lago_id for m in found.methods if m.method == "marginal"}
    ordered = sorted(case.events, key=lambda e: (event_micros(e["timestamp"]), e["transaction_id"]))
    shares = defaultdict(Decimal)
    for share in found.shares:
        if share.charge is not None:
            key = (share.transaction_id, share.charge.lago_id)
            shares[key] = EXACT.add(shares[key], share.precise_amount)
    start = int(case.period.charges_from_datetime.timestamp() * 1_000_000)
    for index, item in enumerate(ordered):
        if event_micros(item["timestamp"]) < start:
            continue  # carried over into the period: a residual, not a share
        with_it = _charge_amounts(ue.past_usage(case.plan, ordered[: index + 1], case.period))
        without = _charge_amounts(ue.past_usage(case.plan, ordered[:index], case.period))
        for lago_id in marginal:
            paid = EXACT.subtract(
                with_it.get(lago_id, Decimal(0)), without.get(lago_id, Decimal(0))
            )
            assert shares[(item["transaction_id"], lago_id)] == paid


def test_a_percentage_share_names_its_rate_fixed_fee_and_minimum():
    # 1 % of each payment plus 0.10, at least 0.20 a transaction: 10.00 pays 0.10 + 0.10;
    # 5.00 pays 0.05 + 0.10, raised by 0.05 to the minimum.
    the_plan = plan(
        charge(
            "percentage",
            {"rate": "1", "fixed_amount": "0.10", "per_transaction_min_amount": "0.20"},
            billable_metric=SUM,
            code="pay",
        )
    )
    found = ue.attribute(the_plan, _sums(10, 5), MARCH)
    assert [s.components for s in found.shares] == [
        (("percentage.rate", Decimal(10), Decimal("0.1")),
         ("percentage.fixed_fee", Decimal(0), Decimal("0.10"))),
        (("percentage.rate", Decimal(5), Decimal("0.05")),
         ("percentage.fixed_fee", Decimal(0), Decimal("0.10")),
         ("percentage.min_max_adjustment", Decimal(0), Decimal("0.05"))),
    ]  # fmt: skip
    assert [s.amount_cents for s in found.shares] == [20, 20]


def test_crossing_into_a_tier_brings_its_flat_amount():
    # 0-10 @ 1.00 (flat 5.00, the residual of no units), then 0.50 (flat 2.00): 4 units, then
    # 8 more: 6 to fill the first tier, 2 in the second, whose flat the crossing event brings.
    the_plan = _tiers("graduated", (0, 10, "1", "5"), (11, None, "0.5", "2"))
    found = ue.attribute(the_plan, _sums(4, 8), MARCH)
    assert found.shares[1].components == (
        ("tier[1].per_unit", Decimal(6), Decimal(6)),
        ("tier[2].per_unit", Decimal(2), Decimal("1.0")),
        ("tier[2].flat", Decimal(0), Decimal("2.0")),
    )
    assert [s.precise_amount for s in found.shares] == [Decimal(4), Decimal("9.0")]
    assert [(r.reason, r.amount_cents) for r in found.residuals] == [("flat_at_zero", 500)]


def test_an_event_the_engine_cannot_read_is_malformed():
    the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=SUM, code="c"))
    broken = event("m", utc(2024, 3, 3), {"n": 1}, transaction_id="x") | {"timestamp": "soon"}
    with pytest.raises(ue.InvalidInput, match=r"^events\[1\] \(transaction_id 'x'\): timestamp"):
        ue.attribute(the_plan, [*_sums(2), broken], MARCH)
    found = ue.attribute(the_plan, [*_sums(2), broken], MARCH, invalid_events="collect")
    assert [(s.transaction_id, s.status, s.amount_cents) for s in found.shares] == [
        ("t0", "billed", 200),
        ("x", "malformed", 0),
    ]


@pytest.mark.parametrize(
    "the_charge",
    [
        charge("package", {"amount": "3", "package_size": 4, "free_units": 2},
               billable_metric=SUM),
        charge("percentage", {"rate": "2", "fixed_amount": "0.1"}, billable_metric=SUM),
        charge("graduated_percentage", {"graduated_percentage_ranges": [
            {"from_value": 0, "to_value": 10, "rate": "1", "flat_amount": "0"},
            {"from_value": 11, "to_value": None, "rate": "2", "flat_amount": "1"}]},
            billable_metric=SUM),
    ],
    ids=["package", "percentage", "graduated_percentage"],
)  # fmt: skip
def test_later_events_leave_earlier_marginal_shares_alone(the_charge):
    """With non-negative values, marginal shares are settled as events come: a later event
    does not change them (volume, max and latest can, and are split otherwise)."""
    the_plan = plan(the_charge)
    events = _sums(3, 5, 2, 9)
    for count in range(1, len(events)):
        early = ue.attribute(the_plan, events[:count], MARCH, method="marginal")
        late = ue.attribute(the_plan, events, MARCH, method="marginal")
        assert [s.precise_amount for s in late.shares][:count] == [
            s.precise_amount for s in early.shares
        ]
