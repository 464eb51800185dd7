"""Hypothesis strategies shared by the property tests (plural nouns, keyword-only options)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from usage_engine.models import BillingTime, Plan, PlanInterval, Subscription

# --- periods and subscriptions ------------------------------------------------------------

TIMEZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Pacific/Apia",  # skipped 2011-12-30 entirely
    "Asia/Kathmandu",  # +05:45
)


def timezones() -> st.SearchStrategy[str]:
    """IANA names with DST, odd offsets and a skipped day."""
    return st.sampled_from(TIMEZONES)


@st.composite
def local_instants(
    draw: st.DrawFn,
    *,
    zone: str,
    min_year: int = 2000,
    max_year: int = 2030,
    days: st.SearchStrategy[int] | None = None,
) -> datetime:
    """A UTC instant drawn as a local date and time in ``zone`` (day clamped to the month)."""
    year = draw(st.integers(min_year, max_year))
    month = draw(st.integers(1, 12))
    day = min(
        draw(st.integers(1, 31) if days is None else days), calendar.monthrange(year, month)[1]
    )
    wall = datetime.combine(date(year, month, day), draw(st.times()), tzinfo=ZoneInfo(zone))
    return wall.replace(fold=draw(st.integers(0, 1))).astimezone(UTC)


@st.composite
def subscriptions(
    draw: st.DrawFn,
    *,
    intervals: st.SearchStrategy[PlanInterval] | None = None,
    billing_times: st.SearchStrategy[BillingTime] | None = None,
    zones: st.SearchStrategy[str] | None = None,
    anchor_days: st.SearchStrategy[int] | None = None,
    upgraded: st.SearchStrategy[bool] | None = None,
    terminated: st.SearchStrategy[bool] | None = None,
) -> Subscription:
    """A subscription carrying its plan: any interval (``bill_charges_monthly`` drawn where
    allowed), anchored 2000-2030 in local time, maybe started later by an upgrade, maybe
    terminated (not by default)."""
    interval = draw(st.sampled_from(PlanInterval) if intervals is None else intervals)
    zone = draw(timezones() if zones is None else zones)
    anchor = draw(local_instants(zone=zone, days=anchor_days))
    started_at = anchor
    if draw(st.booleans() if upgraded is None else upgraded):
        started_at += timedelta(seconds=draw(st.integers(0, 400 * 86_400)))
    terminated_at = None
    if terminated is not None and draw(terminated):
        terminated_at = started_at + timedelta(seconds=draw(st.integers(0, 3 * 366 * 86_400)))
    charges_monthly = interval in (PlanInterval.YEARLY, PlanInterval.SEMIANNUAL) and draw(
        st.booleans()
    )
    plan = Plan(
        code="plan",
        interval=interval,
        amount_currency="EUR",
        bill_charges_monthly=charges_monthly,
    )
    return Subscription(
        external_id="sub_1",
        plan=plan,
        billing_time=draw(st.sampled_from(BillingTime) if billing_times is None else billing_times),
        subscription_at=anchor,
        started_at=started_at,
        terminated_at=terminated_at,
        timezone=zone,
    )


def instants_during(subscription: Subscription, *, years: int = 10) -> st.SearchStrategy[datetime]:
    """Instants from ``started_at`` to ``terminated_at`` (or ``years`` later), to the µs."""
    last = subscription.terminated_at or subscription.started_at + timedelta(days=366 * years)
    span = (last - subscription.started_at) // timedelta(microseconds=1)
    return st.integers(0, span).map(
        lambda micros: subscription.started_at + timedelta(microseconds=micros)
    )


@st.composite
def subscriptions_and_instants(
    draw: st.DrawFn, *, years: int = 10
) -> tuple[Subscription, datetime]:
    """A subscription, terminated or not, and an instant of its life (:func:`instants_during`)."""
    subscription = draw(subscriptions(terminated=st.booleans()))
    return subscription, draw(instants_during(subscription, years=years))
