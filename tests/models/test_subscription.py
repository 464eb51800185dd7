"""Subscription: its anchor instants, timezone, billing time and their validation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from usage_engine._coerce import as_subscription
from usage_engine.errors import NO_VALUE
from usage_engine.models import BillingTime, Subscription

from . import invalid, plan_payload

ZONE = "is not an IANA timezone name such as 'Europe/Paris' or 'UTC'"


def subscription_payload(**changes: Any) -> dict[str, Any]:
    """A valid calendar subscription started 2024-02-29 09:00 UTC, carrying its plan."""
    payload: dict[str, Any] = {
        "external_id": "sub_1",
        "plan": plan_payload(),
        "subscription_at": "2024-02-29T10:00:00+01:00",
    }
    payload.update(changes)
    return payload


def test_subscription_parses_with_defaults() -> None:
    """A minimal subscription is calendar-billed in UTC, started at its subscription_at."""
    sub = as_subscription(subscription_payload())
    expected = datetime(2024, 2, 29, 9, 0, tzinfo=UTC)
    assert (sub.subscription_at, sub.started_at) == (expected, expected)
    assert (sub.billing_time, sub.timezone, sub.ending_at, sub.terminated_at) == (
        BillingTime.CALENDAR,
        "UTC",
        None,
        None,
    )
    assert sub.plan is not None
    assert sub.plan.code == "startup"


@pytest.mark.parametrize(
    ("instants", "anchor", "started"),
    [
        pytest.param(
            {"subscription_at": None, "started_at": "2024-01-15T08:00:00Z"},
            datetime(2024, 1, 15, 8, tzinfo=UTC),
            datetime(2024, 1, 15, 8, tzinfo=UTC),
            id="started_at alone stands for subscription_at",
        ),
        pytest.param(
            {"subscription_at": "2024-01-15T08:00:00Z", "started_at": "2024-03-01T00:00:00Z"},
            datetime(2024, 1, 15, 8, tzinfo=UTC),
            datetime(2024, 3, 1, tzinfo=UTC),
            id="an upgraded subscription keeps both instants",
        ),
        pytest.param(
            {"subscription_at": "2024-01-15T08:00:00"},
            datetime(2024, 1, 15, 8, tzinfo=UTC),
            datetime(2024, 1, 15, 8, tzinfo=UTC),
            id="a naive ISO datetime is read as UTC",
        ),
        pytest.param(
            {"subscription_at": 1_705_305_600},
            datetime(2024, 1, 15, 8, tzinfo=UTC),
            datetime(2024, 1, 15, 8, tzinfo=UTC),
            id="unix seconds are read as UTC",
        ),
        pytest.param(
            {"subscription_at": datetime(2024, 1, 15, 9, tzinfo=ZoneInfo("Europe/Paris"))},
            datetime(2024, 1, 15, 8, tzinfo=UTC),
            datetime(2024, 1, 15, 8, tzinfo=UTC),
            id="an aware datetime is converted to UTC",
        ),
    ],
)
def test_anchor_instants(instants: dict[str, Any], anchor: datetime, started: datetime) -> None:
    """subscription_at and started_at parse to aware UTC instants, each standing for the other."""
    sub = as_subscription(subscription_payload(**instants))
    assert (sub.subscription_at, sub.started_at) == (anchor, started)
    assert sub.subscription_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        pytest.param({"timezone": "Asia/Kolkata"}, "Asia/Kolkata", id="timezone is read"),
        pytest.param(
            {"timezone": None, "applicable_timezone": "Europe/Paris"},
            "Europe/Paris",
            id="Lago's applicable_timezone stands for timezone",
        ),
        pytest.param(
            {"customer": {"timezone": None, "applicable_timezone": "America/Chicago"}},
            "America/Chicago",
            id="an embedded customer's applicable_timezone is read",
        ),
        pytest.param(
            {"customer": {"timezone": "Asia/Tokyo"}},
            "Asia/Tokyo",
            id="an embedded customer's own timezone is read",
        ),
        pytest.param(
            {"timezone": "UTC", "customer": {"timezone": "Asia/Tokyo"}},
            "UTC",
            id="the subscription's own timezone wins",
        ),
        pytest.param({"customer": {"timezone": None}}, "UTC", id="no timezone at all means UTC"),
    ],
)
def test_timezone_sources(where: dict[str, Any], expected: str) -> None:
    """The timezone comes from the first place that sets it, else UTC."""
    sub = as_subscription(subscription_payload(**where))
    assert sub.timezone == expected
    assert sub.zone == ZoneInfo(expected)


def test_plan_code_alone_is_accepted() -> None:
    """A subscription may name its plan by code only (the plan then comes separately)."""
    sub = as_subscription(subscription_payload(plan=None, plan_code="startup"))
    assert (sub.plan, sub.plan_code) == (None, "startup")


def test_subscription_round_trips_through_json() -> None:
    """A subscription dumped to JSON validates back to an equal subscription."""
    sub = as_subscription(
        subscription_payload(
            started_at="2024-03-01T00:00:00Z",
            terminated_at="2024-05-01T12:30:00.250000Z",
            billing_time="anniversary",
            timezone="America/New_York",
        )
    )
    assert Subscription.model_validate(sub.model_dump(mode="json")) == sub


BAD_SUBSCRIPTIONS = [
    pytest.param(
        {"subscription_at": None},
        "subscription.subscription_at",
        "is required (Lago's started_at is accepted in its place)",
        NO_VALUE,
        id="a subscription with neither subscription_at nor started_at names the field once",
    ),
    pytest.param(
        {"subscription_at": None, "started_at": "yesterday"},
        "subscription.started_at",
        "must be an ISO 8601 datetime such as '2024-03-01T00:00:00Z' or unix seconds",
        "yesterday",
        id="a bad started_at standing for subscription_at is reported once, on started_at",
    ),
    pytest.param(
        {"subscription_at": "2024-02-30T00:00:00Z"},
        "subscription.subscription_at",
        "must be an ISO 8601 datetime such as '2024-03-01T00:00:00Z' or unix seconds",
        "2024-02-30T00:00:00Z",
        id="an impossible date is refused",
    ),
    pytest.param(
        {"subscription_at": True},
        "subscription.subscription_at",
        "must be an ISO 8601 datetime or unix seconds, not a boolean",
        True,
        id="a boolean instant is refused",
    ),
    pytest.param(
        {"subscription_at": float("nan")},
        "subscription.subscription_at",
        "must be a finite decimal number",
        pytest.approx(float("nan"), nan_ok=True),
        id="a NaN instant is refused",
    ),
    pytest.param(
        {"subscription_at": 10**15},
        "subscription.subscription_at",
        "is out of the supported range of datetimes",
        10**15,
        id="unix seconds beyond year 9999 are refused",
    ),
    pytest.param(
        {"ending_at": [2024]},
        "subscription.ending_at",
        "must be an ISO 8601 datetime or unix seconds",
        [2024],
        id="an ending_at that is a list is refused",
    ),
    pytest.param(
        {"timezone": "Europe/Pari"},
        "subscription.timezone",
        ZONE + ". Did you mean 'Europe/Paris'?",
        "Europe/Pari",
        id="an unknown timezone is refused",
    ),
    pytest.param(
        {"timezone": "utc"},
        "subscription.timezone",
        ZONE + ". Did you mean 'UTC'?",
        "utc",
        id="timezone names are case-sensitive",
    ),
    pytest.param(
        {"timezone": "America"},
        "subscription.timezone",
        ZONE,
        "America",
        id="a timezone region without a city is refused",
    ),
    pytest.param(
        {"timezone": "../../etc/passwd"},
        "subscription.timezone",
        ZONE,
        "../../etc/passwd",
        id="a path is not a timezone",
    ),
    pytest.param(
        {"timezone": 1},
        "subscription.timezone",
        "must be a string",
        1,
        id="a numeric timezone is refused",
    ),
    pytest.param(
        {"billing_time": "aniversary"},
        "subscription.billing_time",
        "unknown billing_time; expected one of calendar, anniversary. Did you mean 'anniversary'?",
        "aniversary",
        id="a misspelt billing_time suggests the closest one",
    ),
    pytest.param(
        {"plan_code": "premium"},
        "subscription.plan_code",
        "does not match plan.code 'startup'",
        "premium",
        id="a plan_code that contradicts the embedded plan is refused",
    ),
    pytest.param(
        {"terminated_at": "2024-02-01T00:00:00Z"},
        "subscription.terminated_at",
        "must not be before started_at 2024-02-29T09:00:00+00:00",
        "2024-02-01T00:00:00+00:00",
        id="a termination before the start is refused",
    ),
    pytest.param(
        {"external_id": ""},
        "subscription.external_id",
        "must not be empty",
        "",
        id="an empty external_id is refused",
    ),
    pytest.param(
        {"external_id": None},
        "subscription.external_id",
        "is required",
        NO_VALUE,
        id="a subscription needs an external_id",
    ),
    pytest.param(
        {"plan": plan_payload(amount_currency="EURO")},
        "subscription.plan.amount_currency",
        "is not a currency Lago accepts (ISO 4217 code such as 'EUR'). Did you mean 'EUR'?",
        "EURO",
        id="an error in the embedded plan has the plan's path",
    ),
]


@pytest.mark.parametrize(("changes", "path", "message", "value"), BAD_SUBSCRIPTIONS)
def test_bad_subscription_is_refused(
    changes: dict[str, Any], path: str, message: str, value: Any
) -> None:
    """Each subscription rule reports one problem: its field path, message and value."""
    err = invalid(as_subscription, subscription_payload(**changes))
    assert len(err.errors) == 1
    assert err.path == path
    assert err.errors[0].message == message
    assert err.errors[0].value == value
    if value is NO_VALUE:
        assert (str(err), err.value) == (f"{path}: {message}", None)
    else:
        assert str(err) == f"{path}: {message} (got {err.value!r})"


def test_overlong_timezone_is_refused_and_summarised() -> None:
    """An overlong timezone name is refused, and the message quotes only its start."""
    name = "Europe/" + "x" * 300
    err = invalid(as_subscription, subscription_payload(timezone=name))
    assert (err.path, err.value) == ("subscription.timezone", name)
    assert str(err) == f"subscription.timezone: {ZONE} (got 'Europe/{'x' * 69}... (309 characters))"
