"""Properties of billing periods: every instant is covered once, periods tile time, anniversary
days never drift, and walking back and forth is consistent."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.properties.strategies import subscriptions, subscriptions_and_instants
from usage_engine.models import BillingPeriod, BillingTime, PlanInterval, Subscription
from usage_engine.periods import (
    billing_period,
    next_period,
    periods_before,
    previous_period,
)

ONE_MICROSECOND = timedelta(microseconds=1)
YEARS = 10


def _walk(subscription: Subscription, years: int) -> list[BillingPeriod]:
    """Every period from the first one until ``years`` after the start (or the termination)."""
    horizon = subscription.started_at + timedelta(days=366 * years)
    periods = [billing_period(subscription, subscription.started_at)]
    last = subscription.terminated_at
    while periods[-1].charges_to_datetime < horizon and (
        last is None or periods[-1].charges_to_datetime < last
    ):
        periods.append(next_period(subscription, periods[-1]))
    return periods


@settings(max_examples=300)
@given(subscriptions_and_instants())
def test_every_instant_lies_in_its_period(case):
    """Any instant of a subscription's life lies in the period billing_period gives for it."""
    subscription, at = case
    period = billing_period(subscription, at)
    assert period.charges_from_datetime <= at <= period.charges_to_datetime
    assert period.from_datetime <= period.charges_from_datetime
    assert period.charges_to_datetime <= period.to_datetime
    assert billing_period(subscription, period.charges_from_datetime) == period
    assert billing_period(subscription, period.charges_to_datetime) == period


@settings(max_examples=100)
@given(subscriptions(terminated=None))
def test_consecutive_periods_tile_time(subscription):
    """Periods walked with next_period over ten years leave no gap and no overlap."""
    periods = _walk(subscription, YEARS)
    assert periods[0].charges_from_datetime == subscription.started_at
    for previous, following in pairwise(periods):
        assert following.charges_from_datetime == previous.charges_to_datetime + ONE_MICROSECOND
    if subscription.terminated_at is not None:
        assert periods[-1].charges_to_datetime >= subscription.terminated_at


@settings(max_examples=100)
@given(
    subscriptions(
        intervals=[PlanInterval.MONTHLY, PlanInterval.QUARTERLY, PlanInterval.YEARLY],
        billing_times=[BillingTime.ANNIVERSARY],
        anchor_days=[29, 30, 31],
        upgraded=False,
    )
)
def test_anniversary_day_comes_back_after_a_short_month(subscription):
    """Anchored on the 29th-31st, every period starts on min(D, days in month): no drift."""
    zone = subscription.zone
    anchor_day = subscription.subscription_at.astimezone(zone).day
    for period in _walk(subscription, YEARS)[1:]:
        start = period.charges_from_datetime.astimezone(zone).date()
        if zone.key == "Pacific/Apia" and start == date(2011, 12, 31):
            continue  # Apia skipped 2011-12-30: a period due that day starts on the 31st
        days_in_month = calendar.monthrange(start.year, start.month)[1]
        assert start.day == min(anchor_day, days_in_month)


@settings(max_examples=200)
@given(subscriptions_and_instants())
def test_next_of_previous_is_the_period_itself(case):
    """next_period(previous_period(p)) == p for every period but the first."""
    subscription, at = case
    period = billing_period(subscription, at)
    if period.charges_from_datetime > subscription.started_at:
        assert next_period(subscription, previous_period(subscription, period)) == period


@settings(max_examples=200)
@given(subscriptions_and_instants(years=YEARS + 1), st.integers(1, 14))
def test_periods_before_are_consecutive_newest_first(case, count):
    """periods_before gives the count latest periods ending by `at`, consecutive, newest first."""
    subscription, at = case
    periods = periods_before(subscription, at, count)
    probe = billing_period(subscription, min(at, subscription.terminated_at or at))
    if probe.charges_to_datetime <= at:
        assert periods[0] == probe
    elif probe.charges_from_datetime > subscription.started_at:
        assert periods[0] == previous_period(subscription, probe)
    else:
        assert periods == ()
    for newer, older in pairwise(periods):
        assert newer.charges_from_datetime == older.charges_to_datetime + ONE_MICROSECOND
    if 0 < len(periods) < count:
        assert periods[-1].charges_from_datetime == subscription.started_at
