"""The event account: every event read is rated or set aside, for a named reason."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import month_period, utc
from usage_engine import (
    EventAccount,
    InvalidInput,
    UsageState,
    current_and_projected_usage,
    current_usage,
    past_usage,
    rate_subscriptions,
    set_aside_events,
)

PLAN = {
    "code": "plan",
    "interval": "monthly",
    "amount_currency": "EUR",
    "charges": [
        {
            "charge_model": "standard",
            "properties": {"amount": "1"},
            "billable_metric": {"code": "api_calls", "aggregation_type": "count_agg"},
        },
        {
            "charge_model": "standard",
            "properties": {"amount": "2"},
            "billable_metric": {
                "code": "storage",
                "aggregation_type": "sum_agg",
                "field_name": "gb",
            },
        },
    ],
}
# March 2024, the subscription started on the 5th: its charges run from then.
PERIOD = month_period(2024, 3, started_at=utc(2024, 3, 5))


def _event(key: str, code: str, day: int = 10, month: int = 3, **properties: Any) -> dict[str, Any]:
    return {
        "transaction_id": key,
        "external_subscription_id": "sub_1",
        "code": code,
        "timestamp": f"2024-{month:02d}-{day:02d}T10:00:00Z",
        "properties": properties,
    }


EVENTS = [
    _event("t01", "api_calls"),  # rated
    _event("t01", "api_calls"),  # a duplicate: the first copy won
    _event("t02", "api_cals"),  # a code of no metric
    {**_event("t03", "api_calls"), "external_subscription_id": "sub_2"},
    _event("t04", "storage", gb="50GB"),  # not a number
    _event("t05", "storage"),  # no gb at all
    _event("t06", "api_calls", day=2, month=4),  # after the period
    _event("t07", "api_calls", day=2),  # before the subscription started (the 5th)
    {**_event("t08", "api_calls"), "timestamp": "yesterday"},  # malformed
    _event("t09", "storage", gb="5"),  # rated
]


def test_each_event_is_rated_or_set_aside_for_its_reason():
    """Ten events: two rated, eight set aside, each for its own reason, with its id."""
    usage = current_usage(PLAN, EVENTS, PERIOD, invalid_events="collect")
    account = usage.event_account
    assert (usage.amount_cents, account.read, account.rated) == (1100, 10, 2)
    # Every reason once, listed in the account's fixed order.
    assert list(account.set_aside.items()) == [
        ("duplicate", 1),
        ("outside_period", 1),
        ("before_subscription", 1),
        ("unknown_code", 1),
        ("other_subscription", 1),
        ("not_a_number", 1),
        ("no_value", 1),
        ("malformed", 1),
    ]
    assert dict(account.examples) == {
        "duplicate": ("t01",),
        "outside_period": ("t06",),
        "before_subscription": ("t07",),
        "unknown_code": ("t02",),
        "other_subscription": ("t03",),
        "not_a_number": ("t04",),
        "no_value": ("t05",),
        "malformed": ("t08",),
    }
    assert {reason: dict(kept) for reason, kept in account.details.items()} == {
        "unknown_code": {"api_cals": 1},
        "not_a_number": {"gb": 1},
        "no_value": {"gb": 1},
    }
    assert account.summary(known_codes=["api_calls", "storage"]) == (
        "8 events set aside: 1 duplicate transaction_id, 1 outside the period, "
        "1 before the subscription started, 1 code matches no metric "
        "(api_cals: did you mean api_calls?), 1 other subscription, 1 value not a number (gb), "
        "1 no value (gb), 1 malformed"
    )


def test_one_event_set_aside_is_named_in_the_singular():
    usage = current_usage(PLAN, [_event("t1", "storage", gb="three")], PERIOD)
    summary = usage.event_account.summary()
    assert summary == "1 event set aside: 1 value not a number (gb)"


def test_nothing_set_aside_says_nothing():
    account = current_usage(PLAN, [_event("t1", "api_calls")], PERIOD).event_account
    assert (account.read, account.rated, dict(account.set_aside), account.summary()) == (
        1,
        1,
        {},
        "",
    )


def test_an_empty_stream_is_accounted_for_as_such():
    account = current_usage(PLAN, [], PERIOD).event_account
    assert (account.read, account.rated, account.set_aside_count) == (0, 0, 0)


def test_the_account_is_not_part_of_the_bill():
    """Equality, hashing, to_lago() and the digest describe the bill: a duplicate changes the
    account, not the result."""
    alone = past_usage(PLAN, EVENTS[:1], PERIOD)
    twice = past_usage(PLAN, EVENTS[:2], PERIOD)
    assert twice == alone
    assert hash(twice) == hash(alone)
    assert twice.digest == alone.digest
    assert (alone.event_account.read, twice.event_account.read) == (1, 2)
    assert "event_account" not in twice.to_lago()


def test_projected_and_past_usage_carry_the_same_account():
    both = current_and_projected_usage(
        PLAN, EVENTS, PERIOD, now="2024-03-15T00:00:00Z", invalid_events="collect"
    )
    past = past_usage(PLAN, EVENTS, PERIOD, invalid_events="collect")
    expected = current_usage(PLAN, EVENTS, PERIOD, invalid_events="collect").event_account
    assert both.current.event_account == expected
    assert both.projected.event_account == expected
    assert past.event_account == expected


def test_strict_refuses_a_problem_in_the_data_naming_the_event():
    with pytest.raises(InvalidInput) as caught:
        current_usage(PLAN, EVENTS[:3], PERIOD, strict=True)
    assert str(caught.value) == (
        "events[2] (transaction_id 't02'): code 'api_cals' matches no metric of the plan "
        "(did you mean 'api_calls'?) (strict=True)"
    )
    with pytest.raises(InvalidInput) as caught:
        current_usage(PLAN, [EVENTS[4]], PERIOD, strict=True)
    assert str(caught.value) == (
        "events[0] (transaction_id 't04'): properties.gb is not a number (got '50GB') (strict=True)"
    )


@pytest.mark.parametrize("index", [1, 6])
def test_strict_lets_duplicates_and_events_outside_the_period_through(index):
    """Lago's own rules set those aside: they are no problem in the data."""
    usage = current_usage(PLAN, [EVENTS[0], EVENTS[index]], PERIOD, strict=True)
    assert (usage.amount_cents, usage.event_account.set_aside_count) == (100, 1)


def test_strict_also_refuses_a_malformed_event_that_collect_would_keep():
    with pytest.raises(InvalidInput, match=r"^events\[0\] \(transaction_id 't08'\): "):
        current_usage(PLAN, [EVENTS[8]], PERIOD, invalid_events="collect", strict=True)


def test_strict_must_be_a_boolean():
    with pytest.raises(InvalidInput) as caught:
        current_usage(PLAN, [], PERIOD, strict="yes")  # type: ignore[arg-type]
    assert str(caught.value) == "strict: must be True or False (got 'yes')"


def test_set_aside_events_lists_every_id_where_the_account_keeps_ten():
    events = [_event(f"t{n:02d}", "api_call") for n in range(25)]
    usage = current_usage(PLAN, events, PERIOD)
    assert usage.event_account.examples["unknown_code"] == tuple(f"t{n:02d}" for n in range(10))
    assert set_aside_events(PLAN, events, PERIOD) == {
        "unknown_code": tuple(f"t{n:02d}" for n in range(25))
    }


SUBSCRIPTIONS = [
    {"external_id": sid, "subscription_at": "2024-03-05T00:00:00Z", "plan": PLAN}
    for sid in ("sub_1", "sub_2")
]


def test_a_batch_accounts_for_every_event_of_the_stream_once():
    """Each subscription accounts for its own events; the batch for all of them, an event of
    no listed subscription and a malformed one naming none included."""
    orphan = {"transaction_id": "t10", "code": "api_calls", "timestamp": "2024-03-10T10:00:00Z"}
    stranger = {**_event("t11", "api_calls"), "external_subscription_id": "sub_9"}
    stream = [*EVENTS, orphan, stranger]
    usages = rate_subscriptions(
        SUBSCRIPTIONS, stream, now="2024-03-15T00:00:00Z", invalid_events="collect"
    )
    mine, theirs = usages["sub_1"].event_account, usages["sub_2"].event_account
    assert (mine.read, mine.rated, theirs.read, theirs.rated) == (9, 2, 1, 1)
    assert "other_subscription" not in mine.set_aside
    whole = usages.event_account
    assert (whole.read, whole.rated) == (12, 3)
    assert whole.set_aside["other_subscription"] == 1
    assert whole.set_aside["malformed"] == 2
    assert usages["sub_2"].rejected_events.count == 1  # the orphan is still reported to each


def test_a_state_accounts_across_adds_and_merges():
    """A copy found in an earlier state turns the later one into a duplicate, whatever
    the later state had made of it."""
    left = UsageState(PLAN, PERIOD, invalid_events="collect")
    right = UsageState(PLAN, PERIOD, invalid_events="collect")
    left.add(EVENTS[:5])
    right.add([_event("t02", "api_calls"), *EVENTS[5:]])  # t02: rated here, a duplicate there
    left.merge(right)
    expected = current_usage(
        PLAN,
        [*EVENTS[:5], _event("t02", "api_calls"), *EVENTS[5:]],
        PERIOD,
        invalid_events="collect",
    ).event_account
    assert left.event_account == expected
    assert left.current_usage().event_account == expected
    assert expected.set_aside["duplicate"] == 2
    assert UsageState.from_json(left.to_json()).event_account == expected


@given(
    picks=st.lists(st.integers(0, len(EVENTS) - 1), max_size=20),
    cut=st.integers(0, 20),
)
def test_read_is_rated_plus_set_aside_and_split_streams_add_up(picks, cut):
    """read = rated + Σ set aside for any stream; two states fed the halves and merged account
    for the events as one state fed them all."""
    stream = [EVENTS[i] for i in picks]
    account = current_usage(PLAN, stream, PERIOD, invalid_events="collect").event_account
    assert account.read == len(stream) == account.rated + account.set_aside_count
    left = UsageState(PLAN, PERIOD, invalid_events="collect")
    right = UsageState(PLAN, PERIOD, invalid_events="collect")
    left.add(stream[:cut])
    right.add(stream[cut:])
    left.merge(right)
    assert left.event_account == account


def test_accounts_add_up():
    first = current_usage(PLAN, EVENTS[:3], PERIOD).event_account
    second = current_usage(PLAN, EVENTS[3:6], PERIOD).event_account
    total = first + second
    assert (total.read, total.rated, total.set_aside_count) == (6, 1, 5)
    assert isinstance(total, EventAccount)


def test_results_with_an_account_cross_processes():
    """Pickled and copied whole (Dask moves results between workers so), account included."""
    import copy
    import pickle

    usage = current_usage(PLAN, EVENTS, PERIOD, invalid_events="collect")
    for moved in (pickle.loads(pickle.dumps(usage)), copy.deepcopy(usage)):
        assert moved == usage
        assert moved.event_account.set_aside["duplicate"] == 1
        assert hash(moved.event_account) == hash(usage.event_account)
        with pytest.raises(TypeError, match="read-only"):
            moved.event_account.set_aside["duplicate"] = 0  # type: ignore[index]
