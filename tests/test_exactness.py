"""Exact whatever the magnitude: aggregation loses no digit, pricing refuses what it cannot hold.

Sums, maxima and weighted sums are exact, as PostgreSQL's numeric is, so the order of events
never matters; an amount past the 60 digits of the rounding context is an InvalidInput naming
the charge, the subscription and the event behind it, never a bare decimal error.
"""

from __future__ import annotations

import itertools
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from usage_engine import (
    InvalidInput,
    UsageState,
    aggregate,
    billing_period,
    current_usage,
    past_usage,
    projected_usage,
    rate_subscriptions,
)
from usage_engine import strategies as ue

TOO_LARGE = "its amount is too large to compute exactly (more than 60 digits)"
METRIC = {"code": "m", "aggregation_type": "sum_agg", "field_name": "v"}


def plan_of(*charges):
    return {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": list(charges)}


def charge(model, properties, metric=METRIC, **extra):
    return {"charge_model": model, "properties": properties, "billable_metric": metric, **extra}


STANDARD = plan_of(charge("standard", {"amount": "1"}))
FREE = plan_of(charge("standard", {"amount": "0"}))


def sub(external_id="s", plan=STANDARD):
    return {"external_id": external_id, "subscription_at": "2025-01-01T00:00:00Z", "plan": plan}


PERIOD = billing_period(sub(), "2025-03-10T00:00:00Z")


def event(key, value, subscription="s", **extra):
    return {
        "transaction_id": key,
        "external_subscription_id": subscription,
        "code": "m",
        "timestamp": "2025-03-05T10:00:00Z",
        "properties": {"v": value},
        **extra,
    }


def units_of(usage):
    return usage.to_lago()["charges_usage"][0]["units"]


# --- order independence past 60 digits (issue reproducers) --------------------------------


@pytest.mark.parametrize(
    ("big", "units", "cents"),
    [
        ("1" + "0" * 39, "0.0000000000000000000001", 0),
        ("1" + "0" * 60, "0.0000000000000000000001", 0),
    ],
)
def test_a_sum_past_60_digits_does_not_depend_on_order(big, units, cents):
    events = [event("a", big + ".0"), event("b", "0.0000000000000000000001"), event("c", "-" + big)]
    seen = set()
    for order in itertools.permutations(events):
        usage = current_usage(STANDARD, list(order), PERIOD)
        past = past_usage(STANDARD, list(order), PERIOD)
        state = UsageState(STANDARD, PERIOD)
        for one in order:
            state.add([one])
        state_units = units_of(state.current_usage())
        seen.add((units_of(usage), usage.amount_cents, past.digest, state_units))
    assert len(seen) == 1
    ((shown, amount, _, state_units),) = seen
    assert (shown, amount, state_units) == (units, cents, units)


def test_a_value_of_more_than_60_digits_is_kept_whole():
    value = "123456789012345678901234567890123456789012345678901234567890.123456789"
    metric = {"code": "m", "aggregation_type": "sum_agg", "field_name": "v"}
    result, _ = aggregate(metric, [event("a", value), event("b", "0.000000001")], PERIOD)
    assert result.units == Decimal(
        "123456789012345678901234567890123456789012345678901234567890.123456790"
    )


def test_max_and_weighted_sum_are_exact_past_60_digits():
    huge = "9" * 70
    maximum = {"code": "m", "aggregation_type": "max_agg", "field_name": "v"}
    result, _ = aggregate(maximum, [event("a", huge + ".5"), event("b", huge + ".25")], PERIOD)
    assert result.units == Decimal(huge + ".5")
    weighted = {"code": "m", "aggregation_type": "weighted_sum_agg", "field_name": "v"}
    big = "1" + "0" * 30
    events = [event("a", big), event("b", "1"), event("c", "-" + big)]
    for order in itertools.permutations(events):
        result, _ = aggregate(weighted, list(order), PERIOD)
        assert result.total_aggregated_units == Decimal(1)


# --- amounts too large to price: InvalidInput, whatever the path --------------------------


PRICED = {
    "standard": charge("standard", {"amount": "1"}),
    "package": charge("package", {"amount": "1", "package_size": 3, "free_units": 0}),
    "graduated": charge(
        "graduated",
        {
            "graduated_ranges": [
                {"from_value": 0, "to_value": 10, "per_unit_amount": "1", "flat_amount": "0"},
                {"from_value": 11, "to_value": None, "per_unit_amount": "2", "flat_amount": "1"},
            ]
        },
    ),
    "prorated graduated": charge(
        "graduated",
        {
            "graduated_ranges": [
                {"from_value": 0, "to_value": 10, "per_unit_amount": "1", "flat_amount": "0"},
                {"from_value": 11, "to_value": None, "per_unit_amount": "2", "flat_amount": "1"},
            ]
        },
        metric={**METRIC, "recurring": True},
        prorated=True,
    ),
    "volume": charge(
        "volume",
        {
            "volume_ranges": [
                {"from_value": 0, "to_value": 10, "per_unit_amount": "1", "flat_amount": "0"},
                {"from_value": 11, "to_value": None, "per_unit_amount": "2", "flat_amount": "1"},
            ]
        },
    ),
    "percentage": charge("percentage", {"rate": "100", "fixed_amount": "0.5"}),
    "graduated_percentage": charge(
        "graduated_percentage",
        {
            "graduated_percentage_ranges": [
                {"from_value": 0, "to_value": 10, "rate": "1", "flat_amount": "0"},
                {"from_value": 11, "to_value": None, "rate": "2", "flat_amount": "1"},
            ]
        },
    ),
    "prorated standard": charge(
        "standard", {"amount": "1"}, metric={**METRIC, "recurring": True}, prorated=True
    ),
    "weighted sum": charge(
        "standard",
        {"amount": "1"},
        metric={"code": "m", "aggregation_type": "weighted_sum_agg", "field_name": "v"},
    ),
}


@pytest.mark.parametrize("value", [10**61, 10**308, "1" + "0" * 61, 1e61, 1e308, "1E+61"])
@pytest.mark.parametrize("name", list(PRICED))
def test_an_amount_past_60_digits_is_refused_by_every_model(name, value):
    plan = plan_of(PRICED[name])
    events = [event("huge", value)]
    if value == "1E+61":  # not a numeric text for Lago: the event is ignored
        assert current_usage(plan, events, PERIOD).amount_cents == 0
        return
    for compute in (
        lambda: current_usage(plan, events, PERIOD),
        lambda: projected_usage(plan, events, PERIOD, now="2025-03-10T00:00:00Z"),
        lambda: past_usage(plan, events, PERIOD),
    ):
        with pytest.raises(InvalidInput) as raised:
            compute()
        (problem,) = raised.value.errors
        assert problem.path == "plan.charges[0]"
        assert problem.message.startswith(TOO_LARGE)
        assert "transaction_id 'huge'" in problem.message
        assert "subscription 's'" in problem.message


def test_a_dynamic_charge_past_60_digits_is_refused():
    plan = plan_of(charge("dynamic", {}))
    events = [event("huge", 1, precise_total_amount_cents=10**70)]
    with pytest.raises(InvalidInput) as raised:
        current_usage(plan, events, PERIOD)
    assert raised.value.errors[0].message.startswith(TOO_LARGE)


# --- one subscription too large to price fails alone in collect mode ----------------------

VICTIM_AND_ATTACKER = ([sub("victim"), sub("attacker")],)
SPOILER = "1" + "0" * 70


def test_a_subscription_too_large_to_price_names_itself_its_charge_and_event():
    events = [event("a", 5, "victim"), event("b", SPOILER, "attacker")]
    with pytest.raises(InvalidInput) as raised:
        rate_subscriptions([sub("victim"), sub("attacker")], events, now="2025-03-10T00:00:00Z")
    assert str(raised.value).startswith(
        "plan.charges[0]: its amount is too large to compute exactly (more than 60 digits) "
        "(subscription 'attacker', largest value in event transaction_id 'b')"
    )


def test_in_collect_mode_only_that_subscription_fails():
    events = [event("a", 5, "victim"), event("b", SPOILER, "attacker"), event("c", 7, "other")]
    usages = rate_subscriptions(
        [sub("victim"), sub("attacker"), sub("other")],
        events,
        now="2025-03-10T00:00:00Z",
        invalid_events="collect",
    )
    assert {key: usage.amount_cents for key, usage in usages.items()} == {
        "victim": 500,
        "other": 700,
    }
    assert list(usages.failed) == ["attacker"]
    assert "transaction_id 'b'" in str(usages.failed["attacker"])


# --- properties ---------------------------------------------------------------------------


def exact_decimals():
    """Values of up to 200 digits, from about 10^100 down to tiny fractions, both signs."""
    return st.builds(
        lambda sign, digits, exponent: Decimal(f"{sign}{digits}E{exponent}"),
        st.sampled_from(["", "-"]),
        st.integers(1, 10**200 - 1),
        st.integers(-200, 100),
    )


@settings(max_examples=60, deadline=None)
@given(values=st.lists(exact_decimals(), min_size=1, max_size=8), seed=st.randoms())
def test_sums_are_exact_and_order_free(values, seed):
    events = [event(f"t{index}", format(value, "f")) for index, value in enumerate(values)]
    expected = sum((Fraction(value) for value in values), Fraction(0))
    shuffled = list(events)
    seed.shuffle(shuffled)
    first, _ = aggregate(METRIC, events, PERIOD)
    second, _ = aggregate(METRIC, shuffled, PERIOD)
    assert Fraction(first.units) == expected
    assert first.units == second.units
    state_a, state_b = UsageState(FREE, PERIOD), UsageState(FREE, PERIOD)
    half = len(shuffled) // 2
    state_a.add(shuffled[:half])
    state_b.add(shuffled[half:])
    state_a.merge(state_b)
    whole = UsageState(FREE, PERIOD)
    whole.add(events)
    assert units_of(state_a.current_usage()) == units_of(whole.current_usage())


def extreme_values():
    """From 10^400 down to 10^-400, both signs, as JSON-like ints, text and Decimals."""
    magnitudes = st.builds(
        lambda sign, digits, exponent: Decimal(f"{sign}{digits}E{exponent}"),
        st.sampled_from(["", "-"]),
        st.integers(1, 10**30),
        st.integers(-430, 400),
    )
    return st.one_of(
        magnitudes,
        magnitudes.map(lambda number: format(number, "f")),
        st.integers(-(10**400), 10**400),
    )


@settings(max_examples=80, deadline=None)
@given(case=ue.usage_cases(max_events=6, duplicate_rate=0.0), data=st.data())
def test_every_model_gives_a_result_or_invalid_input_at_extreme_magnitudes(case, data):
    events = []
    for item in case.events:
        properties = {
            key: data.draw(extreme_values()) if key not in ("operation_type",) else value
            for key, value in (item.get("properties") or {}).items()
        }
        events.append({**item, "properties": properties})
    random.Random(0).shuffle(events)
    for compute in (
        lambda: current_usage(case.plan, events, case.period, taxes=case.taxes),
        lambda: projected_usage(case.plan, events, case.period, now=case.now),
        lambda: past_usage(case.plan, events, case.period),
    ):
        try:
            result = compute()
        except InvalidInput as error:
            refused = error
        else:
            assert isinstance(result.to_lago(), dict)
            continue
        assert all(problem.path for problem in refused.errors)


def test_a_charge_total_over_groups_is_exact():
    """Units rolled up over pricing groups add without the 28 or 60 digits of a context."""
    grouped = plan_of(charge("standard", {"amount": "0", "pricing_group_keys": ["g"]}))
    big = "1" + "0" * 70
    events = [
        {**event("a", big), "properties": {"v": big, "g": "x"}},
        {**event("b", "0.5"), "properties": {"v": "0.5", "g": "y"}},
    ]
    usage = current_usage(grouped, events, PERIOD)
    assert units_of(usage) == big + ".5"
