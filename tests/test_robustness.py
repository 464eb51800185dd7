"""Odd but possible input: the engine answers exactly or raises InvalidInput, nothing else."""

import decimal
import json
import pickle
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.factories import Unprintable, charge, event, metric, month_period, nested, plan, utc
from usage_engine import InvalidInput, billing_period, ceil_days, current_usage, projected_usage

MAY = month_period(2023, 5)
SUM = metric("sum_agg")


def test_huge_event_values_are_invalid_input():
    """A value too large for 60 digits raises InvalidInput, not decimal.InvalidOperation."""
    the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=SUM))
    for value in ("1" + "0" * 58, 1e70, "9" * 5000):
        with pytest.raises(InvalidInput, match="too large"):
            current_usage(the_plan, [event("m", utc(2023, 5, 2), {"value": value})], MAY)


def test_json_floats_are_compared_as_plain_decimals():
    """1e22 groups and matches as 10000000000000000000000, as Postgres reads it back (spec 5.2)."""
    the_plan = plan(charge("standard", {"amount": "1", "pricing_group_keys": ["g"]}))
    usage = current_usage(the_plan, [event("m", utc(2023, 5, 2), {"g": 1e22})], MAY)
    assert usage.to_lago()["charges_usage"][0]["grouped_usage"][0]["grouped_by"] == {
        "g": "10000000000000000000000"
    }


def test_results_do_not_depend_on_the_callers_decimal_context():
    """A caller's 5-digit context changes neither units nor cents."""
    the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=SUM))
    events = [event("m", utc(2023, 5, 2), {"value": "123456.78"})]
    with decimal.localcontext() as context:
        context.prec = 5
        context.traps[decimal.Inexact] = True
        usage = current_usage(the_plan, events, MAY)
        payload = usage.to_lago()
    assert (payload["charges_usage"][0]["units"], payload["amount_cents"]) == (
        "123456.78",
        12345678,
    )


def test_an_expression_needs_a_field_name():
    """A count metric with an expression and no field_name is refused at validation."""
    recipe = {"code": "m", "aggregation_type": "count_agg", "expression": "1"}
    with pytest.raises(InvalidInput) as caught:
        current_usage(plan(charge("standard", {"amount": "1"}, billable_metric=recipe)), [], MAY)
    assert caught.value.path == "plan.charges[0].billable_metric.field_name"


def test_host_dependent_timezones_are_refused():
    """ "localtime" follows the host: the same input would give other periods elsewhere."""
    subscription = {
        "external_id": "s",
        "subscription_at": "2024-01-01T00:00:00Z",
        "timezone": "localtime",
        "plan": plan(),
    }
    with pytest.raises(InvalidInput, match=r"subscription\.timezone"):
        billing_period(subscription, "2024-02-01T00:00:00Z")


def test_infinite_decimal_timestamps_are_malformed():
    """A Decimal('Infinity') timestamp is a malformed event."""
    bad = event("m", 0)
    bad["timestamp"] = Decimal("Infinity")
    with pytest.raises(InvalidInput, match="is neither unix seconds nor ISO 8601"):
        current_usage(plan(charge("standard", {"amount": "1"})), [bad], MAY)


def test_instants_out_of_range_are_invalid_input():
    """A start in year 1 is refused before any date arithmetic could overflow."""
    subscription = {
        "external_id": "s",
        "subscription_at": "0001-01-01T00:00:00Z",
        "timezone": "America/New_York",
        "plan": plan(),
    }
    with pytest.raises(InvalidInput, match=r"subscription\.subscription_at: must fall between"):
        billing_period(subscription, "2024-02-01T00:00:00Z")


def test_values_that_cannot_be_printed_still_make_an_error():
    """A value nested too deep for repr, or whose repr fails, is described, not quoted."""
    for value, described in (
        (nested(10_000), "a list nested too deep to show"),
        (Unprintable(), "an Unprintable that cannot be shown"),
    ):
        the_plan = plan(charge("standard", {"amount": value}))
        with pytest.raises(InvalidInput) as caught:
            current_usage(the_plan, [], MAY)
        assert caught.value.path == "plan.charges[0].properties.amount"
        assert caught.value.value is value
        assert str(caught.value).endswith(f"(got {described})")
        assert pickle.loads(pickle.dumps(caught.value)).path == caught.value.path


def test_texts_that_are_lists_or_unprintable_are_invalid_input():
    """A filter value, pricing group key or filter key must be a text (or a number)."""
    regional = metric("sum_agg", filters=[{"key": "region", "values": ["eu", nested(10_000)]}])
    keyed = {"amount": "1", "pricing_group_keys": ["a", Unprintable()]}
    huge = metric("sum_agg", filters=[{"key": "region", "values": ["eu"]}])
    for the_plan, path in (
        (
            plan(charge("standard", {"amount": "1"}, billable_metric=regional)),
            "plan.charges[0].billable_metric.filters[0].values[1]",
        ),
        (plan(charge("standard", keyed)), "plan.charges[0].properties.pricing_group_keys[1]"),
        (
            plan(
                charge(
                    "standard",
                    {"amount": "1"},
                    billable_metric=huge,
                    filters=[{"values": {"region": [10**5000]}, "properties": {"amount": "2"}}],
                )
            ),
            "plan.charges[0].filters[0].values.region[0]",
        ),
    ):
        with pytest.raises(InvalidInput) as caught:
            current_usage(the_plan, [], MAY)
        assert caught.value.path == path
        assert caught.value.errors[0].message == "must be a string"


def test_numbers_in_filter_values_are_read_as_text():
    """A number where a filter value is expected is its text, as before."""
    regional = metric("sum_agg", filters=[{"key": "zone", "values": [1, 2.5]}])
    the_plan = plan(
        charge(
            "standard",
            {"amount": "1"},
            billable_metric=regional,
            filters=[{"values": {"zone": [1]}, "properties": {"amount": "2"}}],
        )
    )
    usage = current_usage(the_plan, [event("m", utc(2023, 5, 2), {"value": 3, "zone": 1})], MAY)
    assert usage.amount_cents == 600


def test_unique_values_without_a_text_are_not_counted():
    """A value with no text (nested too deep, looping, not JSON) has no usable value (2.1)."""
    looped: list = []
    looped.append(looped)
    seats = metric("unique_count_agg", field_name="user")
    the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=seats))
    values = ["ann", nested(10_000), looped, {"at": {1, 2}}, Unprintable()]
    events = [event("m", utc(2023, 5, 2), {"user": value}) for value in values]
    usage = current_usage(the_plan, events, MAY)
    assert (usage.charges_usage[0].units, usage.charges_usage[0].events_count) == (1, 1)


def test_periods_at_the_edge_of_the_datetime_range_are_invalid_input():
    """Year 1 or 9999 in a zone whose offset leaves the datetime range: the year is refused."""
    for field, value in (
        ("from_datetime", "0001-01-01T00:00:00Z"),
        ("to_datetime", 253402300799),  # 9999-12-31T23:59:59Z, in the year 10000 in Paris
    ):
        period = {
            "external_subscription_id": "s",
            "from_datetime": "2024-01-01T00:00:00Z",
            "to_datetime": "2024-01-31T23:59:59Z",
            "timezone": "Europe/Paris" if field == "to_datetime" else "America/Los_Angeles",
        } | {field: value}
        with pytest.raises(InvalidInput) as caught:
            current_usage(plan(), [], period)
        assert caught.value.path == f"period.{field}"
        assert caught.value.errors[0].message == "must fall between the years 0002 and 9997"


def test_ceil_days_at_the_edge_of_the_datetime_range_is_invalid_input():
    """An instant the zone's offset pushes out of range names the argument."""
    with pytest.raises(InvalidInput) as caught:
        ceil_days(datetime.min.replace(tzinfo=UTC), utc(2024, 1, 1), "America/Los_Angeles")
    assert (caught.value.path, caught.value.value) == ("start", "0001-01-01T00:00:00+00:00")


@pytest.mark.parametrize("zone", ["America", "9" * 300, "localtime"])
def test_ceil_days_reads_zone_names_as_periods_do(zone):
    """A directory of the zone database, a name too long for a file, a host zone: refused."""
    with pytest.raises(InvalidInput) as caught:
        ceil_days(utc(2024, 1, 1), utc(2024, 2, 1), zone)
    assert (caught.value.path, caught.value.value) == ("zone", zone)
    assert caught.value.errors[0].message.startswith("is not an IANA timezone name")


def test_numbers_beyond_postgres_numeric_have_no_usable_value():
    """1E+999999999 (or 1E-999999999) cannot be stored by Lago: the event does not count.

    It used to overflow the engine's decimal context (decimal.Overflow).
    """
    the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=SUM))
    values = [Decimal("1E+999999999"), Decimal("-1E+999999999"), Decimal("1E-999999999"), "2"]
    events = [event("m", utc(2023, 5, 2), {"value": value}) for value in values]
    usage = current_usage(the_plan, events, MAY)
    assert (usage.charges_usage[0].units, usage.charges_usage[0].events_count) == (2, 1)


@pytest.mark.parametrize("value", [Decimal("1E-99999999"), Decimal("1E+999999"), "1e999"])
def test_whole_numbers_are_read_without_pydantic_int_parsing(value):
    """pydantic's int parsing took minutes over 1E-99999999 and raised ValueError on 1E+999999."""
    rounded = metric("sum_agg", rounding_function="round", rounding_precision=value)
    with pytest.raises(InvalidInput) as caught:
        current_usage(plan(charge("standard", {"amount": "1"}, billable_metric=rounded)), [], MAY)
    assert (caught.value.path, caught.value.value) == (
        "plan.charges[0].billable_metric.rounding_precision",
        value,
    )
    period = MAY.model_dump() | {"charges_duration_days": value}
    with pytest.raises(InvalidInput) as caught:
        current_usage(plan(), [], period)
    assert (caught.value.path, caught.value.value) == ("period.charges_duration_days", value)


def test_an_expression_over_a_number_out_of_range_rejects_the_event():
    """1E+999999999 + 1 took a billion digits to add exactly: the event is malformed instead."""
    tokens = metric("sum_agg", field_name="total", expression="event.properties.a + 1")
    the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=tokens))
    events = [event("m", utc(2023, 5, 2), {"a": Decimal("1E+999999999")}, transaction_id="t")]
    with pytest.raises(InvalidInput) as caught:
        current_usage(the_plan, events, MAY)
    assert caught.value.path == "events[0] (transaction_id 't')"
    assert caught.value.errors[0].message == (
        "expression of metric 'm' failed: property 'a' is out of the range of numbers Lago stores"
    )


def test_lone_surrogates_in_codes_still_get_a_stable_id():
    """json.loads lets "\\udcff" through: deriving the id used to raise UnicodeEncodeError."""
    odd = plan(charge("standard", {"amount": "1"}, code="c\udcff"))
    usage, again = current_usage(odd, [], MAY), current_usage(odd, [], MAY)
    assert usage.charges_usage[0].charge.lago_id == again.charges_usage[0].charge.lago_id
    assert json.dumps(usage.to_lago())


def test_an_amount_too_large_names_its_charge():
    """The money functions named no input ("amount"); the charge priced is named now."""
    calls = charge("standard", {"amount": "1"}, billable_metric=metric("count_agg", code="calls"))
    the_plan = plan(calls, charge("standard", {"amount": "1"}, billable_metric=SUM))
    events = [event("m", utc(2023, 5, 2), {"value": "9" * 70}, transaction_id="huge")]
    for compute in (
        lambda: current_usage(the_plan, events, MAY),
        lambda: projected_usage(the_plan, events, MAY, now="2023-05-10", method="exact"),
    ):
        with pytest.raises(InvalidInput) as caught:
            compute()
        assert caught.value.path == "plan.charges[1]"
        assert caught.value.errors[0].message == (
            "its amount is too large to compute exactly (more than 60 digits)"
            " (subscription 'sub_1', largest value in event transaction_id 'huge')"
        )


@pytest.mark.parametrize("text", ["１２", "١٢", "𝟙𝟚", "\u00a012"])
def test_numbers_in_text_are_ascii(text):
    """Decimal reads any Unicode digit: "１２" was silently an amount of 12, "𝟙𝟚" an instant."""
    with pytest.raises(InvalidInput) as caught:
        current_usage(plan(charge("standard", {"amount": text})), [], MAY)
    assert (caught.value.path, caught.value.value) == ("plan.charges[0].properties.amount", text)
    subscription = {"external_id": "s", "subscription_at": text, "plan": plan()}
    with pytest.raises(InvalidInput) as caught:
        billing_period(subscription, "2024-02-01T00:00:00Z")
    assert (caught.value.path, caught.value.value) == ("subscription.subscription_at", text)


def test_a_volume_range_refused_while_pricing_names_its_charge():
    """Ranges starting at 1 hold no zero total; the refusal names plan.charges[i], not a
    path relative to the charge (found by fuzzing past_usages)."""
    volume = charge(
        "volume",
        {
            "volume_ranges": [
                {"from_value": 1, "to_value": 10, "per_unit_amount": "1", "flat_amount": "0"},
                {"from_value": 11, "to_value": None, "per_unit_amount": "1", "flat_amount": "0"},
            ]
        },
        billable_metric=SUM,
    )
    with pytest.raises(InvalidInput) as caught:
        current_usage(plan(volume), [], MAY)
    assert caught.value.path == "plan.charges[0].properties.volume_ranges"
    assert caught.value.errors[0].message.startswith("no volume range holds 0 units")
