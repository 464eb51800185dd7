"""One rule for reading instants: event timestamps and API instants agree on every text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from usage_engine import Event, InvalidInput, current_usage
from usage_engine._time import EARLIEST_SECONDS, LATEST_SECONDS, event_micros, micros
from usage_engine.models._base import parse_instant

SPELLINGS = st.one_of(
    st.from_regex(r"\s?-?[0-9]{1,11}(\.[0-9]{1,8})?\s?", fullmatch=True),
    st.from_regex(
        r"\s?[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}(:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?)?"
        r"(Z|[+-][0-9]{2}:?[0-9]{2})?\s?",
        fullmatch=True,
    ),
    st.text(max_size=30),
)


def read(parse, text):
    try:
        return parse(text)
    except ValueError:
        return None


@settings(max_examples=500)
@given(SPELLINGS)
def test_event_timestamps_and_instants_read_every_text_alike(text):
    event = read(event_micros, text)
    instant = read(lambda value: micros(parse_instant(value)), text)
    if instant is not None and not EARLIEST_SECONDS * 10**6 <= instant < LATEST_SECONDS * 10**6:
        assert event is None  # outside the years events may carry
        return
    assert event == instant


@pytest.mark.parametrize("text", [" 2024-03-02T10:00:00Z", "2024-03-02T10:00:00Z\n", " 1709373600"])
def test_surrounding_whitespace_is_refused_in_dicts_and_event_models(text):
    with pytest.raises(ValueError, match="timestamp"):
        event_micros(text)
    with pytest.raises(ValueError, match="ISO 8601"):  # pydantic's ValidationError
        Event(transaction_id="t", external_subscription_id="s", code="m", timestamp=text)
    period = {
        "external_subscription_id": "s",
        "from_datetime": "2024-03-01T00:00:00Z",
        "to_datetime": "2024-03-31T23:59:59Z",
    }
    plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": []}
    event = {"transaction_id": "t", "external_subscription_id": "s", "code": "m", "timestamp": text}
    with pytest.raises(InvalidInput, match=r"events\[0\] \(transaction_id 't'\): timestamp"):
        current_usage(plan, [event], period)
