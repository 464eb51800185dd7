"""Columnar events: every entry point rates a pyarrow Table or RecordBatch, a pandas or a
Polars DataFrame as it rates the same events as mappings, exactly, and refuses bad columns."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.columnar_routes import from_file, table, write_json_lines
from usage_engine import (
    InvalidInput,
    UsageState,
    aggregate,
    current_usage,
    past_usage,
    past_usages,
    projected_usage,
    rate_subscriptions,
)
from usage_engine._columns import Columns, columnar
from usage_engine.partition import plan_job, rate_job, rate_partition

pa = pytest.importorskip("pyarrow")

PLAN = {
    "code": "p",
    "interval": "monthly",
    "amount_currency": "EUR",
    "charges": [
        {
            "code": "calls",
            "charge_model": "standard",
            "properties": {"amount": "2"},
            "filters": [{"properties": {"amount": "3"}, "values": {"region": ["eu"]}}],
            "billable_metric": {
                "code": "calls",
                "aggregation_type": "count_agg",
                "filters": [{"key": "region", "values": ["eu", "us"]}],
            },
        },
        {
            "code": "gb",
            "charge_model": "standard",
            "properties": {"amount": "1"},
            "billable_metric": {"code": "gb", "aggregation_type": "sum_agg", "field_name": "gb"},
        },
        {
            "code": "users",
            "charge_model": "standard",
            "properties": {"amount": "0.5"},
            "billable_metric": {
                "code": "users",
                "aggregation_type": "unique_count_agg",
                "field_name": "user",
            },
        },
    ],
}
SUBSCRIPTION = {
    "external_id": "sub",
    "plan": PLAN,
    "subscription_at": "2024-01-01T00:00:00Z",
}
PERIOD = {
    "external_subscription_id": "sub",
    "from_datetime": "2024-03-01T00:00:00Z",
    "to_datetime": "2024-03-31T23:59:59Z",
}
NOW = "2024-03-20T00:00:00Z"
MARCH_5 = 1709600000  # 2024-03-05T00:53:20Z


def event(key: str, code: str, *, sub: str = "sub", at: Any = MARCH_5, **properties: Any) -> Any:
    return {
        "transaction_id": key,
        "external_subscription_id": sub,
        "code": code,
        "timestamp": at,
        "properties": properties,
    }


EVENTS = [
    event("a", "gb", gb=Decimal("0.1")),
    event("b", "gb", gb=Decimal("0.2")),
    event("c", "calls", region="eu"),
    event("c", "calls", region="us"),  # a duplicate: the first copy counts
    event("d", "calls", sub="other", region="us"),
    event("e", "users", user="u1"),
    event("f", "users", user="u1"),
    event("g", "calls", at=MARCH_5 + 40 * 86_400),  # after the period
]
# gb 0.3 × 1 = 30 cents; calls in eu 1 × 3 = 300 cents; users 1 × 0.5 = 50 cents.
CENTS = 380


def frames(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The events by every in-memory route whose library is installed."""
    the_table = table(events)
    found = {"Table": the_table, "RecordBatch": the_table.to_batches()[0]}
    pd = _optional("pandas")
    if pd is not None:
        found["pandas"] = pd.DataFrame(events)
        found["pandas from Arrow"] = the_table.to_pandas()
    pl = _optional("polars")
    if pl is not None:
        found["polars"] = pl.from_arrow(the_table)
    return found


def _optional(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError:
        return None


ROUTES = list(frames(EVENTS))


@pytest.fixture(params=ROUTES)
def columns(request: pytest.FixtureRequest) -> Any:
    return frames(EVENTS)[request.param]


def test_current_usage_from_columns(columns: Any) -> None:
    expected = current_usage(PLAN, EVENTS, PERIOD, now=NOW)
    usage = current_usage(PLAN, columns, PERIOD, now=NOW)
    assert usage.amount_cents == CENTS
    assert usage == expected
    assert usage.event_account.set_aside == {
        "duplicate": 1,
        "other_subscription": 1,
        "outside_period": 1,
    }
    assert usage.event_account == expected.event_account


def test_every_entry_point_takes_columns(columns: Any) -> None:
    projected = projected_usage(PLAN, columns, PERIOD, now=NOW)
    assert projected == projected_usage(PLAN, EVENTS, PERIOD, now=NOW)
    past = past_usage(PLAN, columns, PERIOD)
    assert past.canonical_json() == past_usage(PLAN, EVENTS, PERIOD).canonical_json()
    assert [
        usage.amount_cents for usage in past_usages(SUBSCRIPTION, columns, "2024-04-15", 2)
    ] == [
        CENTS,
        0,
    ]
    subscriptions = [SUBSCRIPTION, {**SUBSCRIPTION, "external_id": "other"}]
    usages = rate_subscriptions(subscriptions, columns, now=NOW)
    assert {sub: usage.amount_cents for sub, usage in usages.items()} == {
        "sub": CENTS,
        "other": 200,
    }
    assert usages == rate_subscriptions(subscriptions, EVENTS, now=NOW)
    state = UsageState(PLAN, PERIOD)
    state.add(columns)
    assert state.current_usage().amount_cents == CENTS
    assert state.event_account == current_usage(PLAN, EVENTS, PERIOD, now=NOW).event_account


def test_partitions_take_columns(columns: Any) -> None:
    job = plan_job([SUBSCRIPTION], at=NOW)
    assert rate_job(columns, job) == rate_job(EVENTS, job)
    whole = rate_partition(columns, job)
    assert [(sub, usage.amount_cents) for sub, usage in whole.whole] == [("sub", CENTS)]
    split = rate_partition(columns, job, split=["sub"])
    reference = rate_partition(list(enumerate(EVENTS)), job, split=["sub"])
    assert split.whole == []
    assert len(split.partials) == 1
    assert split.partials[0][1].current_usage() == reference.partials[0][1].current_usage()
    assert split.account == reference.account


def test_partition_rows_are_read_in_position_order() -> None:
    job = plan_job([SUBSCRIPTION], at=NOW)
    # Two copies of one transaction id with other content: the first by position wins.
    events = [event("x", "gb", gb=5), event("x", "gb", gb=7), event("y", "gb", gb=1)]
    positions = [(1, 0), (0, 3), (0, 9)]
    pairs = list(zip(positions, events, strict=True))
    for split in ((), ["sub"]):
        given = rate_partition(table(events), job, positions=positions, split=split)
        reference = rate_partition(pairs, job, split=split)
        assert given.account == reference.account
        assert given.rejected == reference.rejected
        if split:
            mine, theirs = given.partials[0][1], reference.partials[0][1]
            assert mine.current_usage() == theirs.current_usage()
        else:
            assert given.whole == reference.whole
            assert given.whole[0][1].charges_usage[1].units == 8  # 7 + 1: (0, 3) came first
    with pytest.raises(InvalidInput) as raised:
        rate_partition(table(events), job, positions=[1, 2])
    assert raised.value.path == "positions"


def test_aggregate_takes_columns(columns: Any) -> None:
    metric = PLAN["charges"][1]["billable_metric"]  # type: ignore[index]
    expected = aggregate(metric, EVENTS, PERIOD)
    assert aggregate(metric, columns, PERIOD) == expected
    assert expected[0].units == Decimal("0.3")


def test_columns_are_read_without_a_dict_per_event() -> None:
    # Properties read from a struct column are views of the columns, not copies.
    found = columnar(table(EVENTS))
    assert found is not None
    assert isinstance(found.properties_at(0), Mapping)
    assert dict(found.properties_at(0)) == {"gb": Decimal("0.1")}
    assert dict(found.row(4)) == {**EVENTS[4], "properties": {"region": "us"}}


# ------------------------------------------------------------------------------- exactness
THIRTY = 123456789012345678901234567890
TWENTY = 12345678901234567890


@pytest.mark.parametrize(
    ("values", "units"),
    [
        ([Decimal("0.1"), Decimal("0.2")], "0.3"),
        ([THIRTY, 1], str(THIRTY + 1)),
        (
            [Decimal("12345678901234567890.1234567890"), Decimal("1E-10")],
            "12345678901234567890.1234567891",
        ),
        ([Decimal("-0.0"), Decimal("0.5")], "0.5"),
    ],
)
def test_values_stay_exact(values: list[Any], units: str, tmp_path: Path) -> None:
    events = [event(f"t{i}", "gb", gb=value) for i, value in enumerate(values)]
    expected = current_usage(PLAN, events, PERIOD, now=NOW)
    assert str(expected.charges_usage[1].units) == units
    as_text = [event(f"t{i}", "gb", gb=_text(value)) for i, value in enumerate(values)]
    routes = {"text column": table(as_text), **frames(as_text)}
    if all(type(value) is Decimal for value in values):
        routes["decimal column"] = _decimal_table(events)
    else:
        routes["beyond int64, decimal(38, 0)"] = _decimal_table(events)
    pd = _optional("pandas")
    if pd is not None:
        routes["pandas object column"] = pd.DataFrame(events)
    write_json_lines(events, tmp_path / "numbers.jsonl")
    routes["JSON Lines numbers"] = from_file(tmp_path / "numbers.jsonl")[1]
    for name, given in routes.items():
        usage = current_usage(PLAN, given, PERIOD, now=NOW)
        assert str(usage.charges_usage[1].units) == units, name
        assert usage.amount_cents == expected.amount_cents, name


def test_negative_zero_stays_its_own_value(tmp_path: Path) -> None:
    # A unique count compares the values' text: -0.0 and 0.0 are two users.
    events = [event("a", "users", user=Decimal("-0.0")), event("b", "users", user=Decimal("0.0"))]
    assert current_usage(PLAN, events, PERIOD, now=NOW).charges_usage[2].units == 2
    as_text = [event("a", "users", user="-0.0"), event("b", "users", user="0.0")]
    routes = {"text column": table(as_text), **frames(as_text)}
    pd = _optional("pandas")
    if pd is not None:
        routes["pandas object column"] = pd.DataFrame(events)
    write_json_lines(events, tmp_path / "zeros.jsonl")
    assert "-0.0" in (tmp_path / "zeros.jsonl").read_text()
    routes["JSON Lines numbers"] = from_file(tmp_path / "zeros.jsonl")[1]
    for name, given in routes.items():
        assert current_usage(PLAN, given, PERIOD, now=NOW).charges_usage[2].units == 2, name


def _text(value: Any) -> str:
    return str(value) if type(value) is int else format(value, "f")


def _decimal_table(events: list[dict[str, Any]]) -> Any:
    values = [item["properties"]["gb"] for item in events]
    scale = max(-Decimal(value).as_tuple().exponent for value in values)  # type: ignore[operator]
    kind = pa.decimal128(38, max(scale, 0))
    return pa.table(
        {
            "transaction_id": [item["transaction_id"] for item in events],
            "external_subscription_id": ["sub"] * len(events),
            "code": ["gb"] * len(events),
            "timestamp": [MARCH_5] * len(events),
            "properties": pa.array(
                [{"gb": Decimal(value)} for value in values],
                pa.struct([pa.field("gb", kind)]),
            ),
        }
    )


def test_a_json_number_pyarrow_cannot_keep_is_read_exactly(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    events = [event("a", "gb", gb=Decimal("0.1")), event("b", "gb", gb=THIRTY)]
    write_json_lines(events, path)
    assert path.read_text().count('"gb": 0.1}') == 1
    route, read = from_file(path)
    assert route == "python"  # pyarrow reads 0.1 as a binary float: not taken
    units = current_usage(PLAN, read, PERIOD, now=NOW).charges_usage[1].units
    assert str(units) == f"{THIRTY}.1"


def test_json_lines_of_text_and_integers_is_read_by_pyarrow(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl.gz"
    import gzip

    events = [
        event("a", "gb", at="2024-03-05T09:00:00Z", gb="0.1", day="2024-03-05"),
        event("b", "calls", at="2024-03-05T10:00:00Z", region="eu"),
    ]
    plain = tmp_path / "plain.jsonl"
    write_json_lines(events, plain)
    path.write_bytes(gzip.compress(plain.read_bytes()))
    route, read = from_file(path)
    assert route == "arrow"
    # Text that looks like a date stays text.
    assert read.column("properties").to_pylist()[0]["day"] == "2024-03-05"
    usage = current_usage(PLAN, read, PERIOD, now=NOW)
    assert usage == current_usage(PLAN, events, PERIOD, now=NOW)
    assert usage.amount_cents == 310


def test_arrow_timestamps_are_instants() -> None:
    at = datetime(2024, 3, 5, 10, 0, 0, 123456, tzinfo=UTC)
    events = [event("a", "calls", at=at, region="eu")]
    for unit in ("s", "ms", "us", "ns"):
        stamps = pa.array([at], pa.timestamp("us", tz="UTC")).cast(
            pa.timestamp(unit, tz="UTC"), safe=False
        )
        given = table(events).set_column(3, "timestamp", stamps)
        usage = current_usage(PLAN, given, PERIOD, now=NOW)
        assert usage == current_usage(PLAN, events, PERIOD, now=NOW), unit
        assert usage.amount_cents == 300


def test_properties_as_json_text() -> None:
    given = pa.table(
        {
            "transaction_id": ["a", "b"],
            "external_subscription_id": ["sub", "sub"],
            "code": ["gb", "calls"],
            "timestamp": [MARCH_5, MARCH_5],
            "properties": ['{"gb": 0.25}', '{"region": "eu"}'],
        }
    )
    assert current_usage(PLAN, given, PERIOD, now=NOW).amount_cents == 325


# ---------------------------------------------------------------------------- bad columns
def _bad(given: Any, path: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        current_usage(PLAN, given, PERIOD, now=NOW)
    assert raised.value.path == path
    assert fragment in str(raised.value)


def test_a_missing_column_is_named() -> None:
    _bad(table(EVENTS).drop_columns(["code"]), "events", "has no column 'code'")


def test_float_columns_are_refused_with_the_exact_ways() -> None:
    given = table(EVENTS[:1]).set_column(
        4, "properties", pa.array([{"gb": 0.1}], pa.struct([pa.field("gb", pa.float64())]))
    )
    _bad(given, "events.properties.gb", "give the values as decimals")
    _bad(
        table(EVENTS[:1]).set_column(3, "timestamp", pa.array([1.5e9])),
        "events.timestamp",
        "cannot hold decimal values such as 0.1 exactly",
    )
    pd = _optional("pandas")
    if pd is not None:
        frame = pd.DataFrame(EVENTS[:1]).assign(precise_total_amount_cents=[1.5])
        _bad(frame, "events.precise_total_amount_cents", "float64 column")
    pl = _optional("polars")
    if pl is not None:
        _bad(pl.from_arrow(given), "events.properties.gb", "double column")


def test_nested_lists_and_wrong_types_are_refused() -> None:
    lists = pa.array([{"tags": ["a"]}], pa.struct([pa.field("tags", pa.list_(pa.string()))]))
    _bad(table(EVENTS[:1]).set_column(4, "properties", lists), "events.properties.tags", "lists")
    _bad(table(EVENTS[:1]).set_column(2, "code", pa.array([7])), "events.code", "must hold text")
    _bad(
        table(EVENTS[:1]).set_column(4, "properties", pa.array([7])),
        "events.properties",
        "a struct of property columns or JSON text",
    )


def test_nulls_where_a_value_is_required_name_the_row() -> None:
    for column, message in (
        ("transaction_id", "transaction_id is required"),
        ("external_subscription_id", "external_subscription_id is required"),
        ("code", "code must be a non-empty string (got None)"),
        ("timestamp", "timestamp None is neither unix seconds nor ISO 8601"),
    ):
        events = [dict(item) for item in EVENTS[:3]]
        events[2][column] = None
        given = table(events)
        with pytest.raises(InvalidInput) as raised:
            current_usage(PLAN, given, PERIOD, now=NOW)
        assert raised.value.path.startswith("events[2]"), column
        assert message in str(raised.value), column
        collected = current_usage(PLAN, given, PERIOD, now=NOW, invalid_events="collect")
        assert collected == current_usage(PLAN, events, PERIOD, now=NOW, invalid_events="collect")
        assert collected.rejected_events.count == 1


def test_other_input_is_not_columnar() -> None:
    assert columnar(EVENTS) is None
    assert columnar(iter(EVENTS)) is None
    made = Columns.of(
        {
            "transaction_id": ["a"],
            "external_subscription_id": ["sub"],
            "code": ["calls"],
            "timestamp": [MARCH_5],
        },
        fields={"region": ["eu"]},
    )
    assert columnar(made) is made
    assert current_usage(PLAN, made, PERIOD, now=NOW).amount_cents == 300
