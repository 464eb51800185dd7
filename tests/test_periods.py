"""Billing periods (spec section 1) and the ceil-day count (spec 8.1), on Lago's examples."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.properties.strategies import subscriptions_and_instants
from usage_engine import InvalidInput, current_usage, rate_subscriptions
from usage_engine.cli import main
from usage_engine.models import BillingPeriod
from usage_engine.models.period import lago_datetime
from usage_engine.periods import (
    MAX_PERIODS,
    billing_period,
    ceil_days,
    next_period,
    periods_before,
    previous_period,
)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    """An aware UTC datetime."""
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def end_of(year: int, month: int, day: int) -> datetime:
    """The last microsecond of a UTC day."""
    return utc(year, month, day, 23, 59, 59, 999999)


def subscription(
    interval: str,
    subscription_at: str,
    *,
    billing_time: str = "calendar",
    timezone: str = "UTC",
    started_at: str | None = None,
    terminated_at: str | None = None,
    charges_monthly: bool = False,
) -> dict[str, Any]:
    """A subscription in Lago's JSON shape, carrying its plan."""
    return {
        "external_id": "sub_1",
        "billing_time": billing_time,
        "subscription_at": subscription_at,
        "started_at": started_at,
        "terminated_at": terminated_at,
        "timezone": timezone,
        "plan": {
            "code": "plan",
            "interval": interval,
            "amount_currency": "EUR",
            "bill_charges_monthly": charges_monthly,
        },
    }


def charges_window(sub: dict[str, Any], at: Any) -> tuple[datetime, datetime]:
    """The charges bounds of the period containing ``at``."""
    period = billing_period(sub, at)
    return period.charges_from_datetime, period.charges_to_datetime


# --- 1.3 anniversary periods ---------------------------------------------------------------


def test_monthly_anniversary_on_the_31st_clamps_each_month_and_comes_back():
    """D = 31: Jan 31-Feb 27, Feb 28-Mar 30, Mar 31-Apr 29, Apr 30-May 30 (2022)."""
    sub = subscription("monthly", "2022-01-31T00:00:00Z", billing_time="anniversary")
    expected = [
        (utc(2022, 1, 31), end_of(2022, 2, 27)),
        (utc(2022, 2, 28), end_of(2022, 3, 30)),
        (utc(2022, 3, 31), end_of(2022, 4, 29)),
        (utc(2022, 4, 30), end_of(2022, 5, 30)),
        (utc(2022, 5, 31), end_of(2022, 6, 29)),
    ]
    period = billing_period(sub, "2022-01-31T00:00:00Z")
    walked = [period]
    for _ in expected[1:]:
        walked.append(period := next_period(sub, period))
    assert [(p.charges_from_datetime, p.charges_to_datetime) for p in walked] == expected
    assert [p.charges_duration_days for p in walked] == [28, 31, 30, 31, 30]


def test_yearly_anniversary_on_29_february_falls_back_to_the_28th_and_returns():
    """D = 29 Feb: 2024-02-29..2025-02-27, 2025-02-28.., 2027-02-28..2028-02-28, 2028-02-29.."""
    sub = subscription("yearly", "2024-02-29T00:00:00Z", billing_time="anniversary")
    expected = [
        (utc(2024, 2, 29), end_of(2025, 2, 27)),
        (utc(2025, 2, 28), end_of(2026, 2, 27)),
        (utc(2026, 2, 28), end_of(2027, 2, 27)),
        (utc(2027, 2, 28), end_of(2028, 2, 28)),
        (utc(2028, 2, 29), end_of(2029, 2, 27)),
    ]
    asked = ["2024-06-01", "2026-02-27", "2026-02-28", "2028-02-28", "2028-02-29"]
    assert [charges_window(sub, f"{day}T12:00:00Z") for day in asked] == expected


@pytest.mark.parametrize(
    ("interval", "anchor", "asked", "expected"),
    [
        pytest.param(
            "yearly",
            "2024-02-29",
            "2025-02-20",
            (utc(2024, 2, 29), end_of(2025, 2, 27)),
            id="yearly on 29 Feb asked before the clamped anniversary",
        ),
        pytest.param(
            "yearly",
            "2024-02-29",
            "2025-03-10",
            (utc(2025, 2, 28), end_of(2026, 2, 27)),
            id="yearly on 29 Feb asked after the clamped anniversary",
        ),
        pytest.param(
            "quarterly",
            "2022-01-31",
            "2022-05-31",
            (utc(2022, 4, 30), end_of(2022, 7, 30)),
            id="quarterly on the 31st starts on 30 April",
        ),
        pytest.param(
            "quarterly",
            "2022-01-31",
            "2022-07-30",
            (utc(2022, 4, 30), end_of(2022, 7, 30)),
            id="quarterly on the 31st not yet renewed on 30 July",
        ),
        pytest.param(
            "quarterly",
            "2022-01-31",
            "2022-08-15",
            (utc(2022, 7, 31), end_of(2022, 10, 30)),
            id="quarterly on the 31st renewed on 31 July",
        ),
        pytest.param(
            "quarterly",
            "2022-01-31",
            "2022-04-15",
            (utc(2022, 1, 31), end_of(2022, 4, 29)),
            id="quarterly on the 31st: the April-15 period ends 29 April",
        ),
        pytest.param(
            "quarterly",
            "2022-01-31",
            "2022-05-15",
            (utc(2022, 4, 30), end_of(2022, 7, 30)),
            id="quarterly on the 31st: the May-15 period starts 30 April",
        ),
        pytest.param(
            "quarterly",
            "2021-04-30",
            "2021-05-31",
            (utc(2021, 4, 30), end_of(2021, 7, 29)),
            id="quarterly on the 30th: May is not a billing month, even on its last day",
        ),
        pytest.param(
            "quarterly",
            "2021-04-30",
            "2021-08-15",
            (utc(2021, 7, 30), end_of(2021, 10, 29)),
            id="quarterly on the 30th renewed on 30 July",
        ),
        pytest.param(
            "semiannual",
            "2021-01-31",
            "2021-04-30",
            (utc(2021, 1, 31), end_of(2021, 7, 30)),
            id="semiannual on the 31st",
        ),
    ],
)
def test_anniversary_period_boundaries_spec(interval, anchor, asked, expected):
    """Lago's anniversary_period_boundaries_spec examples give the same bounds."""
    sub = subscription(interval, f"{anchor}T00:00:00Z", billing_time="anniversary")
    assert charges_window(sub, f"{asked}T12:00:00Z") == expected


def test_an_event_on_the_clamped_anniversary_belongs_to_the_second_period_only():
    """2025-02-28 12:00 is in the period starting that day, after the first one ends."""
    sub = subscription("yearly", "2024-02-29T00:00:00Z", billing_time="anniversary")
    first = billing_period(sub, "2025-02-20T00:00:00Z")
    second = next_period(sub, first)
    event = utc(2025, 2, 28, 12)
    assert first.charges_to_datetime < event
    assert second.charges_from_datetime <= event <= second.charges_to_datetime


@pytest.mark.parametrize("interval", ["weekly", "monthly", "quarterly", "semiannual", "yearly"])
def test_anniversary_on_a_calendar_boundary_equals_calendar(interval):
    """An anniversary anchored on Monday 1 January 2024 gives the calendar periods."""
    calendar_sub = subscription(interval, "2024-01-01T00:00:00Z")
    anniversary_sub = subscription(interval, "2024-01-01T00:00:00Z", billing_time="anniversary")
    for asked in ["2024-03-31T23:00:00Z", "2024-08-15T00:00:00Z", "2025-12-31T00:00:00Z"]:
        assert charges_window(anniversary_sub, asked) == charges_window(calendar_sub, asked)


def test_anniversary_anchor_is_read_in_local_time():
    """Anchored at 2024-01-31T23:30Z in Berlin, the anchor day is the 1st (00:30 local)."""
    sub = subscription(
        "monthly", "2024-01-31T23:30:00Z", billing_time="anniversary", timezone="Europe/Berlin"
    )
    assert charges_window(sub, "2024-03-10T00:00:00Z") == (
        utc(2024, 2, 29, 23),
        utc(2024, 3, 31, 21, 59, 59, 999999),
    )


# --- 1.2 calendar periods and weekly periods -----------------------------------------------


@pytest.mark.parametrize(
    ("interval", "asked", "expected"),
    [
        pytest.param(
            "weekly",
            "2024-03-13",
            (utc(2024, 3, 11), end_of(2024, 3, 17)),
            id="weekly is the ISO week, Monday to Sunday",
        ),
        pytest.param(
            "weekly",
            "2025-01-01",
            (utc(2024, 12, 30), end_of(2025, 1, 5)),
            id="weekly across the new year",
        ),
        pytest.param("monthly", "2024-02-14", (utc(2024, 2, 1), end_of(2024, 2, 29)), id="monthly"),
        pytest.param(
            "quarterly", "2024-05-14", (utc(2024, 4, 1), end_of(2024, 6, 30)), id="quarterly"
        ),
        pytest.param(
            "semiannual", "2024-12-31", (utc(2024, 7, 1), end_of(2024, 12, 31)), id="semiannual"
        ),
        pytest.param("yearly", "2024-01-01", (utc(2024, 1, 1), end_of(2024, 12, 31)), id="yearly"),
    ],
)
def test_calendar_periods(interval, asked, expected):
    """Calendar periods follow the ISO week, the month, the quarter, the half and the year."""
    sub = subscription(interval, "2020-01-01T00:00:00Z")
    assert charges_window(sub, f"{asked}T12:00:00Z") == expected


def test_weekly_anniversary_starts_on_the_anchor_weekday():
    """Anchored on Thursday 2024-03-07, weeks run Thursday to Wednesday."""
    sub = subscription("weekly", "2024-03-07T15:00:00Z", billing_time="anniversary")
    assert charges_window(sub, "2024-03-20T23:00:00Z") == (utc(2024, 3, 14), end_of(2024, 3, 20))
    assert charges_window(sub, "2024-03-21T00:00:00Z") == (utc(2024, 3, 21), end_of(2024, 3, 27))
    assert billing_period(sub, "2024-03-21T00:00:00Z").charges_duration_days == 7


# --- 1.4 current-usage boundaries ----------------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "from_datetime", "to_datetime", "lago_to", "issuing_date"),
    [
        pytest.param(
            "UTC",
            utc(2023, 1, 1),
            end_of(2023, 12, 31),
            "2023-12-31T23:59:59Z",
            date(2023, 12, 31),
            id="UTC",
        ),
        pytest.param(
            "Europe/Berlin",
            utc(2022, 12, 31, 23),
            utc(2023, 12, 31, 22, 59, 59, 999999),
            "2023-12-31T22:59:59Z",
            date(2023, 12, 31),
            id="Europe/Berlin",
        ),
        pytest.param(
            "America/Los_Angeles",
            utc(2023, 1, 1, 8),
            utc(2024, 1, 1, 7, 59, 59, 999999),
            "2024-01-01T07:59:59Z",
            date(2024, 1, 1),
            id="America/Los_Angeles",
        ),
    ],
)
def test_customer_usage_spec_yearly_calendar(
    timezone, from_datetime, to_datetime, lago_to, issuing_date
):
    """Yearly calendar plan started 2023-01-01T09:30Z, asked 2023-08-08 (customer_usage_spec)."""
    sub = subscription("yearly", "2023-01-01T09:30:00Z", timezone=timezone)
    period = billing_period(sub, "2023-08-08T00:00:00Z")
    assert period.charges_from_datetime == utc(2023, 1, 1, 9, 30)
    assert period.charges_to_datetime == to_datetime
    assert period.from_datetime == from_datetime
    assert period.to_datetime == to_datetime
    assert period.issuing_date == issuing_date
    assert period.to_lago()["charges_from_datetime"] == "2023-01-01T09:30:00Z"
    assert period.to_lago()["to_datetime"] == lago_to
    # Lago's usage response shows the charges bounds as its from/to_datetime (spec 10.1).
    shown = current_usage(sub["plan"], [], period).to_lago()
    assert (shown["from_datetime"], shown["to_datetime"]) == ("2023-01-01T09:30:00Z", lago_to)


def test_customer_usage_service_spec_monthly_anniversary():
    """Monthly anniversary started 2022-03-07, asked 2022-06-22: June 7 to July 6."""
    sub = subscription("monthly", "2022-03-07T00:00:00Z", billing_time="anniversary")
    period = billing_period(sub, "2022-06-22T00:00:00Z")
    assert period.charges_from_datetime == utc(2022, 6, 7)
    assert period.charges_to_datetime == end_of(2022, 7, 6)
    assert period.issuing_date == date(2022, 7, 6)
    assert period.charges_duration_days == 30
    assert period.to_lago()["issuing_date"] == "2022-07-06"


def test_subscription_started_today_starts_its_charges_at_the_start_instant():
    """A subscription started today has charges_from_datetime == started_at."""
    sub = subscription("monthly", "2022-06-22T10:11:12Z", billing_time="anniversary")
    period = billing_period(sub, "2022-06-22T18:00:00Z")
    assert period.charges_from_datetime == utc(2022, 6, 22, 10, 11, 12)
    assert period.from_datetime == utc(2022, 6, 22)


def test_usage_controller_spec_calendar_monthly_utc():
    """Calendar monthly in UTC: beginning to end of month, issued the last day of the month."""
    sub = subscription("monthly", "2024-01-10T00:00:00Z")
    period = billing_period(sub, "2024-05-14T08:00:00Z")
    assert period.model_dump(
        include={"charges_from_datetime", "charges_to_datetime", "from_datetime", "to_datetime"}
    ) == {
        "charges_from_datetime": utc(2024, 5, 1),
        "charges_to_datetime": end_of(2024, 5, 31),
        "from_datetime": utc(2024, 5, 1),
        "to_datetime": end_of(2024, 5, 31),
    }
    assert period.issuing_date == date(2024, 5, 31)


def test_period_carries_the_subscription_fields():
    """The period repeats the subscription's id, anchor, start, interval, timing and zone."""
    sub = subscription(
        "quarterly",
        "2024-01-15T00:00:00Z",
        started_at="2024-02-20T06:00:00Z",
        billing_time="anniversary",
        timezone="Asia/Kolkata",
    )
    period = billing_period(sub, "2024-03-01T00:00:00Z")
    assert (
        period.external_subscription_id,
        period.subscription_at,
        period.started_at,
        period.interval,
        period.billing_time,
        period.timezone,
        period.terminated_at,
    ) == (
        "sub_1",
        utc(2024, 1, 15),
        utc(2024, 2, 20, 6),
        "quarterly",
        "anniversary",
        "Asia/Kolkata",
        None,
    )


# --- 1.5 first partial period --------------------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "local_midnight", "period_end"),
    [
        pytest.param("UTC", utc(2023, 3, 5), end_of(2023, 3, 31), id="UTC"),
        pytest.param(
            "Europe/Berlin",
            utc(2023, 3, 4, 23),
            utc(2023, 3, 31, 21, 59, 59, 999999),
            id="Europe/Berlin",
        ),
    ],
)
def test_first_partial_period(timezone, local_midnight, period_end):
    """Started 2023-03-05 10:15Z: charges from the instant, subscription period from midnight."""
    sub = subscription("monthly", "2023-03-05T10:15:00Z", timezone=timezone)
    period = billing_period(sub, "2023-03-20T00:00:00Z")
    assert period.charges_from_datetime == utc(2023, 3, 5, 10, 15)
    assert period.from_datetime == local_midnight
    assert period.charges_to_datetime == period.to_datetime == period_end
    assert period.charges_duration_days == 31


def test_upgraded_subscription_keeps_the_anchor_and_starts_mid_period():
    """An upgrade started 2023-03-20 on an anchor of the 15th: period 15 March-14 April."""
    sub = subscription(
        "monthly",
        "2023-01-15T00:00:00Z",
        started_at="2023-03-20T08:00:00Z",
        billing_time="anniversary",
    )
    period = billing_period(sub, "2023-04-01T00:00:00Z")
    assert period.charges_from_datetime == utc(2023, 3, 20, 8)
    assert period.from_datetime == utc(2023, 3, 20)
    assert period.charges_to_datetime == end_of(2023, 4, 14)
    assert period.charges_duration_days == 31


# --- 1.6 termination -----------------------------------------------------------------------


def test_monthly_service_spec_termination():
    """Calendar monthly terminated 2022-03-09: the period is 1 March to the termination instant."""
    sub = subscription("monthly", "2022-01-01T00:00:00Z", terminated_at="2022-03-09T10:30:00Z")
    period = billing_period(sub, "2022-03-09T10:30:00Z")
    assert period.charges_from_datetime == period.from_datetime == utc(2022, 3, 1)
    assert period.charges_to_datetime == period.to_datetime == utc(2022, 3, 9, 10, 30)
    assert period.terminated_at == utc(2022, 3, 9, 10, 30)
    assert period.charges_duration_days == 31
    assert period.issuing_date == date(2022, 3, 9)


def test_termination_leaves_earlier_periods_whole():
    """The period before the termination keeps its natural end and no terminated_at."""
    sub = subscription("monthly", "2022-01-01T00:00:00Z", terminated_at="2022-03-09T10:30:00Z")
    period = billing_period(sub, "2022-02-10T00:00:00Z")
    assert period.charges_to_datetime == period.to_datetime == end_of(2022, 2, 28)
    assert period.terminated_at is None


def test_unique_count_service_spec_terminated_period_counts_16_of_31_days():
    """Period 2022-07-09..08-08 terminated 07-24 23:59:59: 16 days of 31 (prorated spec)."""
    sub = subscription(
        "monthly",
        "2022-06-09T00:00:00Z",
        billing_time="anniversary",
        terminated_at="2022-07-24T23:59:59Z",
    )
    period = billing_period(sub, "2022-07-20T00:00:00Z")
    assert period.charges_from_datetime == utc(2022, 7, 9)
    assert period.charges_to_datetime == utc(2022, 7, 24, 23, 59, 59)
    assert period.charges_duration_days == 31
    assert ceil_days(period.charges_from_datetime, period.charges_to_datetime, "UTC") == 16


def test_termination_with_monthly_charges_cuts_only_the_last_month():
    """Yearly plan billing charges monthly, terminated in May: February keeps the whole year."""
    sub = subscription(
        "yearly", "2023-01-01T00:00:00Z", charges_monthly=True, terminated_at="2023-05-10T12:00:00Z"
    )
    february = billing_period(sub, "2023-02-10T00:00:00Z")
    assert (february.charges_to_datetime, february.to_datetime) == (
        end_of(2023, 2, 28),
        end_of(2023, 12, 31),
    )
    assert february.terminated_at is None
    may = billing_period(sub, "2023-05-01T00:00:00Z")
    assert may.charges_from_datetime == utc(2023, 5, 1)
    assert may.charges_to_datetime == may.to_datetime == utc(2023, 5, 10, 12)
    assert may.from_datetime == utc(2023, 1, 1)
    assert may.terminated_at == utc(2023, 5, 10, 12)


# --- 1.7 bill_charges_monthly --------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "charges", "subscription_period"),
    [
        pytest.param(
            "2023-01-31T12:00:00Z",
            (utc(2023, 1, 1), end_of(2023, 1, 31)),
            (utc(2023, 1, 1), end_of(2023, 12, 31)),
            id="billed 2023-02-01: January",
        ),
        pytest.param(
            "2022-12-15T00:00:00Z",
            (utc(2022, 12, 1), end_of(2022, 12, 31)),
            (utc(2022, 1, 1), end_of(2022, 12, 31)),
            id="billed 2023-01-01: December",
        ),
    ],
)
def test_yearly_service_spec_bill_charges_monthly(asked, charges, subscription_period):
    """Yearly calendar plan billing charges monthly: charges use the month, from/to the year."""
    sub = subscription("yearly", "2021-06-01T00:00:00Z", charges_monthly=True)
    period = billing_period(sub, asked)
    assert (period.charges_from_datetime, period.charges_to_datetime) == charges
    assert (period.from_datetime, period.to_datetime) == subscription_period
    assert period.charges_duration_days == 31
    assert period.issuing_date == subscription_period[1].date()


def test_bill_charges_monthly_on_an_anniversary_uses_the_anchor_day():
    """Semiannual anniversary on the 31st billing charges monthly: 31 Jan-27 Feb, then 28 Feb."""
    sub = subscription(
        "semiannual", "2022-01-31T00:00:00Z", billing_time="anniversary", charges_monthly=True
    )
    period = billing_period(sub, "2022-02-15T00:00:00Z")
    assert (period.charges_from_datetime, period.charges_to_datetime) == (
        utc(2022, 1, 31),
        end_of(2022, 2, 27),
    )
    assert (period.from_datetime, period.to_datetime) == (utc(2022, 1, 31), end_of(2022, 7, 30))
    assert period.charges_duration_days == 28
    following = next_period(sub, period)
    assert (following.charges_from_datetime, following.charges_to_datetime) == (
        utc(2022, 2, 28),
        end_of(2022, 3, 30),
    )
    assert following.from_datetime == utc(2022, 1, 31)


def test_bill_charges_monthly_is_ignored_for_monthly_plans():
    """Only yearly and semiannual plans can bill charges monthly; quarterly keeps its quarter."""
    sub = subscription("quarterly", "2022-01-01T00:00:00Z", charges_monthly=True)
    assert charges_window(sub, "2022-02-15T00:00:00Z") == (utc(2022, 1, 1), end_of(2022, 3, 31))


# --- 1.8 charges_duration ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "billing_time", "anchor", "asked", "days"),
    [
        pytest.param("monthly", "calendar", "2020-01-02", "2022-02-10", 28, id="Feb 2022"),
        pytest.param("monthly", "calendar", "2020-01-02", "2020-02-10", 29, id="Feb 2020"),
        pytest.param("monthly", "anniversary", "2020-01-02", "2022-02-10", 28, id="Feb 2 2022"),
        pytest.param("monthly", "anniversary", "2020-01-02", "2020-02-10", 29, id="Feb 2 2020"),
        pytest.param("weekly", "anniversary", "2020-01-02", "2020-02-10", 7, id="weekly"),
        pytest.param("quarterly", "calendar", "2020-01-02", "2024-02-10", 91, id="Q1 2024"),
        pytest.param("semiannual", "calendar", "2020-01-02", "2024-08-10", 184, id="H2"),
        pytest.param("yearly", "calendar", "2020-01-02", "2023-02-10", 365, id="year 2023"),
        pytest.param("yearly", "calendar", "2020-01-02", "2024-02-10", 366, id="year 2024"),
        pytest.param("yearly", "anniversary", "2023-03-15", "2023-06-01", 366, id="over Feb 29"),
        pytest.param("yearly", "anniversary", "2023-03-15", "2024-06-01", 365, id="after leap"),
        pytest.param("yearly", "anniversary", "2024-02-29", "2024-06-01", 365, id="from Feb 29"),
    ],
)
def test_charges_duration_days(interval, billing_time, anchor, asked, days):
    """The duration is the whole charges period in local days (monthly_service_spec)."""
    sub = subscription(interval, f"{anchor}T00:00:00Z", billing_time=billing_time)
    assert billing_period(sub, f"{asked}T00:00:00Z").charges_duration_days == days


# --- 1.9 issuing_date ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "to_datetime", "issuing_date"),
    [
        pytest.param(
            "America/New_York",
            utc(2022, 4, 1, 3, 59, 59, 999999),
            date(2022, 4, 1),
            id="behind UTC: the day after",
        ),
        pytest.param(
            "Asia/Kolkata",
            utc(2022, 3, 31, 18, 29, 59, 999999),
            date(2022, 3, 31),
            id="ahead of UTC: the last day",
        ),
    ],
)
def test_issuing_date_is_the_utc_date_of_the_local_period_end(timezone, to_datetime, issuing_date):
    """Quirk Q1: March 2022 in New York is issued 2022-04-01 (monthly_service_spec)."""
    sub = subscription("monthly", "2022-01-01T12:00:00Z", timezone=timezone)
    period = billing_period(sub, "2022-03-15T12:00:00Z")
    assert period.to_datetime == to_datetime
    assert period.issuing_date == issuing_date


# --- DST -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "asked", "bounds"),
    [
        pytest.param(
            "Europe/Berlin",
            "2024-03-15",
            (utc(2024, 2, 29, 23), utc(2024, 3, 31, 21, 59, 59, 999999)),
            id="Berlin March, summer time from the 31st",
        ),
        pytest.param(
            "Europe/Berlin",
            "2024-10-15",
            (utc(2024, 9, 30, 22), utc(2024, 10, 31, 22, 59, 59, 999999)),
            id="Berlin October, winter time from the 27th",
        ),
        pytest.param(
            "America/New_York",
            "2024-03-15",
            (utc(2024, 3, 1, 5), utc(2024, 4, 1, 3, 59, 59, 999999)),
            id="New York March, daylight time from the 10th",
        ),
        pytest.param(
            "America/New_York",
            "2024-11-15",
            (utc(2024, 11, 1, 4), utc(2024, 12, 1, 4, 59, 59, 999999)),
            id="New York November, standard time from the 3rd",
        ),
    ],
)
def test_months_crossing_a_dst_change(timezone, asked, bounds):
    """Bounds are local midnights on each side of a DST change; the month still has 30/31 days."""
    sub = subscription("monthly", "2024-01-01T12:00:00Z", timezone=timezone)
    period = billing_period(sub, f"{asked}T12:00:00Z")
    assert (period.charges_from_datetime, period.charges_to_datetime) == bounds
    assert ceil_days(bounds[0], bounds[1], timezone) == period.charges_duration_days
    following = next_period(sub, period)
    assert following.charges_from_datetime == bounds[1] + timedelta(microseconds=1)


def test_instant_in_a_fall_back_hour_across_midnight_belongs_to_the_new_day():
    """Goose Bay fell back from 00:01 to 23:01 in 2009: that repeated hour is in November."""
    sub = subscription("monthly", "2009-01-01T12:00:00Z", timezone="America/Goose_Bay")
    october = billing_period(sub, "2009-11-01T02:59:59Z")
    repeated = billing_period(sub, "2009-11-01T03:30:00Z")  # 2009-10-31 23:30 local
    assert october.charges_to_datetime == utc(2009, 11, 1, 2, 59, 59, 999999)
    assert repeated.charges_from_datetime == utc(2009, 11, 1, 3)


def test_a_skipped_local_day_starts_the_period_at_the_next_day():
    """Apia skipped 2011-12-30; a period due that day starts at the first instant of the 31st."""
    sub = subscription(
        "monthly", "2011-10-30T12:00:00Z", billing_time="anniversary", timezone="Pacific/Apia"
    )
    december = billing_period(sub, "2011-12-30T12:00:00Z")
    assert december.charges_from_datetime == utc(2011, 12, 30, 10)
    assert december.charges_to_datetime == utc(2012, 1, 29, 9, 59, 59, 999999)
    assert december.charges_duration_days == 31


# --- walking periods -----------------------------------------------------------------------


def test_previous_period_of_a_clamped_month():
    """Before 28 Feb-30 Mar (D = 31) comes 31 Jan-27 Feb."""
    sub = subscription("monthly", "2021-12-31T00:00:00Z", billing_time="anniversary")
    march = billing_period(sub, "2022-03-15T00:00:00Z")
    before = previous_period(sub, march)
    assert (before.charges_from_datetime, before.charges_to_datetime) == (
        utc(2022, 1, 31),
        end_of(2022, 2, 27),
    )


def test_periods_before_lists_ended_periods_newest_first():
    """At 2024-04-10 the two latest ended periods are March then February."""
    sub = subscription("monthly", "2024-01-15T08:00:00Z")
    periods = periods_before(sub, "2024-04-10T00:00:00Z", 2)
    assert [(p.charges_from_datetime, p.charges_to_datetime) for p in periods] == [
        (utc(2024, 3, 1), end_of(2024, 3, 31)),
        (utc(2024, 2, 1), end_of(2024, 2, 29)),
    ]


def test_periods_before_stops_at_the_first_period():
    """A young subscription has fewer periods than asked; the first one is partial."""
    sub = subscription("monthly", "2024-01-15T08:00:00Z")
    periods = periods_before(sub, "2024-04-10T00:00:00Z", 12)
    assert [p.charges_from_datetime for p in periods] == [
        utc(2024, 3, 1),
        utc(2024, 2, 1),
        utc(2024, 1, 15, 8),
    ]


def test_periods_before_includes_a_period_ending_exactly_at():
    """A period ending exactly at `at` counts as ended."""
    sub = subscription("monthly", "2024-01-01T00:00:00Z")
    periods = periods_before(sub, end_of(2024, 3, 31), 1)
    assert periods[0].charges_from_datetime == utc(2024, 3, 1)


@pytest.mark.parametrize(
    ("at", "count"),
    [
        pytest.param("2024-01-20T00:00:00Z", 3, id="first period not ended"),
        pytest.param("2023-12-01T00:00:00Z", 3, id="before the start"),
        pytest.param("2024-06-01T00:00:00Z", 0, id="zero periods asked"),
    ],
)
def test_periods_before_can_be_empty(at, count):
    """Nothing ended before `at`, or nothing asked: no periods."""
    sub = subscription("monthly", "2024-01-15T08:00:00Z")
    assert periods_before(sub, at, count) == ()


def test_periods_before_a_terminated_subscription_ends_at_the_termination():
    """Asked after the termination, the newest period ends at the termination instant."""
    sub = subscription("monthly", "2024-01-01T00:00:00Z", terminated_at="2024-03-09T10:00:00Z")
    periods = periods_before(sub, "2025-01-01T00:00:00Z", 2)
    assert [(p.charges_from_datetime, p.charges_to_datetime, p.terminated_at) for p in periods] == [
        (utc(2024, 3, 1), utc(2024, 3, 9, 10), utc(2024, 3, 9, 10)),
        (utc(2024, 2, 1), end_of(2024, 2, 29), None),
    ]


def test_periods_before_steps_by_month_with_monthly_charges():
    """A yearly plan billing charges monthly walks back month by month."""
    sub = subscription("yearly", "2023-01-01T00:00:00Z", charges_monthly=True)
    periods = periods_before(sub, "2024-02-10T00:00:00Z", 3)
    assert [(p.charges_from_datetime, p.from_datetime) for p in periods] == [
        (utc(2024, 1, 1), utc(2024, 1, 1)),
        (utc(2023, 12, 1), utc(2023, 1, 1)),
        (utc(2023, 11, 1), utc(2023, 1, 1)),
    ]


# --- 8.1 ceil_days -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "zone", "days"),
    [
        pytest.param(
            utc(2025, 1, 1), utc(2025, 1, 10, 23, 59, 59), "UTC", 10, id="Jan 10 23:59:59 is 10"
        ),
        pytest.param(utc(2025, 1, 1), utc(2025, 1, 11), "UTC", 11, id="midnight Jan 11 is 11"),
        pytest.param(
            utc(2025, 1, 1, 5),
            utc(2025, 1, 11, 5),
            "America/New_York",
            11,
            id="New York from + 10 days is 11",
        ),
        pytest.param(
            utc(2025, 1, 1, 5),
            utc(2025, 2, 1, 4, 59, 59),
            "America/New_York",
            31,
            id="New York January is 31",
        ),
    ],
)
def test_ceil_days_projection_service_spec(start, end, zone, days):
    """ceil_days counts local days, today as a full day (projection_service_spec)."""
    assert ceil_days(start, end, zone) == days


def test_ceil_days_at_the_same_midnight_counts_one_day():
    """From a local midnight to itself the added second makes one day."""
    assert ceil_days(utc(2025, 1, 1), utc(2025, 1, 1), "UTC") == 1


def test_ceil_days_accepts_a_tzinfo():
    """A ZoneInfo works as well as its name."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/New_York")
    assert ceil_days(utc(2025, 1, 1, 5), utc(2025, 1, 11, 5), zone) == 11


# --- bad input -----------------------------------------------------------------------------


def test_at_before_the_start_is_refused():
    """Asking before started_at names `at` and the start instant."""
    sub = subscription("monthly", "2022-03-07T10:00:00Z")
    with pytest.raises(InvalidInput) as caught:
        billing_period(sub, "2022-03-07T09:59:59Z")
    assert caught.value.path == "at"
    assert str(caught.value) == (
        "at: is before the subscription started, at 2022-03-07T10:00:00Z "
        "(got '2022-03-07T09:59:59Z')"
    )


def test_at_after_the_termination_is_refused():
    """Asking after terminated_at says the subscription was terminated."""
    sub = subscription("monthly", "2022-01-01T00:00:00Z", terminated_at="2022-03-09T10:30:00Z")
    with pytest.raises(InvalidInput) as caught:
        billing_period(sub, "2022-03-09T10:30:00.000001Z")
    assert caught.value.path == "at"
    assert str(caught.value) == (
        "at: is after the subscription was terminated, at 2022-03-09T10:30:00Z "
        "(got '2022-03-09T10:30:00.000001Z')"
    )


@pytest.mark.parametrize(
    ("at", "message"),
    [
        pytest.param(
            "yesterday",
            "at: must be an ISO 8601 datetime such as '2024-03-01T00:00:00Z' or unix seconds "
            "(got 'yesterday')",
            id="text",
        ),
        pytest.param(
            True,
            "at: must be an ISO 8601 datetime or unix seconds, not a boolean (got True)",
            id="boolean",
        ),
        pytest.param(
            None, "at: must be an ISO 8601 datetime or unix seconds (got None)", id="none"
        ),
        pytest.param(
            "9999-06-01T00:00:00Z",
            "at: is outside the supported years 0002 to 9997 (got '9999-06-01T00:00:00Z')",
            id="out of range",
        ),
    ],
)
def test_bad_at_is_refused(at, message):
    """A value that is not an instant names `at`."""
    sub = subscription("monthly", "2022-01-01T00:00:00Z")
    with pytest.raises(InvalidInput) as caught:
        billing_period(sub, at)
    assert (caught.value.path, str(caught.value)) == ("at", message)


def test_at_as_unix_seconds():
    """Unix seconds are read as UTC instants."""
    sub = subscription("monthly", "2022-01-01T00:00:00Z")
    assert charges_window(sub, 1_646_611_200) == (utc(2022, 3, 1), end_of(2022, 3, 31))


def test_missing_plan_is_refused():
    """A subscription with only plan_code and no plan= names subscription.plan."""
    sub = subscription("monthly", "2022-01-01T00:00:00Z")
    del sub["plan"]
    sub["plan_code"] = "plan"
    with pytest.raises(InvalidInput) as caught:
        billing_period(sub, "2022-02-01T00:00:00Z")
    assert caught.value.path == "subscription.plan"
    assert str(caught.value) == (
        "subscription.plan: is missing: give the subscription its plan, or pass plan="
    )


def test_plan_keyword_supplies_the_plan():
    """plan= completes a subscription that has only plan_code."""
    sub = subscription("monthly", "2022-01-01T00:00:00Z")
    plan = sub.pop("plan")
    sub["plan_code"] = "plan"
    period = billing_period(sub, "2022-02-10T00:00:00Z", plan=plan)
    assert (period.charges_from_datetime, period.charges_to_datetime) == (
        utc(2022, 2, 1),
        end_of(2022, 2, 28),
    )


def test_plan_keyword_with_another_code_is_refused():
    """plan= must be the plan named by subscription.plan_code."""
    sub = subscription("monthly", "2022-01-01T00:00:00Z")
    plan = {**sub.pop("plan"), "code": "other"}
    sub["plan_code"] = "plan"
    with pytest.raises(InvalidInput) as caught:
        billing_period(sub, "2022-02-10T00:00:00Z", plan=plan)
    assert (
        str(caught.value) == "plan.code: does not match subscription.plan_code 'plan' (got 'other')"
    )


def test_plan_keyword_differing_from_the_embedded_plan_is_refused():
    """A plan given twice must be the same plan."""
    sub = subscription("monthly", "2022-01-01T00:00:00Z")
    plan = {**sub["plan"], "interval": "yearly"}
    with pytest.raises(InvalidInput) as caught:
        billing_period(sub, "2022-02-10T00:00:00Z", plan=plan)
    assert caught.value.path == "plan"


def test_bad_subscription_is_refused():
    """A subscription without external_id names subscription.external_id."""
    sub = subscription("monthly", "2022-01-01T00:00:00Z")
    del sub["external_id"]
    with pytest.raises(InvalidInput) as caught:
        billing_period(sub, "2022-02-10T00:00:00Z")
    assert caught.value.path == "subscription.external_id"


def test_previous_period_of_the_first_period_is_refused():
    """There is no period before the subscription's first one."""
    sub = subscription("monthly", "2022-01-15T00:00:00Z")
    first = billing_period(sub, "2022-01-20T00:00:00Z")
    with pytest.raises(InvalidInput) as caught:
        previous_period(sub, first)
    assert str(caught.value) == (
        "period: is the first period: the subscription started at 2022-01-15T00:00:00Z "
        "(got '2022-01-15T00:00:00Z')"
    )


def test_next_period_after_the_termination_is_refused():
    """There is no period after the one cut by the termination."""
    sub = subscription("monthly", "2022-01-01T00:00:00Z", terminated_at="2022-03-09T10:30:00Z")
    last = billing_period(sub, "2022-03-01T00:00:00Z")
    with pytest.raises(InvalidInput) as caught:
        next_period(sub, last)
    assert str(caught.value) == (
        "period: is the last period: the subscription was terminated at 2022-03-09T10:30:00Z "
        "(got '2022-03-09T10:30:00Z')"
    )


def test_period_of_another_subscription_is_refused():
    """Walking from another subscription's period names period.external_subscription_id."""
    sub = subscription("monthly", "2022-01-01T00:00:00Z")
    period = billing_period(sub, "2022-03-01T00:00:00Z")
    other = {**sub, "external_id": "sub_2"}
    with pytest.raises(InvalidInput) as caught:
        next_period(other, period)
    assert str(caught.value) == (
        "period.external_subscription_id: does not match subscription.external_id 'sub_2' "
        "(got 'sub_1')"
    )


@pytest.mark.parametrize("count", [-1, 1.5, True, "3"])
def test_bad_count_is_refused(count):
    """periods_before wants a whole number of periods."""
    sub = subscription("monthly", "2022-01-01T00:00:00Z")
    with pytest.raises(InvalidInput) as caught:
        periods_before(sub, "2022-06-01T00:00:00Z", count)
    assert (
        str(caught.value) == f"count: must be a whole number of periods, 0 or more (got {count!r})"
    )


@pytest.mark.parametrize(
    ("start", "end", "zone", "path"),
    [
        pytest.param(datetime(2025, 1, 1), utc(2025, 1, 2), "UTC", "start", id="naive start"),
        pytest.param(utc(2025, 1, 1), "2025-01-02", "UTC", "end", id="text end"),
        pytest.param(utc(2025, 1, 1), utc(2025, 1, 2), "Mars/Olympus", "zone", id="bad zone"),
    ],
)
def test_ceil_days_bad_input_is_refused(start, end, zone, path):
    """ceil_days wants aware datetimes and a known zone."""
    with pytest.raises(InvalidInput) as caught:
        ceil_days(start, end, zone)
    assert caught.value.path == path


def test_walking_from_a_period_printed_without_its_timezone():
    """Lago's printed period without its timezone still stands for the subscription's period.

    Its end, 06:59:59 UTC, no longer reads as a local 23:59:59: next_period used to return the
    same March period again.
    """
    sub = subscription("monthly", "2024-01-01T00:00:00Z", timezone="America/Los_Angeles")
    march = billing_period(sub, "2024-03-10T00:00:00Z")
    printed = {key: value for key, value in march.to_lago().items() if key != "timezone"}
    assert next_period(sub, printed) == billing_period(sub, "2024-04-10T00:00:00Z")
    assert previous_period(sub, printed) == billing_period(sub, "2024-02-10T00:00:00Z")


def test_a_period_that_is_not_the_subscriptions_is_refused():
    """Walking from a period off the subscription's calendar would overlap its periods."""
    sub = subscription("monthly", "2024-01-15T00:00:00Z", billing_time="anniversary")
    january = {
        "external_subscription_id": "sub_1",
        "from_datetime": "2024-02-01T00:00:00Z",
        "to_datetime": "2024-02-29T23:59:59Z",
    }
    with pytest.raises(InvalidInput) as caught:
        next_period(sub, january)
    assert (caught.value.path, caught.value.value) == (
        "period",
        "2024-02-01T00:00:00Z to 2024-02-29T23:59:59.999999Z",
    )
    assert caught.value.errors[0].message == (
        "is not a period of subscription 'sub_1': its period ending then runs from "
        "2024-02-15T00:00:00Z to 2024-03-14T23:59:59.999999Z"
    )


def test_a_period_before_the_subscription_is_refused():
    """A period before the start used to raise pydantic's ValidationError from next_period."""
    sub = subscription("monthly", "2024-02-01T00:00:00Z")
    early = {
        "external_subscription_id": "sub_1",
        "from_datetime": "2020-01-01T00:00:00Z",
        "to_datetime": "2020-01-31T23:59:59Z",
    }
    for walk in (next_period, previous_period):
        with pytest.raises(InvalidInput) as caught:
            walk(sub, early)
        assert str(caught.value) == (
            "period: is outside the subscription's life (it started at 2024-02-01T00:00:00Z) "
            "(got '2020-01-01T00:00:00Z to 2020-01-31T23:59:59.999999Z')"
        )


# --- 1.4 the internal from_datetime of a first partial period --------------------------------

INTERVALS = ["weekly", "monthly", "quarterly", "semiannual", "yearly"]


@pytest.mark.parametrize("interval", INTERVALS)
@pytest.mark.parametrize(
    ("timezone", "subscription_at", "at", "day_start"),
    [
        pytest.param(
            "UTC", "2022-02-07T05:00:00Z", "2022-02-08T12:00:00Z", utc(2022, 2, 7), id="UTC"
        ),
        # 2022-04-07T00:00Z is the evening of 6 April in New York, whose day began at 04:00Z.
        pytest.param(
            "America/New_York",
            "2022-04-07T00:00:00Z",
            "2022-04-07T12:00:00Z",
            utc(2022, 4, 6, 4),
            id="New York",
        ),
    ],
)
def test_first_partial_period_starts_at_the_local_day_start(
    interval, timezone, subscription_at, at, day_start
):
    """Spec 1.4: charges start at the exact start instant, from_datetime at its local midnight,
    for every interval, in the model and as to_lago() prints it."""
    sub = subscription(interval, subscription_at, timezone=timezone)
    period = billing_period(sub, at)
    started = datetime.fromisoformat(subscription_at)
    assert (period.from_datetime, period.charges_from_datetime) == (day_start, started)
    assert period.to_lago()["from_datetime"] == lago_datetime(day_start)
    assert period.to_lago()["charges_from_datetime"] == subscription_at
    for walked in (
        periods_before(sub, period.charges_to_datetime, 1)[0],
        previous_period(sub, next_period(sub, period)),
    ):
        assert (walked.from_datetime, walked.charges_from_datetime) == (day_start, started)


@pytest.mark.parametrize(
    ("interval", "timezone", "subscription_at", "at", "day_start", "duration"),
    [
        pytest.param(
            "monthly",
            "UTC",
            "2022-02-07T05:00:00Z",
            "2022-02-15T12:00:00Z",
            utc(2022, 2, 7),
            28,
            id="monthly UTC",
        ),
        pytest.param(
            "quarterly",
            "America/New_York",
            "2022-04-07T00:00:00Z",
            "2022-05-15T12:00:00Z",
            utc(2022, 4, 6, 4),
            91,
            id="quarterly New York",
        ),
    ],
)
def test_a_printed_period_reads_back_its_subscription_period(
    interval, timezone, subscription_at, at, day_start, duration
):
    """to_lago() shows the charges bounds as from/to (spec 10.1) and the subscription period
    apart: read back, the period keeps its local-midnight from_datetime (1.4) and its whole
    duration (1.8). It came back with the exact start instant and the partial days."""
    period = billing_period(subscription(interval, subscription_at, timezone=timezone), at)
    printed = json.loads(json.dumps(period.to_lago()))
    again = BillingPeriod.model_validate(printed)
    assert (again.from_datetime, again.charges_from_datetime) == (
        day_start,
        datetime.fromisoformat(subscription_at),
    )
    assert (again.to_datetime, again.charges_to_datetime) == (
        period.to_datetime,
        period.charges_to_datetime,
    )
    assert again.charges_duration_days == period.charges_duration_days == duration
    assert again.to_lago() == period.to_lago()


def test_a_printed_monthly_charges_period_keeps_its_year():
    """Under bill_charges_monthly the printed subscription period is the year (1.7)."""
    sub = subscription("yearly", "2025-01-01T00:00:00Z", charges_monthly=True)
    june = billing_period(sub, "2025-06-15T00:00:00Z")
    again = BillingPeriod.model_validate(june.to_lago())
    assert (again.from_datetime, again.to_datetime) == (utc(2025, 1, 1), end_of(2025, 12, 31))
    assert (again.charges_from_datetime, again.charges_to_datetime) == (
        utc(2025, 6, 1),
        end_of(2025, 6, 30),
    )
    assert (again.charges_duration_days, again.issuing_date) == (30, date(2025, 12, 31))


@settings(max_examples=200, deadline=None)
@given(subscriptions_and_instants())
def test_from_datetime_is_the_local_midnight_of_the_period_or_of_the_start(case):
    """from_datetime is a local day start: the period's first day, or in a first partial
    period the start's day (1.4); the charges start at the later of it and started_at."""
    sub, at = case
    period = billing_period(sub, at)
    zone = sub.zone
    day = period.from_datetime.astimezone(zone).date()
    assert (period.from_datetime - timedelta(microseconds=1)).astimezone(zone).date() < day
    if period.charges_from_datetime == sub.started_at:
        assert day == sub.started_at.astimezone(zone).date()
    else:
        assert period.charges_from_datetime >= period.from_datetime
    assert period.from_datetime <= period.charges_from_datetime
    again = BillingPeriod.model_validate(period.to_lago())
    assert (again.from_datetime, again.charges_duration_days) == (
        period.from_datetime,
        period.charges_duration_days,
    )


# --- the edges of the supported years ----------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "timezone", "subscription_at", "at", "message"),
    [
        pytest.param(
            "yearly",
            "America/New_York",
            "2024-01-01T00:00:00Z",
            "9997-06-01T00:00:00Z",
            "at: falls in a period that ends at 9998-01-01T04:59:59Z, after the supported "
            "years 0002 to 9997 (got '9997-06-01T00:00:00Z')",
            id="yearly New York",
        ),
        pytest.param(
            "weekly",
            "UTC",
            "2024-01-01T00:00:00Z",
            "9997-12-31T00:00:00Z",
            "at: falls in a period that ends at 9998-01-04T23:59:59Z, after the supported "
            "years 0002 to 9997 (got '9997-12-31T00:00:00Z')",
            id="weekly UTC",
        ),
        pytest.param(
            "monthly",
            "Asia/Tokyo",
            "0002-01-01T00:00:00Z",
            "0002-01-01T12:00:00Z",
            "subscription.subscription_at: starts on a local day that begins at "
            "0001-12-31T14:41:01Z, before the supported years 0002 to 9997 "
            "(got '0002-01-01T00:00:00Z')",
            id="first day in year 1 in Tokyo",
        ),
    ],
)
def test_a_period_past_the_supported_years_is_refused(
    interval, timezone, subscription_at, at, message
):
    """A period whose bounds leave the years 0002-9997 used to raise pydantic's
    ValidationError; the argument that selected it is named instead."""
    sub = subscription(interval, subscription_at, timezone=timezone)
    with pytest.raises(InvalidInput) as caught:
        billing_period(sub, at)
    assert str(caught.value) == message
    assert len(caught.value.errors) == 1


def test_a_started_at_in_year_1_local_names_started_at():
    """An upgraded subscription is named by its own start, started_at."""
    sub = subscription(
        "monthly",
        "0002-01-01T00:00:00Z",
        started_at="0002-01-01T01:00:00Z",
        timezone="Asia/Tokyo",
    )
    with pytest.raises(InvalidInput) as caught:
        billing_period(sub, "0002-01-05T00:00:00Z")
    assert (caught.value.path, caught.value.value) == (
        "subscription.started_at",
        "0002-01-01T01:00:00Z",
    )


def test_walking_past_the_supported_years_is_refused():
    """next_period of December 9997 (UTC) names the period; previous_period of the period
    after a first day in year 1 names the subscription's start."""
    sub = subscription("monthly", "2024-01-01T00:00:00Z")
    december = billing_period(sub, "9997-12-15T00:00:00Z")
    assert december.charges_to_datetime == end_of(9997, 12, 31)
    with pytest.raises(InvalidInput) as caught:
        next_period(sub, december)
    assert str(caught.value) == (
        "period: is followed by a period that ends at 9998-01-31T23:59:59Z, after the "
        "supported years 0002 to 9997 (got '9997-12-31T23:59:59.999999Z')"
    )
    tokyo = subscription("monthly", "0002-01-01T00:00:00Z", timezone="Asia/Tokyo")
    february = {
        "external_subscription_id": "sub_1",
        "from_datetime": "0002-01-31T14:41:01Z",
        "to_datetime": "0002-02-28T14:41:00.999999Z",
        "timezone": "Asia/Tokyo",
    }
    assert billing_period(tokyo, "0002-02-10T00:00:00Z").to_datetime == datetime.fromisoformat(
        february["to_datetime"]
    )
    with pytest.raises(InvalidInput) as caught:
        previous_period(tokyo, february)
    assert caught.value.path == "subscription.subscription_at"


def test_periods_before_the_end_of_the_years_skips_the_open_period():
    """The period containing `at` has not ended and may end past 9997: it is not built."""
    sub = subscription("yearly", "2024-01-01T00:00:00Z", timezone="America/New_York")
    periods = periods_before(sub, "9997-12-31T12:00:00Z", 2)
    assert [(p.charges_from_datetime, p.charges_to_datetime) for p in periods] == [
        (utc(9996, 1, 1, 5), utc(9997, 1, 1, 4, 59, 59, 999999)),
        (utc(9995, 1, 1, 5), utc(9996, 1, 1, 4, 59, 59, 999999)),
    ]


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(INTERVALS),
    st.sampled_from(["calendar", "anniversary"]),
    st.sampled_from(["UTC", "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati"]),
    st.booleans(),
    st.integers(0, 400 * 86_400_000_000),
    st.integers(0, 400 * 86_400_000_000),
)
def test_periods_at_the_edges_of_the_years_are_periods_or_invalid_input(
    interval, billing_time, timezone, late, start_offset, at_offset
):
    """Within a year of either edge, every call returns a period or raises InvalidInput."""
    if late:
        started = utc(9996, 11, 1) + timedelta(microseconds=start_offset)
        at = min(started + timedelta(microseconds=at_offset), end_of(9997, 12, 31))
    else:
        started = utc(2, 1, 1) + timedelta(microseconds=start_offset)
        at = started + timedelta(microseconds=at_offset)
    sub = subscription(interval, started.isoformat(), billing_time=billing_time, timezone=timezone)
    refused = _refusal(billing_period, sub, at)
    if refused is not None:
        assert refused in {"at", "subscription.subscription_at"}
        return
    period = billing_period(sub, at)
    assert period.charges_from_datetime <= at <= period.charges_to_datetime
    for walk in (next_period, previous_period):
        assert _refusal(walk, sub, period) in {None, "period", "subscription.subscription_at"}
    # The first period may start in year 1 local time; `at` is always within the years.
    assert _refusal(periods_before, sub, at, 3) in {None, "subscription.subscription_at"}


def _refusal(call: Any, *args: Any) -> str | None:
    """The path an InvalidInput names, or None when the call succeeds."""
    try:
        call(*args)
    except InvalidInput as error:
        return error.path
    return None


# --- how many periods periods_before gives ------------------------------------------------------


def test_a_count_beyond_the_maximum_is_refused_when_the_life_holds_more():
    """A weekly subscription since year 2 has ~417 000 periods: asking for 10**9 built them
    all (seconds, hundreds of MB); it is refused after MAX_PERIODS instead."""
    sub = subscription("weekly", "0002-01-01T00:00:00Z")
    with pytest.raises(InvalidInput) as caught:
        periods_before(sub, "9997-06-01T00:00:00Z", 10**9)
    assert str(caught.value) == (
        "count: is more than 1000, the most periods one call returns, and more than 1000 "
        "periods ended by 9997-06-01T00:00:00Z (got 1000000000)"
    )
    assert MAX_PERIODS == 1000
    periods = periods_before(sub, "9997-06-01T00:00:00Z", MAX_PERIODS)
    assert len(periods) == MAX_PERIODS
    assert periods[-1].charges_from_datetime == utc(9978, 3, 27)


@pytest.mark.parametrize("count", [MAX_PERIODS + 1, 10**9])
def test_a_count_beyond_the_life_gives_every_period(count):
    """A count larger than the periods the life holds gives them all, as Lago's periods_count."""
    sub = subscription("weekly", "2024-01-01T00:00:00Z")
    periods = periods_before(sub, "2024-02-01T00:00:00Z", count)
    assert [p.charges_from_datetime for p in periods] == [
        utc(2024, 1, 22),
        utc(2024, 1, 15),
        utc(2024, 1, 8),
        utc(2024, 1, 1),
    ]


def test_exactly_the_maximum_number_of_periods_in_the_life_is_given():
    """A life of exactly MAX_PERIODS ended periods gives them all, whatever the count."""
    sub = subscription("weekly", "2024-01-01T00:00:00Z")
    at = utc(2024, 1, 1) + timedelta(weeks=MAX_PERIODS)
    periods = periods_before(sub, at, 10**9)
    assert len(periods) == MAX_PERIODS
    assert periods[-1].charges_from_datetime == utc(2024, 1, 1)
    with pytest.raises(InvalidInput) as caught:
        periods_before(sub, at + timedelta(weeks=1), 10**9)
    assert caught.value.path == "count"


def test_rate_subscriptions_and_the_command_line_refuse_a_period_past_9997(tmp_path, capsys):
    """rate_subscriptions and `usage-engine period` raised pydantic's ValidationError ("internal
    error", exit 1); now the instant is named, and the command exits 2 with one line."""
    sub = subscription("yearly", "2024-01-01T00:00:00Z", timezone="America/New_York")
    with pytest.raises(InvalidInput) as caught:
        rate_subscriptions([sub], [], now="9997-06-01T00:00:00Z")
    assert str(caught.value) == (
        "now (subscriptions[0] 'sub_1'): falls in a period that ends at 9998-01-01T04:59:59Z, "
        "after the supported years 0002 to 9997 (got '9997-06-01T00:00:00Z')"
    )
    path = tmp_path / "subscription.json"
    path.write_text(json.dumps({"subscription": sub}))
    status = main(["period", "--subscription", str(path), "--at", "9997-06-01T00:00:00Z"])
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err == (
        "usage-engine: --at: falls in a period that ends at 9998-01-01T04:59:59Z, after the "
        "supported years 0002 to 9997 (got '9997-06-01T00:00:00Z')\n"
    )
