"""Error messages are sentences: one full stop before a suggestion, none before ``(got ...)``."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import usage_engine as ue
from usage_engine import InvalidInput

PERIOD = {
    "external_subscription_id": "s",
    "from_datetime": "2024-03-01T00:00:00Z",
    "to_datetime": "2024-03-31T23:59:59Z",
}
METRIC = {
    "code": "calls",
    "aggregation_type": "count_agg",
    "filters": [{"key": "region", "values": ["eu", "us"]}],
}


def plan_with_filter(values):
    charge = {
        "charge_model": "standard",
        "properties": {"amount": "1"},
        "billable_metric": METRIC,
        "filters": [{"values": values, "properties": {"amount": "2"}}],
    }
    return {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [charge]}


def message(call):
    with pytest.raises(InvalidInput) as caught:
        call()
    return str(caught.value)


FILTER = "plan.charges[0].filters[0].values"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"zone": ["eu"]},
            f"{FILTER}.zone: is not a filter key of metric 'calls' (keys: ['region']) (got 'zone')",
        ),
        (
            {"regoin": ["eu"]},
            f"{FILTER}.regoin: is not a filter key of metric 'calls' (keys: ['region']). "
            "Did you mean 'region'? (got 'regoin')",
        ),
        (
            {"region": ["apac"]},
            f"{FILTER}.region: is not a value metric 'calls' declares for 'region' "
            "(values: ['eu', 'us'], or '__ALL_FILTER_VALUES__') (got 'apac')",
        ),
        (
            {"region": ["EU"]},
            f"{FILTER}.region: is not a value metric 'calls' declares for 'region' "
            "(values: ['eu', 'us'], or '__ALL_FILTER_VALUES__'). Did you mean 'eu'? (got 'EU')",
        ),
    ],
)
def test_filter_errors_have_single_punctuation(values, expected):
    assert message(lambda: ue.current_usage(plan_with_filter(values), [], PERIOD)) == expected


def test_choice_errors_have_single_punctuation():
    plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR"}
    assert message(lambda: ue.projected_usage(plan, [], PERIOD, now=0, method="zz")) == (
        "method: must be 'lago' or 'exact' (got 'zz')"
    )
    wrong = {**plan, "amount_currency": "ZZZZ"}
    assert message(lambda: ue.current_usage(wrong, [], PERIOD)) == (
        "plan.amount_currency: is not a currency Lago accepts (ISO 4217 code such as 'EUR') "
        "(got 'ZZZZ')"
    )
    assert message(lambda: ue.current_usage({**plan, "interval": 7}, [], PERIOD)) == (
        "plan.interval: unknown interval; expected one of weekly, monthly, quarterly, "
        "semiannual, yearly (got 7)"
    )


@given(st.text(min_size=1, max_size=12).filter(lambda key: key != "region"))
def test_no_filter_key_error_doubles_its_punctuation(key):
    text = message(lambda: ue.current_usage(plan_with_filter({key: ["eu"]}), [], PERIOD))
    assert "). (got" not in text
    assert "?." not in text
    assert text.endswith(f" (got {key!r})")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("layout", "nope", "layout: must be 'by_subscription' or 'any' (got 'nope')"),
        ("layout", "anny",
         "layout: must be 'by_subscription' or 'any'. Did you mean 'any'? (got 'anny')"),
        ("order", "x", "order: must be 'position' or 'ingested_at' (got 'x')"),
        ("shuffle", "p2", "shuffle: must be 'tasks' or 'p2p'. Did you mean 'p2p'? (got 'p2')"),
    ],
)  # fmt: skip
def test_the_dask_options_are_sentences(option, value, message):
    dask = pytest.importorskip("usage_engine.dask")
    with pytest.raises(InvalidInput) as caught:
        dask.rate([], [], at="2024-03-05T00:00:00Z", **{option: value})
    assert str(caught.value) == message
