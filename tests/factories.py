"""Plain builders for test inputs: no randomness, every default visible."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from usage_engine.models import BillingPeriod

SUBSCRIPTION = "sub_1"
_ids = count()


def utc(*parts: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def month_period(
    year: int,
    month: int,
    *,
    tz: str = "UTC",
    started_at: datetime | None = None,
    last_day: date | None = None,
    interval: str = "monthly",
) -> BillingPeriod:
    """The calendar month ``year-month`` in ``tz``, optionally started late or cut short."""
    zone = ZoneInfo(tz)
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    end_day = last_day or following - timedelta(days=1)
    start = datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(UTC)
    end = (
        datetime(end_day.year, end_day.month, end_day.day, tzinfo=zone) + timedelta(days=1)
    ).astimezone(UTC) - timedelta(microseconds=1)
    charges_from = max(start, started_at) if started_at else start
    return BillingPeriod(
        external_subscription_id=SUBSCRIPTION,
        from_datetime=start,
        to_datetime=end,
        charges_from_datetime=charges_from,
        charges_to_datetime=end,
        charges_duration_days=(following - first).days,
        timezone=tz,
        interval=interval,
        issuing_date=end_day,
        subscription_at=started_at or utc(2020, 1, 1),
    )


def span_period(
    first: date, last: date, *, tz: str = "UTC", started_at: datetime | None = None
) -> BillingPeriod:
    """A period from local date ``first`` to ``last`` (an anniversary period, say)."""
    zone = ZoneInfo(tz)
    start = datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(UTC)
    end = (datetime(last.year, last.month, last.day, tzinfo=zone) + timedelta(days=1)).astimezone(
        UTC
    ) - timedelta(microseconds=1)
    charges_from = max(start, started_at) if started_at else start
    return BillingPeriod(
        external_subscription_id=SUBSCRIPTION,
        from_datetime=start,
        to_datetime=end,
        charges_from_datetime=charges_from,
        charges_to_datetime=end,
        charges_duration_days=(last - first).days + 1,
        timezone=tz,
        interval="monthly",
        billing_time="anniversary",
        issuing_date=last,
        subscription_at=started_at or utc(2020, 1, 1),
    )


def event(
    code: str,
    at: datetime | int | float | str,
    properties: dict[str, Any] | None = None,
    *,
    transaction_id: str | None = None,
    subscription: str = SUBSCRIPTION,
    **extra: Any,
) -> dict[str, Any]:
    """A Lago-shaped event mapping; datetimes become unix seconds as Lago's API takes them."""
    if isinstance(at, datetime):
        stamp: Any = at.timestamp()
        stamp = int(stamp) if stamp == int(stamp) else stamp
    else:
        stamp = at
    return {
        "transaction_id": transaction_id or f"tx_{next(_ids)}",
        "external_subscription_id": subscription,
        "code": code,
        "timestamp": stamp,
        "properties": properties or {},
        **extra,
    }


def metric(
    aggregation_type: str, *, code: str = "m", field_name: str | None = "value", **extra: Any
) -> dict[str, Any]:
    """A billable metric mapping."""
    data: dict[str, Any] = {"code": code, "name": code, "aggregation_type": aggregation_type}
    if aggregation_type != "count_agg":
        data["field_name"] = field_name
    return data | extra


def charge(
    charge_model: str,
    properties: dict[str, Any] | None = None,
    *,
    billable_metric: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A charge mapping (count metric "m" unless another is given)."""
    return {
        "charge_model": charge_model,
        "properties": properties or {},
        "billable_metric": billable_metric or metric("count_agg"),
        **extra,
    }


def plan(*charges: dict[str, Any], currency: str = "EUR", **extra: Any) -> dict[str, Any]:
    """A monthly plan mapping with the given charges."""
    return {
        "code": "plan",
        "name": "Plan",
        "interval": "monthly",
        "amount_cents": 0,
        "amount_currency": currency,
        "charges": list(charges),
        **extra,
    }


def nested(depth: int) -> list[Any]:
    """A list nested ``depth`` levels deep: deeper than ``repr`` can go, for large depths."""
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


class Unprintable:
    """A value whose ``repr`` and ``str`` fail."""

    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    __str__ = __repr__
