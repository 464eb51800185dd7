"""rate_subscriptions: many subscriptions from one event stream, each as current_usage rates it."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.factories import charge, event, metric, plan, utc
from usage_engine import InvalidInput, Usage, billing_period, current_usage
from usage_engine.batch import rate_subscriptions
from usage_engine.models import Event

NOW = "2024-03-20T12:00:00Z"
VAT = {"code": "vat", "name": "VAT", "rate": "20"}

COUNT_PLAN = plan(charge("standard", {"amount": "0.5"}, billable_metric=metric("count_agg")))
SUM_PLAN = plan(
    charge(
        "graduated",
        {
            "graduated_ranges": [
                {"from_value": 0, "to_value": 10, "per_unit_amount": "1", "flat_amount": "2"},
                {"from_value": 11, "to_value": None, "per_unit_amount": "0.5", "flat_amount": "0"},
            ]
        },
        billable_metric=metric("sum_agg", code="gb", field_name="gb"),
    ),
    currency="USD",
)
FILTERED_PLAN = plan(
    charge(
        "standard",
        {"amount": "1", "pricing_group_keys": ["region"]},
        billable_metric=metric(
            "count_agg", code="calls", filters=[{"key": "method", "values": ["GET", "POST"]}]
        ),
        filters=[{"values": {"method": ["GET"]}, "properties": {"amount": "2"}}],
    ),
    interval="weekly",
)

SUBSCRIPTIONS = [
    # Calendar month in UTC.
    {"external_id": "sub_utc", "subscription_at": "2023-06-01T00:00:00Z", "plan": COUNT_PLAN},
    # Anniversary month from the 10th, in Paris.
    {
        "external_id": "sub_paris",
        "billing_time": "anniversary",
        "subscription_at": "2023-11-10T08:00:00Z",
        "timezone": "Europe/Paris",
        "plan": SUM_PLAN,
    },
    # Calendar week in New York, started this very week.
    {
        "external_id": "sub_ny",
        "subscription_at": "2024-03-19T15:00:00Z",
        "timezone": "America/New_York",
        "plan": FILTERED_PLAN,
    },
]


def _events() -> list[Any]:
    """Interleaved events of the three subscriptions and of two unknown ones."""
    return [
        event("m", utc(2024, 3, 1), subscription="sub_utc"),
        event("gb", utc(2024, 3, 9, 22), {"gb": "4"}, subscription="sub_paris"),  # before
        event("gb", utc(2024, 3, 10, 9), {"gb": "7.5"}, subscription="sub_paris"),
        event(
            "calls", utc(2024, 3, 19, 16), {"method": "GET", "region": "eu"}, subscription="sub_ny"
        ),
        event("m", utc(2024, 2, 29, 23), subscription="sub_utc"),  # before the period
        event("m", utc(2024, 3, 5), subscription="sub_other"),
        event("calls", utc(2024, 3, 20), {"method": "POST", "region": "us"}, subscription="sub_ny"),
        event("calls", utc(2024, 3, 21), {"method": "PUT"}, subscription="sub_ny"),
        event("m", utc(2024, 3, 31, 23, 59), subscription="sub_utc", transaction_id="dup"),
        event("m", utc(2024, 3, 30), subscription="sub_utc", transaction_id="dup"),
        event("gb", utc(2024, 4, 2), {"gb": "6"}, subscription="sub_paris"),
        event("calls", utc(2024, 3, 18, 3), {"method": "GET"}, subscription="sub_ny"),  # before
        {"external_subscription_id": "sub_unknown", "code": 5},  # malformed, but not ours
    ]


def _expected(events: list[Any], **options: Any) -> dict[str, Usage]:
    """What current_usage gives for each subscription over the whole stream."""
    return {
        str(sub["external_id"]): current_usage(
            sub["plan"], events, billing_period(sub, NOW), now=NOW, **options
        )
        for sub in SUBSCRIPTIONS
    }


def test_each_subscription_gets_its_current_usage():
    """Plans, periods and timezones differ: each result equals current_usage's."""
    events = _events()
    result = rate_subscriptions(SUBSCRIPTIONS, events, now=NOW)
    assert list(result) == ["sub_utc", "sub_paris", "sub_ny"]
    assert result == _expected(events)
    amounts = {sid: usage.amount_cents for sid, usage in result.items()}
    assert amounts == {"sub_utc": 100, "sub_paris": 1375, "sub_ny": 400}


def test_equal_to_current_usage_over_each_subscriptions_own_events():
    """Splitting the stream first changes nothing."""
    events = _events()
    result = rate_subscriptions(SUBSCRIPTIONS, events, now=NOW)
    for sub in SUBSCRIPTIONS:
        sid = str(sub["external_id"])
        own = [item for item in events if item["external_subscription_id"] == sid]
        assert result[sid] == current_usage(sub["plan"], own, billing_period(sub, NOW), now=NOW)


def test_taxes_apply_to_every_subscription():
    """The customer taxes are passed on to each subscription's usage."""
    events = _events()
    result = rate_subscriptions(SUBSCRIPTIONS, events, now=NOW, taxes=[VAT])
    assert result == _expected(events, taxes=[VAT])
    assert result["sub_paris"].taxes_amount_cents == 275


def test_events_of_unknown_subscriptions_are_skipped_unchecked():
    """Events of subscriptions not listed are ignored, even malformed ones."""
    events = [
        {"external_subscription_id": "sub_x"},
        {"external_subscription_id": "sub_y", "code": 5, "timestamp": "soon"},
        event("m", utc(2024, 3, 5), subscription="sub_z"),
    ]
    assert rate_subscriptions(SUBSCRIPTIONS, events, now=NOW) == rate_subscriptions(
        SUBSCRIPTIONS, [], now=NOW
    )
    assert rate_subscriptions([], _events(), now=NOW) == {}


def test_an_event_that_is_not_a_mapping_raises():
    """Something that is not an event names no subscription: it cannot be skipped."""
    with pytest.raises(InvalidInput) as caught:
        rate_subscriptions(SUBSCRIPTIONS, [*_events(), "sub_x"], now=NOW)
    assert caught.value.path == "events[13]"
    assert "must be a mapping, not str" in str(caught.value)


def test_a_generator_is_read_once():
    """The events can be a one-shot iterator; it is consumed once, in a single pass."""
    events = _events()
    pulled = []

    def stream() -> Iterator[Any]:
        for item in events:
            pulled.append(item)
            yield item

    class Once:
        """An iterable that refuses a second pass."""

        def __init__(self) -> None:
            self.passes = 0

        def __iter__(self) -> Iterator[Any]:
            self.passes += 1
            assert self.passes == 1, "read twice"
            return stream()

    once = Once()
    assert rate_subscriptions(SUBSCRIPTIONS, once, now=NOW) == _expected(events)
    assert pulled == events


def test_event_models_are_accepted():
    """Event models are split like mappings."""
    events = _events()[:-1]
    models = [Event.model_validate(item) for item in events]
    assert rate_subscriptions(SUBSCRIPTIONS, models, now=NOW) == _expected(events)


def test_subscription_models_and_mappings_mix():
    """A Subscription model is taken as it is."""
    from usage_engine._coerce import as_subscription

    subs = [as_subscription(SUBSCRIPTIONS[0]), *SUBSCRIPTIONS[1:]]
    assert rate_subscriptions(subs, _events(), now=NOW) == _expected(_events())


@pytest.mark.parametrize(
    ("change", "path"),
    [
        pytest.param({"timezone": "Europe/Pariss"}, "subscriptions[1].timezone", id="timezone"),
        pytest.param({"plan": None}, "subscriptions[1].plan", id="no plan"),
        pytest.param(
            {"plan": {**SUM_PLAN, "interval": "daily"}},
            "subscriptions[1].plan.interval",
            id="bad plan",
        ),
        pytest.param({"external_id": "sub_utc"}, "subscriptions[1].external_id", id="duplicate"),
    ],
)
def test_a_bad_subscription_is_named_by_its_position(change, path):
    """InvalidInput names the subscription's index and field."""
    subs = [SUBSCRIPTIONS[0], {**SUBSCRIPTIONS[1], **change}]
    with pytest.raises(InvalidInput) as caught:
        rate_subscriptions(subs, _events(), now=NOW)
    assert caught.value.path == path


def test_subscriptions_must_be_a_list():
    """A single subscription mapping is not a list of them."""
    with pytest.raises(InvalidInput) as caught:
        rate_subscriptions(SUBSCRIPTIONS[0], [], now=NOW)
    assert caught.value.path == "subscriptions"


def test_now_before_a_subscription_started_names_it():
    """``now`` must fall within every subscription's life."""
    with pytest.raises(InvalidInput) as caught:
        rate_subscriptions(SUBSCRIPTIONS, [], now="2024-03-19T00:00:00Z")
    assert caught.value.path == "now (subscriptions[2] 'sub_ny')"
    assert "before the subscription started" in str(caught.value)


def test_a_malformed_event_is_named_by_its_position_in_the_stream():
    """The position is the event's in ``events``, not in its subscription's share."""
    events = _events()
    events.insert(7, {"external_subscription_id": "sub_ny", "code": "calls", "timestamp": 1})
    with pytest.raises(InvalidInput) as caught:
        rate_subscriptions(SUBSCRIPTIONS, events, now=NOW)
    assert caught.value.path == "events[7]"
    assert "transaction_id is required" in str(caught.value)


def test_an_event_without_subscription_raises():
    """An event naming no subscription cannot be skipped as someone else's."""
    events = _events()
    events.insert(2, {"transaction_id": "t", "code": "m", "timestamp": 1})
    with pytest.raises(InvalidInput) as caught:
        rate_subscriptions(SUBSCRIPTIONS, events, now=NOW)
    assert caught.value.path == "events[2] (transaction_id 't')"


def test_collected_rejections_match_current_usage():
    """With "collect", each report equals current_usage's over the whole stream."""
    events = _events()
    events.insert(1, {"transaction_id": "t", "code": "m", "timestamp": 1})  # no subscription
    events.insert(4, {"transaction_id": "u", "external_subscription_id": "sub_utc", "code": ""})
    events.insert(6, 42)  # not a mapping
    result = rate_subscriptions(SUBSCRIPTIONS, events, now=NOW, invalid_events="collect")
    assert result == _expected(events, invalid_events="collect")
    assert result["sub_utc"].rejected_events.count == 3
    assert result["sub_utc"].rejected_events.reasons[1].startswith("events[4] ")
    assert result["sub_paris"].rejected_events.count == 2


def test_invalid_events_mode_is_checked():
    """Only "raise" and "collect" are accepted."""
    with pytest.raises(InvalidInput) as caught:
        rate_subscriptions(SUBSCRIPTIONS, [], now=NOW, invalid_events="ignore")
    assert caught.value.path == "invalid_events"
