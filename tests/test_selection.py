"""Event selection: dedup, timestamps, expressions and malformed events (spec 2, 3.11)."""

from decimal import Decimal

import pytest

from tests.factories import Unprintable, event, metric, month_period, nested, utc
from usage_engine import InvalidInput
from usage_engine.aggregate import aggregate
from usage_engine.models import Event

MAY = month_period(2023, 5)
SUM = metric("sum_agg")
COUNT = metric("count_agg")


def test_duplicate_transaction_ids_count_once_and_the_first_wins():
    """The second copy of a transaction_id is dropped, even with another value (spec 2.3)."""
    events = [
        event("m", utc(2023, 5, 2), {"value": 5}, transaction_id="t1"),
        event("m", utc(2023, 5, 3), {"value": 7}, transaction_id="t1"),
    ]
    result, _ = aggregate(SUM, events, MAY)
    assert (result.units, result.events_count) == (Decimal(5), 1)


def test_a_duplicate_of_another_code_still_blocks_the_transaction_id():
    """Dedup is by (subscription, transaction_id) whatever the code."""
    events = [
        event("other", utc(2023, 5, 2), transaction_id="t1"),
        event("m", utc(2023, 5, 3), transaction_id="t1"),
    ]
    assert aggregate(COUNT, events, MAY)[0].units == Decimal(0)


def test_an_out_of_period_event_also_takes_its_transaction_id():
    """An event outside the period still blocks a later copy of its transaction_id."""
    events = [
        event("m", utc(2023, 4, 2), transaction_id="t1"),
        event("m", utc(2023, 5, 3), transaction_id="t1"),
    ]
    assert aggregate(COUNT, events, MAY)[0].units == Decimal(0)


@pytest.mark.parametrize(
    "stamp",
    [
        pytest.param(1683590400, id="unix seconds as an int"),
        pytest.param(1683590400.5, id="unix seconds as a float"),
        pytest.param("1683590400", id="unix seconds as text"),
        pytest.param("1683590400.25", id="fractional unix seconds as text"),
        pytest.param("2023-05-09T00:00:00Z", id="ISO 8601 with Z"),
        pytest.param("2023-05-09T02:00:00+02:00", id="ISO 8601 with an offset"),
        pytest.param("2023-05-09T00:00:00", id="naive ISO 8601 is UTC"),
    ],
)
def test_timestamp_forms(stamp):
    """Every accepted timestamp form places the event in May 2023 (spec 2.4)."""
    assert aggregate(COUNT, [event("m", stamp)], MAY)[0].units == Decimal(1)


def test_event_models_are_accepted():
    """Event models work as well as mappings."""
    model = Event(
        transaction_id="t",
        external_subscription_id="sub_1",
        code="m",
        timestamp="2023-05-09T00:00:00Z",
        properties={"value": "2"},
    )
    assert aggregate(SUM, [model], MAY)[0].units == Decimal(2)


def test_events_are_read_once_from_a_generator():
    """A generator of events is consumed in one pass."""
    events = (event("m", utc(2023, 5, 2), {"value": n}) for n in range(4))
    assert aggregate(SUM, events, MAY)[0].units == Decimal(6)


def test_expression_is_written_into_the_field():
    """round(value × units) with 10.4 and 2 gives 21 (evaluate_expression_service_spec)."""
    recipe = metric(
        "sum_agg",
        field_name="total",
        expression="round(event.properties.value * event.properties.units)",
    )
    events = [event("m", utc(2023, 5, 2), {"value": "10.4", "units": "2", "total": 99})]
    assert aggregate(recipe, events, MAY)[0].units == Decimal(21)


def test_expression_sees_the_timestamp():
    """event.timestamp is the unix time in seconds."""
    recipe = metric("max_agg", field_name="ts", expression="event.timestamp")
    events = [event("m", 1683590400)]
    assert aggregate(recipe, events, MAY)[0].units == Decimal(1683590400)


def test_failing_expression_rejects_the_event():
    """A missing property makes the expression fail: the event is malformed."""
    recipe = metric("sum_agg", field_name="total", expression="event.properties.a + 1")
    events = [event("m", utc(2023, 5, 2), {}, transaction_id="tx-9")]
    with pytest.raises(InvalidInput) as caught:
        aggregate(recipe, events, MAY)
    assert caught.value.path == "events[0] (transaction_id 'tx-9')"
    assert "expression of metric 'm' failed" in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param(
            {"transaction_id": "t", "external_subscription_id": "sub_1", "timestamp": 1},
            "events[0] (transaction_id 't'): code must be a non-empty string (got None)",
            id="no code",
        ),
        pytest.param(
            {
                "transaction_id": "t",
                "external_subscription_id": "sub_1",
                "code": "m",
                "timestamp": "yesterday",
            },
            "events[0] (transaction_id 't'): timestamp 'yesterday' is neither unix seconds "
            "nor ISO 8601",
            id="unparseable timestamp",
        ),
        pytest.param(
            {
                "transaction_id": "t",
                "external_subscription_id": "sub_1",
                "code": "m",
                "timestamp": 1,
                "properties": [1, 2],
            },
            "events[0] (transaction_id 't'): properties must be a mapping (got list)",
            id="properties not a mapping",
        ),
        pytest.param(
            {"external_subscription_id": "sub_1", "code": "m", "timestamp": 1},
            "events[0]: transaction_id is required",
            id="no transaction_id",
        ),
        pytest.param(
            {"transaction_id": "t", "code": "m", "timestamp": 1},
            "events[0] (transaction_id 't'): external_subscription_id is required",
            id="no subscription",
        ),
        pytest.param(42, "events[0]: must be a mapping, not int", id="not a mapping"),
        pytest.param(
            {"transaction_id": nested(10_000), "external_subscription_id": "sub_1"},
            "events[0]: transaction_id must be a string (got a list nested too deep to show)",
            id="a transaction_id too deep to print",
        ),
        pytest.param(
            {"transaction_id": "t", "external_subscription_id": ["sub_1"], "code": "m"},
            "events[0] (transaction_id 't'): external_subscription_id must be a string "
            "(got ['sub_1'])",
            id="a list for a subscription",
        ),
        pytest.param(
            {"transaction_id": "t", "external_subscription_id": "sub_1", "code": Unprintable()},
            "events[0] (transaction_id 't'): code must be a non-empty string "
            "(got an Unprintable that cannot be shown)",
            id="a code whose repr fails",
        ),
        pytest.param(
            {
                "transaction_id": "t",
                "external_subscription_id": "sub_1",
                "code": "m",
                "timestamp": nested(10_000),
            },
            "events[0] (transaction_id 't'): timestamp a list nested too deep to show is neither "
            "unix seconds nor ISO 8601",
            id="a timestamp too deep to print",
        ),
    ],
)
def test_malformed_events_raise_by_default(raw, message):
    """A malformed event raises InvalidInput naming its position and transaction_id."""
    with pytest.raises(InvalidInput) as caught:
        aggregate(COUNT, [raw], MAY)
    assert str(caught.value) == message


def test_integer_ids_are_read_as_text():
    """An integer transaction_id is its text, as Lago's API stores it: 42 and "42" are one."""
    events = [
        {"transaction_id": 42, "external_subscription_id": "sub_1", "code": "m", "timestamp": 1},
        {"transaction_id": "42", "external_subscription_id": "sub_1", "code": "m", "timestamp": 2},
    ]
    period = {"external_subscription_id": "sub_1", "from_datetime": 0, "to_datetime": 10}
    assert aggregate(COUNT, events, period)[0].events_count == 1


def test_malformed_events_can_be_collected():
    """With invalid_events="collect" they are counted and the first reasons reported."""
    good = event("m", utc(2023, 5, 2))
    bad = [
        {
            "transaction_id": f"b{n}",
            "external_subscription_id": "sub_1",
            "code": "m",
            "timestamp": "soon",
        }
        for n in range(12)
    ]
    result, rejected = aggregate(COUNT, [good, *bad], MAY, invalid_events="collect")
    assert result.units == Decimal(1)
    assert rejected.count == 12
    assert len(rejected.reasons) == 10
    assert rejected.reasons[0] == (
        "events[1] (transaction_id 'b0'): timestamp 'soon' is neither unix seconds nor ISO 8601"
    )


def test_a_bad_invalid_events_option_is_invalid_input():
    """The option takes "raise" or "collect" only."""
    with pytest.raises(InvalidInput, match="invalid_events: must be 'raise' or 'collect'"):
        aggregate(COUNT, [], MAY, invalid_events="ignore")


def test_a_single_mapping_is_not_an_event_stream():
    """Passing one event instead of a list is InvalidInput, not a silent empty result."""
    with pytest.raises(InvalidInput, match="events: must be an iterable of events"):
        aggregate(COUNT, event("m", utc(2023, 5, 2)), MAY)


def test_custom_agg_is_not_supported():
    """custom_agg raises InvalidInput saying it is not supported."""
    with pytest.raises(InvalidInput) as caught:
        aggregate({"code": "m", "aggregation_type": "custom_agg"}, [], MAY)
    assert caught.value.path == "billable_metric.aggregation_type"
    assert "custom_agg is not supported" in str(caught.value)


def test_bad_expression_is_invalid_at_validation_time():
    """A syntax error names the metric's expression field and the position."""
    with pytest.raises(InvalidInput) as caught:
        aggregate(metric("sum_agg", expression="1 +"), [], MAY)
    assert caught.value.path == "billable_metric.expression"
    assert "position 3" in str(caught.value)


@pytest.mark.parametrize(
    "stamp",
    [
        -(10**55),  # recurring metrics read all history: this one once reached a date overflow
        10**20,
        "9" * 5000,
        Decimal("1E+999999999"),
        "0001-01-01T00:00:00+01:00",
        1e308,
    ],
)
def test_timestamps_outside_the_supported_years_are_malformed(stamp):
    """An instant before 0002 or after 9997 is a malformed event, whatever its spelling."""
    recurring = metric("sum_agg", recurring=True)
    raw = event("m", 0, {"value": 1}, transaction_id="t") | {"timestamp": stamp}
    with pytest.raises(InvalidInput) as caught:
        aggregate(recurring, [raw], MAY)
    assert caught.value.path == "events[0] (transaction_id 't')"
    assert caught.value.errors[0].message.endswith("is outside the supported years 0002 to 9997")
