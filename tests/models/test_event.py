"""Event: timestamps in every form Lago accepts, ids, properties, and their validation."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from usage_engine._coerce import as_model
from usage_engine.errors import NO_VALUE
from usage_engine.models import Event

from . import invalid

ISO = "must be an ISO 8601 datetime such as '2024-03-01T00:00:00Z' or unix seconds"


def event_payload(**changes: Any) -> dict[str, Any]:
    """A valid event of metric ``storage`` for subscription ``sub_1``."""
    payload: dict[str, Any] = {
        "transaction_id": "tr_1",
        "external_subscription_id": "sub_1",
        "code": "storage",
        "timestamp": 1_700_000_000,
        "properties": {"gb": "12.5"},
    }
    payload.update(changes)
    return payload


def as_event(payload: Any) -> Event:
    """Validate an event at the boundary, as the engine's functions do."""
    return as_model(Event, payload, "event")


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        pytest.param(1_700_000_000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC), id="int"),
        pytest.param(
            1_700_000_000.5,
            datetime(2023, 11, 14, 22, 13, 20, 500_000, tzinfo=UTC),
            id="a float keeps its fraction",
        ),
        pytest.param(
            "1700000000",
            datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
            id="numeric text is unix seconds",
        ),
        pytest.param(
            "1700000000.1234569",
            datetime(2023, 11, 14, 22, 13, 20, 123_456, tzinfo=UTC),
            id="fractions below the microsecond are truncated",
        ),
        pytest.param(
            "1700000000." + "9" * 32,
            datetime(2023, 11, 14, 22, 13, 20, 999_999, tzinfo=UTC),
            id="a long fraction is truncated exactly, never rounded into the next second",
        ),
        pytest.param(
            -1.5,
            datetime(1969, 12, 31, 23, 59, 58, 500_000, tzinfo=UTC),
            id="negative unix seconds are before 1970",
        ),
        pytest.param(
            "2024-03-01T10:00:00+02:00",
            datetime(2024, 3, 1, 8, tzinfo=UTC),
            id="an ISO datetime with an offset is converted to UTC",
        ),
        pytest.param(
            "2024-03-01T10:00:00Z",
            datetime(2024, 3, 1, 10, tzinfo=UTC),
            id="an ISO datetime in Z is UTC",
        ),
        pytest.param(
            "2024-03-01T10:00:00",
            datetime(2024, 3, 1, 10, tzinfo=UTC),
            id="a naive ISO datetime means UTC",
        ),
        pytest.param(
            Decimal("1700000000.25"),
            datetime(2023, 11, 14, 22, 13, 20, 250_000, tzinfo=UTC),
            id="a Decimal is unix seconds",
        ),
    ],
)
def test_timestamp_forms(timestamp: Any, expected: datetime) -> None:
    """Every timestamp form Lago accepts parses to the exact aware UTC instant."""
    event = as_event(event_payload(timestamp=timestamp))
    assert event.timestamp == expected
    assert event.timestamp.tzinfo is UTC


def test_event_fields_parse() -> None:
    """Integer ids become text, properties are kept as given and the precise amount is exact."""
    event = as_event(
        event_payload(
            transaction_id=42,
            external_subscription_id=7,
            precise_total_amount_cents="10.1",
            properties={"gb": 3, "region": "eu"},
        )
    )
    assert (event.transaction_id, event.external_subscription_id) == ("42", "7")
    assert event.properties == {"gb": 3, "region": "eu"}
    assert event.precise_total_amount_cents == Decimal("10.1")


def test_null_properties_are_empty() -> None:
    """An event with null properties has an empty mapping."""
    assert as_event(event_payload(properties=None)).properties == {}


def test_event_round_trips_through_json() -> None:
    """An event dumped to JSON validates back to an equal event."""
    event = as_event(event_payload(timestamp="1700000000.25", precise_total_amount_cents="-3.5"))
    assert Event.model_validate(event.model_dump(mode="json")) == event


BAD_EVENTS = [
    pytest.param(
        {"timestamp": "yesterday"},
        "event.timestamp",
        ISO,
        "yesterday",
        id="a timestamp in words is refused",
    ),
    pytest.param(
        {"timestamp": "1e9"},
        "event.timestamp",
        ISO,
        "1e9",
        id="a timestamp in exponent notation is refused",
    ),
    pytest.param(
        {"timestamp": True},
        "event.timestamp",
        "must be an ISO 8601 datetime or unix seconds, not a boolean",
        True,
        id="a boolean timestamp is refused",
    ),
    pytest.param(
        {"timestamp": float("inf")},
        "event.timestamp",
        "must be a finite decimal number",
        float("inf"),
        id="an infinite timestamp is refused",
    ),
    pytest.param(
        {"timestamp": "0001-01-01T00:00:00+01:00"},
        "event.timestamp",
        "is out of the supported range of datetimes",
        "0001-01-01T00:00:00+01:00",
        id="an ISO datetime whose offset falls before year 1 in UTC is refused",
    ),
    pytest.param(
        {"timestamp": "9999-12-31T23:00:00-05:00"},
        "event.timestamp",
        "is out of the supported range of datetimes",
        "9999-12-31T23:00:00-05:00",
        id="an ISO datetime whose offset falls after year 9999 in UTC is refused",
    ),
    pytest.param(
        {"timestamp": 253_402_300_800},
        "event.timestamp",
        "is out of the supported range of datetimes",
        253_402_300_800,
        id="unix seconds after year 9999 are refused",
    ),
    pytest.param(
        {"timestamp": None},
        "event.timestamp",
        "is required",
        NO_VALUE,
        id="an event needs a timestamp",
    ),
    pytest.param(
        {"transaction_id": ""},
        "event.transaction_id",
        "must not be empty",
        "",
        id="an empty transaction_id is refused",
    ),
    pytest.param(
        {"external_subscription_id": None},
        "event.external_subscription_id",
        "is required",
        NO_VALUE,
        id="an event needs its subscription",
    ),
    pytest.param(
        {"code": 5},
        "event.code",
        "must be a string",
        5,
        id="a numeric metric code is refused",
    ),
    pytest.param(
        {"properties": ["gb", 1]},
        "event.properties",
        "must be an object (a mapping)",
        ["gb", 1],
        id="properties that are not a mapping are refused",
    ),
    pytest.param(
        {"precise_total_amount_cents": "NaN"},
        "event.precise_total_amount_cents",
        "must be a finite decimal number",
        "NaN",
        id="a NaN precise amount is refused",
    ),
]


@pytest.mark.parametrize(("changes", "path", "message", "value"), BAD_EVENTS)
def test_bad_event_is_refused(changes: dict[str, Any], path: str, message: str, value: Any) -> None:
    """Each event rule reports one problem: its field path, message and value."""
    err = invalid(as_event, event_payload(**changes))
    shown = "" if value is NO_VALUE else f" (got {value!r})"
    assert str(err) == f"{path}: {message}{shown}"
    assert (err.path, err.value) == (path, None if value is NO_VALUE else value)
    assert len(err.errors) == 1
