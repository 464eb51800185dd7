"""Compact deduplication keys: a stream whose seen ids are kept as digests rates the same."""

from __future__ import annotations

from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

import usage_engine.rating
from usage_engine import UsageState, current_usage, past_usage
from usage_engine import strategies as ue
from usage_engine._dedup import key_digest

EXAMPLES = settings(max_examples=max(10, settings().max_examples // 3))


def _canonical(case, events):
    usage = current_usage(case.plan, events, case.period, now=case.now, taxes=case.taxes)
    past = past_usage(case.plan, events, case.period, taxes=case.taxes, invalid_events="collect")
    return usage.model_dump_json(), past.canonical_json(), past.event_account


@EXAMPLES
@given(case=ue.usage_cases(max_events=25, duplicate_rate=0.3), after=st.integers(1, 30))
def test_digest_keys_deduplicate_as_text_keys_do(case, after):
    """Switching to digests after any number of events (here: before, during or after the
    duplicates) keeps the first copy of each id and sets aside the same duplicates."""
    as_text = _canonical(case, case.events)
    with mock.patch.object(usage_engine.rating, "COMPACT_AFTER", after):
        as_digests = _canonical(case, case.events)
    assert as_digests == as_text


def test_a_long_stream_keeps_digests_and_still_finds_duplicates():
    from tests.factories import charge, event, metric, month_period, plan

    calls = metric("count_agg", code="calls")
    the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=calls))
    period = month_period(2024, 3)
    events = [
        event("calls", "2024-03-05T10:00:00Z", transaction_id=f"t{index}") for index in range(6)
    ]
    events += [
        event("calls", "2024-03-06T10:00:00Z", transaction_id="t1")
    ]  # a copy, after the switch
    with mock.patch.object(usage_engine.rating, "COMPACT_AFTER", 4):
        usage = current_usage(the_plan, events, period, now="2024-03-20T00:00:00Z")
    assert usage.charges_usage[0].units == 6
    assert usage.event_account.set_aside == {"duplicate": 1}
    assert usage.event_account.read == 7


def test_a_state_fed_in_calls_finds_duplicates_across_them():
    from tests.factories import charge, event, metric, month_period, plan

    calls = metric("count_agg", code="calls")
    the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=calls))
    state = UsageState(the_plan, month_period(2024, 3))
    with mock.patch.object(usage_engine.rating, "COMPACT_AFTER", 1):
        state.add(
            [event("calls", "2024-03-05T10:00:00Z", transaction_id=f"t{i}") for i in range(3)]
        )
        state.add([event("calls", "2024-03-06T10:00:00Z", transaction_id="t1")])
    assert state.event_account.read == 4
    assert state.event_account.set_aside == {"duplicate": 1}


def test_digests_of_distinct_ids_differ():
    ids = [f"{index:032x}" for index in range(100_000)]
    assert len({key_digest(key) for key in ids}) == len(ids)


def test_the_same_id_in_two_subscriptions_is_two_events_after_the_switch():
    from tests.factories import charge, event, metric
    from usage_engine import rate_subscriptions

    calls = metric("count_agg", code="calls")
    the_plan = {
        "code": "plan",
        "interval": "monthly",
        "amount_currency": "EUR",
        "charges": [charge("standard", {"amount": "1"}, billable_metric=calls)],
    }
    subscriptions = [
        {"external_id": sub, "plan": the_plan, "subscription_at": "2024-01-01T00:00:00Z"}
        for sub in ("a", "b")
    ]
    events = [
        event("calls", "2024-03-05T10:00:00Z", transaction_id=f"t{index % 3}", subscription=sub)
        for index in range(6)
        for sub in ("a", "b")
    ]
    with mock.patch.object(usage_engine.rating, "COMPACT_AFTER", 2):
        usages = rate_subscriptions(subscriptions, events, now="2024-03-20T00:00:00Z")
    assert {sub: usage.charges_usage[0].units for sub, usage in usages.items()} == {"a": 3, "b": 3}
    assert {sub: usage.event_account.set_aside for sub, usage in usages.items()} == {
        "a": {"duplicate": 3},
        "b": {"duplicate": 3},
    }
