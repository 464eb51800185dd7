"""Instants as callers give them: a bare date is refused the same way at every entry point,
and milliseconds are recognised for what they are."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import usage_engine as ue
from usage_engine import InvalidInput
from usage_engine._time import EARLIEST_SECONDS, LATEST_SECONDS, event_micros, milliseconds_hint
from usage_engine.partition import plan_job

PLAN = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": []}
PERIOD = {
    "external_subscription_id": "s",
    "from_datetime": "2024-03-01T00:00:00Z",
    "to_datetime": "2024-03-31T23:59:59Z",
}
SUB = {"external_id": "s", "plan": PLAN, "subscription_at": "2024-01-01T00:00:00Z"}
DAY = date(2024, 3, 2)


def stamped(timestamp):
    return {
        "transaction_id": "t",
        "external_subscription_id": "s",
        "code": "c",
        "timestamp": timestamp,
    }


MESSAGE = (
    "must be a datetime, not a date (a day starts at a different instant in each timezone): "
    "pass datetime(2024, 3, 2, tzinfo=UTC) or '2024-03-02T00:00:00Z' for midnight UTC"
)
REFUSAL = MESSAGE + " (got datetime.date(2024, 3, 2))"

ENTRY_POINTS = {
    "current_usage": ("now", lambda: ue.current_usage(PLAN, [], PERIOD, now=DAY)),
    "projected_usage": ("now", lambda: ue.projected_usage(PLAN, [], PERIOD, now=DAY)),
    "current_and_projected_usage": (
        "now",
        lambda: ue.current_and_projected_usage(PLAN, [], PERIOD, now=DAY),
    ),
    "projection_ratio": ("now", lambda: ue.projection_ratio(PERIOD, DAY)),
    "past_usage": ("now", lambda: ue.past_usage(PLAN, [], PERIOD, now=DAY)),
    "past_usages": ("at", lambda: ue.past_usages(SUB, [], DAY, 2)),
    "billing_period": ("at", lambda: ue.billing_period(SUB, DAY)),
    "periods_before": ("at", lambda: ue.periods_before(SUB, DAY, 2)),
    "rate_subscriptions": ("now", lambda: ue.rate_subscriptions([SUB], [], now=DAY)),
    "UsageState.projected_usage": (
        "now",
        lambda: ue.UsageState(PLAN, PERIOD).projected_usage(now=DAY),
    ),
    "plan_job(at=)": ("at", lambda: plan_job([SUB], at=DAY)),
    "plan_job(now=)": (
        "now",
        lambda: plan_job([SUB], at="2024-03-02T00:00:00Z", kind="projected", now=DAY),
    ),
    "subscription_at": (
        "subscription.subscription_at",
        lambda: ue.billing_period({**SUB, "subscription_at": DAY}, "2024-03-02T00:00:00Z"),
    ),
}


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_a_date_is_refused_everywhere_with_what_to_pass(name):
    """A date could mean midnight anywhere: every entry point refuses it, saying what to pass."""
    path, call = ENTRY_POINTS[name]
    with pytest.raises(InvalidInput) as caught:
        call()
    assert str(caught.value) == f"{path}: {REFUSAL}"


def test_the_datetime_the_message_suggests_is_accepted():
    suggested = datetime(2024, 3, 2, tzinfo=UTC)
    assert ue.billing_period(SUB, suggested) == ue.billing_period(SUB, "2024-03-02T00:00:00Z")


def test_an_event_stamped_with_a_date_is_refused():
    event = stamped(DAY)
    with pytest.raises(InvalidInput) as caught:
        ue.current_usage(PLAN, [event], PERIOD)
    assert str(caught.value) == (
        "events[0] (transaction_id 't'): timestamp datetime.date(2024, 3, 2) " + MESSAGE
    )


def test_milliseconds_are_named_for_an_instant():
    with pytest.raises(InvalidInput) as caught:
        ue.billing_period(SUB, 1741255200000)
    assert str(caught.value) == (
        "at: is out of the supported range of datetimes (1741255200000 looks like milliseconds: "
        "pass unix seconds, 1741255200) (got 1741255200000)"
    )


@pytest.mark.parametrize("stamp", [1741255200000, "1741255200000", 1741255200000.0])
def test_milliseconds_are_named_for_an_event(stamp):
    event = stamped(stamp)
    with pytest.raises(InvalidInput) as caught:
        ue.current_usage(PLAN, [event], PERIOD)
    shown = repr(stamp)
    number = "1741255200000.0" if isinstance(stamp, float) else "1741255200000"
    assert str(caught.value) == (
        f"events[0] (transaction_id 't'): timestamp {shown} is outside the supported years "
        f"0002 to 9997 ({number} looks like milliseconds: pass unix seconds, 1741255200)"
    )


@pytest.mark.parametrize(
    "value",
    [
        10**20,
        -(10**20),
        2 * LATEST_SECONDS * 1000,
        253402300800,
        Decimal("1E+999999"),
        Decimal("-1E+999999"),
        True,
        "soon",
        float("nan"),
        None,
    ],
)
def test_no_hint_when_milliseconds_would_not_help(value):
    assert milliseconds_hint(value) == ""


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@given(st.integers(min_value=EARLIEST_SECONDS * 1000, max_value=LATEST_SECONDS * 1000 - 1))
def test_the_hint_gives_the_seconds_of_any_millisecond_stamp(millis):
    """A millisecond stamp of 13 digits or more gets a hint whose seconds read back."""
    if EARLIEST_SECONDS <= millis < LATEST_SECONDS:
        assert event_micros(millis) == millis * 10**6  # in range: read as seconds, no hint
        return
    if abs(millis) < 10**12:  # just past year 9997 in seconds: no guess
        with pytest.raises(ValueError, match="supported years") as caught:
            event_micros(millis)
        assert str(caught.value) == (
            f"timestamp {millis} is outside the supported years 0002 to 9997"
        )
        return
    with pytest.raises(ValueError, match="looks like milliseconds") as caught:
        event_micros(millis)
    seconds = str(caught.value).rsplit(", ", 1)[1].rstrip(")")
    assert f"({millis} looks like milliseconds" in str(caught.value)
    assert event_micros(seconds) == millis * 1000
    assert EPOCH + timedelta(milliseconds=millis) == EPOCH + timedelta(
        microseconds=event_micros(seconds)
    )
