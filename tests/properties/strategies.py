"""Hypothesis strategies shared by the property tests, built on :mod:`usage_engine.strategies`.

The public strategies draw Lago-shaped dicts; the period properties work on validated
:class:`Subscription` models and instants of their life, drawn here.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from usage_engine import strategies as ue
from usage_engine.models import BillingPeriod, Subscription


def subscriptions(
    *,
    intervals: list[str] | None = None,
    billing_times: list[str] | None = None,
    anchor_days: list[int] | None = None,
    upgraded: bool | None = None,
    terminated: bool | None = False,
) -> st.SearchStrategy[Subscription]:
    """Validated subscriptions of a plan without charges: any interval (``bill_charges_monthly``
    drawn where allowed), anchored 2000-2030 in local time, maybe started later by an upgrade,
    terminated if ``terminated`` says so (None: maybe)."""
    return ue.subscriptions(
        plans=ue.plans(intervals=intervals, max_charges=0),
        billing_times=billing_times,
        anchor_days=anchor_days,
        upgraded=upgraded,
        terminated=terminated,
    ).map(Subscription.model_validate)


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
    subscription = draw(subscriptions(terminated=None))
    return subscription, draw(instants_during(subscription, years=years))


def cases(**options: Any) -> st.SearchStrategy[ue.UsageCase]:
    """Whole usage cases (:func:`usage_engine.strategies.usage_cases`), at most 15 events."""
    return ue.usage_cases(**{"max_events": 15, **options})


def last_day_instants(period: BillingPeriod) -> st.SearchStrategy[datetime]:
    """Instants of the period's last local day, up to its end (from its start if later)."""
    zone = ZoneInfo(period.timezone)
    end = period.charges_to_datetime
    midnight = datetime.combine(end.astimezone(zone).date(), time(), tzinfo=zone).astimezone(UTC)
    start = max(midnight, period.charges_from_datetime)
    return st.integers(0, (end - start) // timedelta(microseconds=1)).map(
        lambda micros: start + timedelta(microseconds=micros)
    )
