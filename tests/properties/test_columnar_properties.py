"""Columnar input agrees with event mappings: the same drawn events as dicts, as a pyarrow Table
or RecordBatch, as pandas and Polars DataFrames, and written to JSON Lines and Parquet and read
back (:func:`usage_engine.arrow.read_columns`, or the pure-Python reader when pyarrow would not
keep a value exact) give the same usage, rejected events and event account: for every
aggregation and charge model, filters, pricing groups and expressions drawn, with duplicates,
events outside the period, of another subscription, and malformed ones.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tests.columnar_routes import from_file, representable, routes
from tests.properties.strategies import cases
from tests.properties.test_core_agreement import EXPRESSIONS, _with_expressions
from usage_engine import UsageState, current_usage, past_usage, rate_subscriptions
from usage_engine import strategies as ue

pytest.importorskip("pyarrow")

# Each example rates a plan once per route (eight of them), for each aggregation type: a third
# of the profile's examples per type.
EXAMPLES = settings(max_examples=max(10, settings().max_examples // 3))

OTHER = "sub_other"
FORMS = ("native", "text", "decimal")


def _spoiled(draw: st.DrawFn, item: dict[str, Any]) -> dict[str, Any]:
    # A null where a value is required, an empty code, a timestamp that is no instant.
    how = draw(st.sampled_from(("transaction_id", "external_subscription_id", "code", "empty")))
    if how == "empty":
        return {**item, "code": ""}
    return {**item, how: None}


@st.composite
def columnar_cases(draw: st.DrawFn, kind: str) -> tuple[Any, list[dict[str, Any]]]:
    """A usage case of metrics of ``kind``, and its events made representable as columns
    (mixed with others)."""
    plans = ue.plans(aggregation_types=[kind], min_charges=1, max_charges=3)
    case = draw(cases(plans=plans, max_events=12))
    plan = case.plan
    if draw(st.booleans()):
        codes = [charge["billable_metric"]["code"] for charge in plan["charges"]]
        plan = _with_expressions(plan, codes, draw(st.sampled_from(EXPRESSIONS)))
    events = []
    for item in case.events:
        roll = draw(st.integers(0, 19))
        if roll == 0:
            item = {**item, "external_subscription_id": OTHER}
        elif roll == 1:
            item = _spoiled(draw, item)
        elif roll == 2:
            item = {**item, "timestamp": "not a time"}
        events.append(item)
    names = sorted(
        {name for item in events for name in item.get("properties") or {}}
        | {"precise_total_amount_cents"}
    )
    forms = {name: draw(st.sampled_from(FORMS)) for name in names}
    stamps = draw(st.sampled_from(("iso", "datetime", "seconds")))
    made = representable(events, stamps=stamps, forms=forms.__getitem__)
    return case._replace(plan=plan), made


KINDS = ("count_agg", "sum_agg", "max_agg", "unique_count_agg", "latest_agg", "weighted_sum_agg")


@pytest.mark.parametrize("kind", KINDS)
@EXAMPLES
@given(data=st.data())
def test_every_columnar_route_rates_as_the_mappings(kind: str, data: st.DataObject) -> None:
    case, events = data.draw(columnar_cases(kind))

    def rated(given: Any) -> tuple[Any, str]:
        def fresh() -> Any:  # a stream of batches is read once: a new one per use
            return given() if callable(given) else given

        usage = current_usage(
            case.plan,
            fresh(),
            case.period,
            now=case.now,
            taxes=case.taxes,
            invalid_events="collect",
        )
        past = past_usage(case.plan, fresh(), case.period, invalid_events="collect")
        return usage, past.canonical_json()

    expected_usage, expected_past = rated(events)
    with tempfile.TemporaryDirectory() as folder:
        made = routes(events, Path(folder))
        event(f"JSON Lines read by {from_file(Path(folder) / 'events.jsonl')[0]}")
        for name, given in made.items():
            usage, past = rated(given)
            assert usage == expected_usage, name
            assert usage.rejected_events == expected_usage.rejected_events, name
            assert usage.event_account == expected_usage.event_account, name
            assert past == expected_past, name
        table = made["pyarrow Table"]
    subscription = {**case.subscription, "plan": case.plan}
    at = case.now
    many = rate_subscriptions([subscription], table, now=at, invalid_events="collect")
    assert many == rate_subscriptions([subscription], events, now=at, invalid_events="collect")
    state = UsageState(case.plan, case.period, invalid_events="collect")
    state.add(table)
    reference = UsageState(case.plan, case.period, invalid_events="collect")
    reference.add(events)
    assert state.current_usage() == reference.current_usage()
    assert state.event_account == reference.event_account
