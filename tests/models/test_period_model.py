"""BillingPeriod as an input: parsing a period mapping, its Lago rendering and its validation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from usage_engine._coerce import as_period
from usage_engine.errors import NO_VALUE
from usage_engine.models import BillingPeriod, BillingTime, PlanInterval
from usage_engine.models.period import lago_datetime

from . import invalid


def period_payload(**changes: Any) -> dict[str, Any]:
    """March 2024 of a monthly calendar subscription in Paris, as a plain mapping."""
    payload: dict[str, Any] = {
        "external_subscription_id": "sub_1",
        "from_datetime": "2024-02-29T23:00:00Z",
        "to_datetime": "2024-03-31T21:59:59.999999Z",
        "charges_from_datetime": "2024-02-29T23:00:00Z",
        "charges_to_datetime": "2024-03-31T21:59:59.999999Z",
        "charges_duration_days": 31,
        "timezone": "Europe/Paris",
        "interval": "monthly",
        "issuing_date": "2024-04-01",
        "subscription_at": "2024-01-10T08:00:00Z",
    }
    payload.update(changes)
    return payload


def test_period_mapping_parses_to_exact_instants() -> None:
    """A period mapping parses to aware UTC instants; started_at defaults to subscription_at."""
    period = as_period(period_payload())
    assert (period.from_datetime, period.to_datetime) == (
        datetime(2024, 2, 29, 23, tzinfo=UTC),
        datetime(2024, 3, 31, 21, 59, 59, 999_999, tzinfo=UTC),
    )
    assert (period.interval, period.billing_time, period.issuing_date) == (
        PlanInterval.MONTHLY,
        BillingTime.CALENDAR,
        date(2024, 4, 1),
    )
    assert period.started_at == period.subscription_at == datetime(2024, 1, 10, 8, tzinfo=UTC)
    assert period.terminated_at is None


def test_period_renders_as_lago_prints_it() -> None:
    """to_lago prints every instant to the second in Z, as Lago's usage response does."""
    assert as_period(period_payload()).to_lago() == {
        "external_subscription_id": "sub_1",
        "from_datetime": "2024-02-29T23:00:00Z",
        "to_datetime": "2024-03-31T21:59:59Z",
        "charges_from_datetime": "2024-02-29T23:00:00Z",
        "charges_to_datetime": "2024-03-31T21:59:59Z",
        "charges_duration": 31,
        "issuing_date": "2024-04-01",
        "timezone": "Europe/Paris",
    }


def test_lago_datetime_truncates_to_the_second() -> None:
    """lago_datetime drops the microseconds of a period end rather than rounding them up."""
    assert lago_datetime(datetime(2024, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)) == (
        "2024-12-31T23:59:59Z"
    )


def test_period_round_trips_through_json() -> None:
    """A period dumped to JSON validates back to an equal period."""
    period = as_period(period_payload(terminated_at="2024-03-15T10:30:00Z"))
    assert BillingPeriod.model_validate(period.model_dump(mode="json")) == period


BAD_PERIODS = [
    pytest.param(
        {"charges_duration_days": 0},
        "period.charges_duration_days",
        "must be greater than 0",
        0,
        id="a period must last at least one day",
    ),
    pytest.param(
        {"to_datetime": "2024-02-01T00:00:00Z"},
        "period.to_datetime",
        "must not be before from_datetime 2024-02-29T23:00:00Z",
        "2024-02-01T00:00:00+00:00",
        id="a period cannot end before it starts",
    ),
    pytest.param(
        {"charges_to_datetime": "2024-02-01T00:00:00Z"},
        "period.charges_to_datetime",
        "must not be before charges_from_datetime 2024-02-29T23:00:00Z",
        "2024-02-01T00:00:00+00:00",
        id="a charges window cannot end before it starts",
    ),
    pytest.param(
        {"timezone": "Paris"},
        "period.timezone",
        "is not an IANA timezone name such as 'Europe/Paris' or 'UTC'",
        "Paris",
        id="a period's timezone must be an IANA name",
    ),
    pytest.param(
        {"interval": "monthy"},
        "period.interval",
        "unknown interval; expected one of weekly, monthly, quarterly, semiannual, yearly. "
        "Did you mean 'monthly'?",
        "monthy",
        id="a misspelt interval suggests the closest one",
    ),
    pytest.param(
        {"issuing_date": "April 1st"},
        "period.issuing_date",
        "must be a date such as '2024-03-31'",
        "April 1st",
        id="an issuing date that is not a date is refused",
    ),
    pytest.param(
        {"subscription_from_datetime": "March"},
        "period.subscription_from_datetime",
        "must be an ISO 8601 datetime such as '2024-03-01T00:00:00Z' or unix seconds",
        "March",
        id="a printed subscription start must be an instant",
    ),
    pytest.param(
        {"charges_duration": True},
        "period.charges_duration",
        "must be a whole number of days, 1 or more",
        True,
        id="a printed duration must be a whole number of days",
    ),
    pytest.param(
        {"external_subscription_id": ""},
        "period.external_subscription_id",
        "must not be empty",
        "",
        id="a period needs a subscription id",
    ),
]


@pytest.mark.parametrize(("changes", "path", "message", "value"), BAD_PERIODS)
def test_bad_period_is_refused(
    changes: dict[str, Any], path: str, message: str, value: Any
) -> None:
    """Each period rule reports one problem: its field path, message and value."""
    err = invalid(as_period, period_payload(**changes))
    shown = "" if value is NO_VALUE else f" (got {value!r})"
    assert str(err) == f"{path}: {message}{shown}"
    assert (err.path, err.value) == (path, None if value is NO_VALUE else value)
    assert len(err.errors) == 1


def test_a_period_written_by_hand_derives_what_it_lacks() -> None:
    """Charges bounds, duration, issuing date and start default from the period's bounds."""
    period = as_period(
        {
            "external_subscription_id": "sub_1",
            "from_datetime": "2024-03-01T00:00:00+01:00",
            "to_datetime": "2024-03-31T21:59:59Z",
            "timezone": "Europe/Paris",
        }
    )
    assert period.charges_from_datetime == datetime(2024, 2, 29, 23, tzinfo=UTC)
    assert period.charges_to_datetime == datetime(2024, 3, 31, 21, 59, 59, 999999, tzinfo=UTC)
    assert (period.charges_duration_days, period.issuing_date) == (31, date(2024, 3, 31))
    assert period.subscription_at == period.started_at == period.charges_from_datetime
    assert period.interval is None


def test_an_end_inside_the_day_is_kept_as_given() -> None:
    """Only a local 23:59:59 end is read as the end of that second (a termination is exact)."""
    period = as_period(
        {
            "external_subscription_id": "sub_1",
            "from_datetime": "2024-03-01T00:00:00Z",
            "to_datetime": "2024-03-09T12:00:00Z",
            "charges_duration_days": 31,
        }
    )
    assert period.to_datetime == datetime(2024, 3, 9, 12, tzinfo=UTC)


def test_a_printed_first_partial_period_reads_back_as_it_was() -> None:
    """to_lago() prints the subscription period as from/to and the charges bounds apart; the
    whole period's duration is read back from charges_duration."""
    period = as_period(
        period_payload(
            from_datetime="2024-03-09T23:00:00Z",
            charges_from_datetime="2024-03-10T08:15:00Z",
            subscription_at="2024-03-10T08:15:00Z",
        )
    )
    printed = period.to_lago()
    assert (printed["from_datetime"], printed["charges_from_datetime"]) == (
        "2024-03-09T23:00:00Z",
        "2024-03-10T08:15:00Z",
    )
    again = BillingPeriod.model_validate(printed)
    assert (again.from_datetime, again.charges_from_datetime) == (
        datetime(2024, 3, 9, 23, tzinfo=UTC),
        datetime(2024, 3, 10, 8, 15, tzinfo=UTC),
    )
    assert (again.to_datetime, again.charges_duration_days) == (period.to_datetime, 31)
    assert again.to_lago() == printed


def test_a_period_printed_with_subscription_bounds_still_reads_back() -> None:
    """The earlier printed shape (charges bounds as from/to, subscription_*_datetime for the
    subscription period) reads back as the period it was."""
    earlier = {
        "external_subscription_id": "sub_1",
        "from_datetime": "2024-03-10T08:15:00Z",
        "to_datetime": "2024-03-31T21:59:59Z",
        "charges_from_datetime": "2024-03-10T08:15:00Z",
        "charges_to_datetime": "2024-03-31T21:59:59Z",
        "charges_duration": 31,
        "subscription_from_datetime": "2024-03-09T23:00:00Z",
        "subscription_to_datetime": "2024-03-31T21:59:59Z",
        "issuing_date": "2024-04-01",
        "timezone": "Europe/Paris",
    }
    again = BillingPeriod.model_validate(earlier)
    assert (again.from_datetime, again.charges_from_datetime, again.charges_duration_days) == (
        datetime(2024, 3, 9, 23, tzinfo=UTC),
        datetime(2024, 3, 10, 8, 15, tzinfo=UTC),
        31,
    )
