"""The public strategies draw only valid inputs, cover every model, and honour their knobs."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from tests.properties.strategies import cases
from usage_engine import (
    BillableMetric,
    Charge,
    Event,
    Plan,
    Subscription,
    Tax,
    billing_period,
    current_usage,
    past_usage,
    projected_usage,
)
from usage_engine import strategies as ue
from usage_engine.models import AggregationType, ChargeModel
from usage_engine.models._base import parse_instant

PLAN = {
    "code": "p",
    "interval": "monthly",
    "amount_currency": "EUR",
    "charges": [
        {
            "charge_model": "standard",
            "properties": {"amount": "1"},
            "billable_metric": {"code": "calls", "aggregation_type": "count_agg"},
        }
    ],
}
# Coverage checks of single parts: a fifth of the profile's examples each.
PARTS = settings(max_examples=max(10, settings().max_examples // 5))
PERIOD = {
    "external_subscription_id": "sub_1",
    "from_datetime": "2024-03-01T00:00:00Z",
    "to_datetime": "2024-03-31T23:59:59Z",
}


@given(case=cases(max_events=25))
def test_every_drawn_case_is_accepted(case):
    """Each part validates as its model, and every usage function takes the case as it is."""
    plan = Plan.model_validate(case.plan)
    Subscription.model_validate(case.subscription)
    assert case.period.charges_from_datetime <= case.now <= case.period.charges_to_datetime
    assert billing_period(case.subscription, case.now) == case.period
    for item in case.events:
        Event.model_validate(item)
    usage = current_usage(case.plan, case.events, case.period, now=case.now, taxes=case.taxes)
    assert len(usage.charges_usage) == len(plan.charges)
    for method in ("lago", "exact"):
        projected_usage(case.plan, case.events, case.period, now=case.now, method=method)
    past_usage(case.plan, case.events, case.period, taxes=case.taxes)


@pytest.mark.parametrize("model", list(ChargeModel))
@PARTS
@given(data=st.data())
def test_charges_of_every_model_are_valid(model, data):
    """Every charge model is drawn, with filters and groups, and validates."""
    charge = Charge.model_validate(data.draw(ue.charges(charge_models=[model])))
    assert charge.charge_model is model


@pytest.mark.parametrize("kind", list(AggregationType))
@PARTS
@given(data=st.data())
def test_metrics_of_every_aggregation_type_are_valid(kind, data):
    """Every aggregation type is drawn, recurring where Lago allows it."""
    recurring = kind in ("sum_agg", "unique_count_agg", "weighted_sum_agg")
    metric = BillableMetric.model_validate(
        data.draw(ue.metrics(aggregation_types=[kind], recurring=True))
    )
    assert (metric.aggregation_type, metric.recurring) == (kind, recurring)


@PARTS
@given(
    ue.charges(
        charge_models=["graduated"],
        metrics=ue.metrics(aggregation_types=["sum_agg", "unique_count_agg"], recurring=True),
        pay_in_advance=False,
        prorated=True,
    )
)
def test_prorated_graduated_charges_are_drawn(charge):
    """prorated=True on a recurring metric gives prorated graduated charges."""
    checked = Charge.model_validate(charge)
    assert checked.prorated
    assert checked.charge_model is ChargeModel.GRADUATED


@PARTS
@given(ue.charges(pay_in_advance=True, charge_models=["standard", "package", "percentage"]))
def test_pay_in_advance_charges_follow_lago_rules(charge):
    """Paid in advance only where Lago allows it, and then without a minimum."""
    checked = Charge.model_validate(charge)
    in_advance_types = ("count_agg", "sum_agg", "unique_count_agg")
    assert checked.pay_in_advance == (checked.billable_metric.aggregation_type in in_advance_types)
    assert not (checked.pay_in_advance and checked.min_amount_cents)


@PARTS
@given(ue.taxes(max_size=4))
def test_taxes_are_valid_with_distinct_codes(taxes):
    """Each tax validates; no code appears twice."""
    assert len({Tax.model_validate(tax).code for tax in taxes}) == len(taxes)


@PARTS
@given(data=st.data())
def test_events_honour_their_knobs(data):
    """max_events, span, subscription_ids, codes and id_prefix bound what is drawn."""
    span = ("2024-03-10T00:00:00Z", "2024-03-12T00:00:00Z")
    stream = data.draw(
        ue.events(
            PLAN,
            PERIOD,
            min_events=2,
            max_events=6,
            span=span,
            duplicate_rate=0,
            subscription_ids=["a", "b"],
            codes=["calls", "unknown"],
            id_prefix="e",
        )
    )
    assert 2 <= len(stream) <= 6
    assert [event["transaction_id"] for event in stream] == [f"e{n}" for n in range(len(stream))]
    low, high = (parse_instant(item) for item in span)
    for event in stream:
        assert event["external_subscription_id"] in ("a", "b")
        assert event["code"] in ("calls", "unknown")
        assert low <= Event.model_validate(event).timestamp <= high


@PARTS
@given(stream=ue.events(PLAN, PERIOD, max_events=8, duplicate_rate=1))
def test_duplicate_rate_one_sends_every_event_twice(stream):
    """Every event comes twice, both copies equal."""
    by_id: dict[str, list[dict]] = {}
    for event in stream:
        by_id.setdefault(event["transaction_id"], []).append(event)
    assert all(len(copies) == 2 and copies[0] == copies[1] for copies in by_id.values())


@PARTS
@given(stream=ue.events(PLAN, PERIOD, max_events=0))
def test_max_events_zero_draws_no_event(stream):
    """No event at all."""
    assert stream == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ue.metrics(aggregation_types=["custom_agg"]), "aggregation_types"),
        (lambda: ue.charges(charge_models=[]), "charge_models must not be empty"),
        (lambda: ue.plans(min_charges=3, max_charges=1), "min_charges"),
        (lambda: ue.plans(currencies=["EURO"]), "currencies"),
        (lambda: ue.plans(aggregation_types=["max_agg"], charge_models=["dynamic"]), "prices"),
        (lambda: ue.subscriptions(timezones=["Mars/Base"]), "timezones"),
        (lambda: ue.subscriptions(anchor_days=[32]), "anchor_days"),
        (lambda: ue.events(PLAN, PERIOD, duplicate_rate=Decimal(2)), "duplicate_rate"),
        (lambda: ue.events(PLAN, PERIOD, max_events=-1), "max_events"),
        (lambda: ue.events(PLAN, PERIOD, min_events=3, max_events=2), "min_events"),
        (lambda: ue.events(PLAN, PERIOD, span=("then", "later")), "expected two instants"),
        (lambda: ue.events(PLAN, PERIOD, span=("2024-02-01", "2024-01-01")), "span"),
        (lambda: ue.usage_cases(plans=ue.plans(), subscriptions=ue.subscriptions()), "not both"),
    ],
)
def test_bad_arguments_raise_invalid_argument(make, message):
    """Bad knobs fail at once, as Hypothesis's own strategies do, naming the argument."""
    with pytest.raises(InvalidArgument, match=message):
        make()


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )


def test_the_core_package_does_not_import_hypothesis():
    """``import usage_engine`` works without Hypothesis and does not load it."""
    result = _run(
        "import sys; sys.modules['hypothesis'] = None; import usage_engine, usage_engine.cli; "
        "print('hypothesis' in sys.modules and sys.modules['hypothesis'] is not None)"
    )
    assert (result.returncode, result.stdout.strip()) == (0, "False")


def test_importing_the_strategies_without_hypothesis_says_what_to_install():
    """The ImportError names the extra to install."""
    result = _run("import sys; sys.modules['hypothesis'] = None; import usage_engine.strategies")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "ImportError: usage_engine.strategies needs Hypothesis: install it with "
        "pip install 'usage-engine[hypothesis]'"
    )
