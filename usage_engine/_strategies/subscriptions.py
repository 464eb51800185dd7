"""Subscriptions anchored in local time, and the instants of their life."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from .._coerce import as_subscription
from .._time import micros

__all__ = ["draw_subscription", "lago_instant", "life"]


def lago_instant(instant: datetime) -> str:
    """An instant as Lago's payloads write it: ISO 8601 in UTC with ``Z``."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


@st.composite
def _local_instants(
    draw: st.DrawFn, *, zone: str, years: tuple[int, int], days: tuple[int, ...] | None
) -> datetime:
    # A local date and time in ``zone``, day clamped to the month, either side of a DST fold.
    year = draw(st.integers(*years))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 31) if days is None else st.sampled_from(days))
    day = min(day, calendar.monthrange(year, month)[1])
    wall = datetime.combine(date(year, month, day), draw(st.times()), tzinfo=ZoneInfo(zone))
    return wall.replace(fold=draw(st.integers(0, 1))).astimezone(UTC)


@st.composite
def draw_subscription(
    draw: st.DrawFn,
    *,
    plans: st.SearchStrategy[dict[str, Any]],
    external_ids: tuple[str, ...],
    billing_times: tuple[str, ...],
    timezones: tuple[str, ...],
    years: tuple[int, int],
    anchor_days: tuple[int, ...] | None,
    upgraded: bool | None,
    terminated: bool | None,
) -> dict[str, Any]:
    """A subscription mapping carrying a plan drawn from ``plans``."""
    zone = draw(st.sampled_from(timezones))
    anchor = draw(_local_instants(zone=zone, years=years, days=anchor_days))
    started_at = anchor
    if upgraded or (upgraded is None and draw(st.booleans())):
        # A subscription created by an upgrade keeps its predecessor's anchor.
        started_at += timedelta(seconds=draw(st.integers(0, 400 * 86_400)))
    subscription: dict[str, Any] = {
        "external_id": draw(st.sampled_from(external_ids)),
        "plan": draw(plans),
        "billing_time": draw(st.sampled_from(billing_times)),
        "subscription_at": lago_instant(anchor),
        "started_at": lago_instant(started_at),
        "timezone": zone,
    }
    if terminated or (terminated is None and draw(st.booleans())):
        lasted = timedelta(seconds=draw(st.integers(0, 3 * 366 * 86_400)))
        subscription["terminated_at"] = lago_instant(started_at + lasted)
    return subscription


def life(subscription: Any, years: int) -> tuple[int, int]:
    """The first ``years`` of the subscription's life, or up to its termination, in µs."""
    checked = as_subscription(subscription)
    start = micros(checked.started_at)
    end = start + years * 366 * 86_400_000_000
    if checked.terminated_at is not None:
        end = min(end, micros(checked.terminated_at))
    return start, end
