"""Corrections of closed periods: exact lines between a frozen result and a fresh one."""

from __future__ import annotations

import random
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import usage_engine as ue
from tests.factories import charge, event, metric, month_period, plan, utc
from usage_engine import strategies as st_ue

MARCH = month_period(2024, 3)
APRIL = month_period(2024, 4)
SUM = metric("sum_agg", code="m", field_name="n")


def _sums(*values, month=3):
    return [
        event("m", utc(2024, month, 2 + i), {"n": v}, transaction_id=f"t{month}-{i}")
        for i, v in enumerate(values)
    ]


def test_one_and_a_half_cents_a_unit_moves_one_cent_not_two():
    # 1 unit at 0.015 was billed 0.02; 2 units are 0.03: +1 cent (round(0.015) would be 2).
    the_plan = plan(charge("standard", {"amount": "0.015"}, billable_metric=SUM, code="c"))
    frozen = ue.past_usage(the_plan, _sums(1), MARCH)
    fix = ue.correct(frozen, the_plan, _sums(1, 1), MARCH, previous_events=_sums(1))
    assert [(line.kind, line.units, line.amount, line.amount_cents) for line in fix.lines] == [
        ("delta", Decimal(1), Decimal("0.015"), 1)
    ]
    assert (fix.amount_cents, fix.added_ids, fix.voided_ids) == (1, ("t3-1",), ())
    assert ue.apply_correction(frozen, fix) == ue.past_usage(the_plan, _sums(1, 1), MARCH)


def test_a_change_of_volume_tier_is_a_reversal_and_a_rebill():
    # 15 units at 10.00 = 150.00; a 16th moves them all to 5.00 = 80.00.
    ranges = [
        {"from_value": 0, "to_value": 15, "per_unit_amount": "10", "flat_amount": "0"},
        {"from_value": 16, "to_value": None, "per_unit_amount": "5", "flat_amount": "0"},
    ]
    the_plan = plan(charge("volume", {"volume_ranges": ranges}, billable_metric=SUM, code="v"))
    frozen = ue.past_usage(the_plan, _sums(*[1] * 15), MARCH)
    fix = ue.correct(frozen, the_plan, _sums(*[1] * 16), MARCH)
    assert [(line.kind, line.units, line.amount_cents) for line in fix.lines] == [
        ("reversal", Decimal(-15), -15000),
        ("rebill", Decimal(16), 8000),
    ]
    assert fix.amount_cents == -7000
    with pytest.raises(ue.InvalidInput, match=r"^fee: went down, and on_decrease='raise'"):
        ue.correct(frozen, the_plan, _sums(*[1] * 16), MARCH, on_decrease="raise")


def test_a_minimum_true_up_moves_with_usage():
    # A 10.00 minimum: 4 units at 1.00 are topped up by 6.00; 3 more units cost 3.00 and take
    # 3.00 off the true-up: both lines shown, netting to 0.
    the_plan = plan(
        charge("standard", {"amount": "1"}, billable_metric=SUM, code="c", min_amount_cents=1000)
    )
    frozen = ue.past_usage(the_plan, _sums(4), MARCH)
    fix = ue.correct(frozen, the_plan, _sums(4, 3), MARCH)
    assert sorted((line.key[3], line.kind, line.amount_cents) for line in fix.lines) == [
        ("true_up", "delta", -300),
        ("usage", "delta", 300),
    ]
    assert fix.amount_cents == 0


def test_taxes_by_difference_or_on_the_delta():
    the_plan = plan(charge("standard", {"amount": "0.333"}, billable_metric=SUM, code="c"))
    vat = [{"code": "vat", "name": "VAT", "rate": "20"}]
    frozen = ue.past_usage(the_plan, _sums(1, 1), MARCH, taxes=vat)
    late = _sums(1, 1, 1)
    # Frozen: 0.666 -> 0.67, tax 0.134 -> 0.13; now 0.999 -> 1.00, tax 0.20: +0.07 by
    # difference; on the change, 0.33 x 20 % = 0.066 -> 0.07 as well, no residual.
    fix = ue.correct(frozen, the_plan, late, MARCH, taxes=vat)
    on_delta = ue.correct(frozen, the_plan, late, MARCH, taxes=vat, tax_mode="on_delta")
    assert (fix.amount_cents, fix.taxes_amount_cents, fix.total_amount_cents) == (33, 7, 40)
    assert (on_delta.taxes_amount_cents, on_delta.tax_residual_cents) == (7, 0)


def test_bad_input_is_refused():
    the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=SUM, code="c"))
    other = plan(charge("standard", {"amount": "2"}, billable_metric=SUM, code="c"))
    frozen = ue.past_usage(the_plan, _sums(1), MARCH)
    with pytest.raises(ue.InvalidInput, match=r"^frozen\.plan_digest: was priced with another"):
        ue.correct(frozen, other, _sums(1), MARCH)
    with pytest.raises(ue.InvalidInput, match=r"^booking_period: is required with booking="):
        ue.correct(frozen, the_plan, _sums(1), booking="current_period")
    with pytest.raises(ue.InvalidInput, match=r"^shape: must be 'delta' or 'reverse_rebill'"):
        ue.correct(frozen, the_plan, _sums(1), MARCH, shape="patch")
    with pytest.raises(ue.InvalidInput, match=r"^period: is not the frozen period"):
        ue.correct(frozen, the_plan, _sums(1), APRIL)
    with pytest.raises(ue.InvalidInput, match=r"^frozen: must be a PastUsage"):
        ue.correct(frozen.to_lago(), the_plan, _sums(1), MARCH)
    fix = ue.correct(frozen, the_plan, _sums(2), MARCH)
    with pytest.raises(ue.InvalidInput, match=r"^correction\.base_digest: corrects another"):
        ue.apply_correction(ue.past_usage(the_plan, _sums(3), MARCH), fix)


def test_a_late_event_of_a_recurring_metric_corrects_every_later_period():
    # A recurring weighted sum: a late event in February changes February, March and April.
    seats = metric("weighted_sum_agg", code="m", field_name="n", recurring=True)
    the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=seats, code="seats"))
    feb = month_period(2024, 2)
    events = _sums(2, month=2)
    frozen = [(ue.past_usage(the_plan, events, p), p) for p in (feb, MARCH, APRIL)]
    late = [*events, event("m", utc(2024, 2, 20), {"n": 3}, transaction_id="late")]  # fmt: skip
    corrections, ignored = ue.correct_chain([f for f, _ in frozen], the_plan, late)
    assert [c.target.from_datetime.month for c in corrections] == [2, 3, 4]
    assert ignored == ()
    recent, older = ue.correct_chain(frozen, the_plan, late, max_periods_back=1)
    assert [c.target.from_datetime.month for c in recent] == [4]
    assert [p.charges_from_datetime.month for p in older] == [2, 3]


def _apply(frozen_cents, fix):
    found = defaultdict(int, frozen_cents)
    for line in fix.lines:
        found[line.key] += line.amount_cents
    return {key: cents for key, cents in found.items() if cents}


@settings(max_examples=40, deadline=None)
@given(case=st_ue.usage_cases(max_events=10), data=st.data())
def test_correction_properties(case, data):
    """Applying the lines to the frozen figures gives the fresh ones, exactly, in any shape."""
    from usage_engine._correct import _components

    the_plan = ue.Plan.model_validate(case.plan)
    keep = data.draw(st.lists(st.booleans(), min_size=len(case.events), max_size=len(case.events)))
    before = [e for e, kept in zip(case.events, keep, strict=True) if kept]
    frozen = ue.past_usage(case.plan, before, case.period, taxes=case.taxes)
    shape = data.draw(st.sampled_from(["delta", "reverse_rebill"]))
    fix = ue.correct(frozen, case.plan, case.events, case.period, taxes=case.taxes, shape=shape)
    target = ue.past_usage(case.plan, case.events, case.period, taxes=case.taxes)
    assert fix.target == target
    old = {key: cents for key, (_, _, cents) in _components(frozen, the_plan)[0].items() if cents}
    new = {key: cents for key, (_, _, cents) in _components(target, the_plan)[0].items() if cents}
    assert _apply(old, fix) == new
    true_ups = lambda usage: sum(t.amount_cents for t in usage.true_ups)  # noqa: E731
    assert fix.amount_cents == (target.amount_cents + true_ups(target)) - (
        frozen.amount_cents + true_ups(frozen)
    )
    assert fix.taxes_amount_cents == target.taxes_amount_cents - frozen.taxes_amount_cents
    # Corrections compose: E1 -> E2 then E2 -> E3 nets to E1 -> E3, and back again to nothing;
    # and a correction is the difference of the two attributions.
    more = data.draw(st.lists(st.booleans(), min_size=len(case.events), max_size=len(case.events)))
    middle = [e for e, kept in zip(case.events, more, strict=True) if kept]
    f2 = ue.past_usage(case.plan, middle, case.period, taxes=case.taxes)
    first = ue.correct(frozen, case.plan, middle, case.period, taxes=case.taxes)
    second = ue.correct(f2, case.plan, case.events, case.period, taxes=case.taxes)
    whole = ue.correct(frozen, case.plan, case.events, case.period, taxes=case.taxes)
    assert _net(first, second) == _net(whole)
    assert _net(first, ue.correct(f2, case.plan, before, case.period, taxes=case.taxes)) == {}
    assert fix.amount_cents == (
        ue.attribute(case.plan, case.events, case.period, taxes=case.taxes).amount_cents
        - ue.attribute(case.plan, before, case.period, taxes=case.taxes).amount_cents
    )
    # With the frozen events, percentage fees split into their parts; each fee moves alike.
    split = ue.correct(frozen, case.plan, case.events, case.period, taxes=case.taxes,
                       shape=shape, previous_events=before)  # fmt: skip
    assert _net_fee(split) == _net_fee(fix)
    assert (split.amount_cents, split.taxes_amount_cents) == (
        fix.amount_cents,
        fix.taxes_amount_cents,
    )
    assert hash(fix) == hash(ue.correct(frozen, case.plan, case.events, case.period,
                                        taxes=case.taxes, shape=shape))  # fmt: skip
    # The same events correct nothing; the order of the events changes nothing.
    assert ue.correct(target, case.plan, case.events, case.period, taxes=case.taxes).lines == ()
    shuffled = list(case.events)
    random.Random(0).shuffle(shuffled)
    if len({e["transaction_id"] for e in case.events}) == len(case.events):
        again = ue.correct(frozen, case.plan, shuffled, case.period, taxes=case.taxes, shape=shape)
        assert again.lines == fix.lines


def test_graduated_late_events_and_voiding_the_only_event():
    # 0-100 @ 0.10, then 0.05: 90 units frozen (9.00), 20 late (10 @ 0.10 + 10 @ 0.05 = 1.50).
    ranges = [
        {"from_value": 0, "to_value": 100, "per_unit_amount": "0.10", "flat_amount": "2"},
        {"from_value": 101, "to_value": None, "per_unit_amount": "0.05", "flat_amount": "0"},
    ]
    the_plan = plan(
        charge("graduated", {"graduated_ranges": ranges}, billable_metric=SUM, code="g",
               min_amount_cents=1500)
    )  # fmt: skip
    frozen = ue.past_usage(the_plan, _sums(90), MARCH)
    fix = ue.correct(frozen, the_plan, _sums(90, 20), MARCH)
    assert [(line.key[3], line.kind, line.units, line.amount_cents) for line in fix.lines] == [
        ("tier[1].per_unit", "delta", Decimal(10), 100),
        ("tier[2].per_unit", "rebill", Decimal(10), 50),
        ("true_up", "delta", Decimal(0), -150),
    ]
    # Voiding the only event reverses its units; the first range's flat amount (charged at
    # zero units too) stays, and the true-up takes up the rest of the 15.00 minimum.
    void = ue.correct(frozen, the_plan, [], MARCH)
    assert sorted((line.key[3], line.kind, line.amount_cents) for line in void.lines) == [
        ("tier[1].per_unit", "reversal", -900),
        ("true_up", "delta", 900),
    ]


def test_tax_of_twenty_percent_on_1002_to_1004_cents_moves_one_cent():
    # 1 002 units at 0.01, then 2 more: 1 002 x 20 % = 200.4 -> 200; 1 004 x 20 % = 200.8
    # -> 201: +2 cents of fees, +1 cent of tax.
    the_plan = plan(charge("standard", {"amount": "0.01"}, billable_metric=SUM, code="c"))
    vat = [{"code": "vat", "name": "VAT", "rate": "20"}]
    frozen = ue.past_usage(the_plan, _sums(1002), MARCH, taxes=vat)
    fix = ue.correct(frozen, the_plan, _sums(1002, 2), MARCH, taxes=vat)
    assert (fix.amount_cents, fix.taxes_amount_cents, fix.total_amount_cents) == (2, 1, 3)


def test_corrections_compose_and_cancel():
    the_plan = plan(charge("graduated", {"graduated_ranges": [
        {"from_value": 0, "to_value": 5, "per_unit_amount": "1", "flat_amount": "0"},
        {"from_value": 6, "to_value": None, "per_unit_amount": "0.5", "flat_amount": "0"}]},
        billable_metric=SUM, code="g"))  # fmt: skip
    e1, e2, e3 = _sums(2), _sums(2, 3), _sums(2, 3, 4)
    f1, f2 = (ue.past_usage(the_plan, e, MARCH) for e in (e1, e2))
    one, two = ue.correct(f1, the_plan, e2, MARCH), ue.correct(f2, the_plan, e3, MARCH)
    whole = ue.correct(f1, the_plan, e3, MARCH)
    # E1 -> E2 -> E3 nets, per key, to E1 -> E3; E1 -> E2 and back nets to nothing.
    assert _net(one, two) == _net(whole)
    assert _net(one, ue.correct(f2, the_plan, e1, MARCH)) == {}
    # Booking into another period changes only the booking period.
    booked = ue.correct(f1, the_plan, e2, booking="current_period", booking_period=APRIL)
    assert [line.model_copy(update={"booking_period": one.lines[0].booking_period})
            for line in booked.lines] == list(one.lines)  # fmt: skip
    assert booked.lines[0].booking_period[0] == APRIL.charges_from_datetime


def _net_fee(fix):
    found = defaultdict(int)
    for line in fix.lines:
        found[line.key[:3]] += line.amount_cents
    return {key: cents for key, cents in found.items() if cents}


def _net(*fixes):
    found = defaultdict(int)
    for fix in fixes:
        for line in fix.lines:
            found[line.key] += line.amount_cents
    return {key: cents for key, cents in found.items() if cents}


def test_a_correction_is_the_difference_of_attributions():
    the_plan = plan(charge("volume", {"volume_ranges": [
        {"from_value": 0, "to_value": 3, "per_unit_amount": "2", "flat_amount": "0"},
        {"from_value": 4, "to_value": None, "per_unit_amount": "1", "flat_amount": "0"}]},
        billable_metric=SUM, code="v", min_amount_cents=700))  # fmt: skip
    before, after = _sums(1, 1), _sums(1, 1, 1, 1)
    frozen = ue.past_usage(the_plan, before, MARCH)
    fix = ue.correct(frozen, the_plan, after, MARCH)
    assert fix.amount_cents == (
        ue.attribute(the_plan, after, MARCH).amount_cents
        - ue.attribute(the_plan, before, MARCH).amount_cents
    )


def test_a_percentage_fee_is_split_into_its_parts_with_the_previous_events():
    # 1 % plus 0.10 a payment, at least 0.20: 10.00 paid 0.20; a late 5.00 adds 0.05 of rate,
    # 0.10 of fixed fee and 0.05 up to the minimum.
    the_plan = plan(
        charge(
            "percentage",
            {"rate": "1", "fixed_amount": "0.10", "per_transaction_min_amount": "0.20"},
            billable_metric=SUM,
            code="pay",
        )
    )
    frozen = ue.past_usage(the_plan, _sums(10), MARCH)
    fix = ue.correct(frozen, the_plan, _sums(10, 5), previous_events=_sums(10))
    assert [(line.key[3], line.kind, line.units, line.amount_cents) for line in fix.lines] == [
        ("percentage.fixed_fee", "delta", Decimal(0), 10),
        ("percentage.min_max_adjustment", "delta", Decimal(0), 5),
        ("percentage.rate", "delta", Decimal(5), 5),
    ]
    # Without the frozen events, the fee is one component, whose unit price changed: 0.20 for
    # 10 units, 0.40 for 15.
    whole = ue.correct(frozen, the_plan, _sums(10, 5))
    assert [(line.key[3], line.kind, line.amount_cents) for line in whole.lines] == [
        ("usage", "reversal", -20),
        ("usage", "rebill", 40),
    ]
    with pytest.raises(ue.InvalidInput, match=r"^previous_events: do not give the frozen"):
        ue.correct(frozen, the_plan, _sums(10, 5), previous_events=_sums(7))
