"""Results as flat rows (``to_rows()``) and CSV: one row per charge x filter bucket x group."""

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings

import usage_engine as ue
from tests.factories import charge, event, metric, month_period, plan, utc
from usage_engine import strategies as st_ue
from usage_engine._rows import COLUMNS, columns_of, currency_amount, write_csv

MARCH = month_period(2024, 3)
START = datetime(2024, 3, 1, tzinfo=UTC)
END = datetime(2024, 3, 31, 23, 59, 59, 999999, tzinfo=UTC)
REGION = metric("sum_agg", filters=[{"key": "region", "values": ["europe", "usa"]}])
FILTERED = charge(
    "standard",
    {"amount": "0.5", "pricing_group_keys": ["team"]},
    billable_metric=REGION,
    code="storage",
    filters=[
        {
            "invoice_display_name": "Europe",
            "properties": {"amount": "2"},
            "values": {"region": ["europe"]},
        },
        {
            "properties": {"amount": "3", "pricing_group_keys": ["team"]},
            "values": {"region": ["usa"]},
        },
    ],
)
PLAIN = charge(
    "standard", {"amount": "0.015"}, billable_metric=metric("count_agg", code="calls"), code="api"
)
PLAN = plan(PLAIN, FILTERED)
EVENTS = [
    # storage (a filter's properties replace the charge's, grouping included):
    # europe 1.5 @2 = 3.00; usa/b 4 @3 = 12.00; default/a 10 @0.5 = 5.00
    event("m", utc(2024, 3, 5), {"value": "1.5", "region": "europe", "team": "a"}),
    event("m", utc(2024, 3, 6), {"value": 4, "region": "usa", "team": "b"}),
    event("m", utc(2024, 3, 7), {"value": 10, "region": "asia", "team": "a"}),
    # calls: 3 @0.015 = 0.045, rounded half away from zero to 0.05
    *[event("calls", utc(2024, 3, 8)) for _ in range(3)],
]
NOW = utc(2024, 3, 16)


def _common(**row):
    return {"from_datetime": START, "to_datetime": END, "currency": "EUR", **row}


def test_rows_of_current_usage_are_exact_and_in_lagos_order():
    usage = ue.current_usage(PLAN, EVENTS, MARCH, now=NOW)
    rows = usage.to_rows()
    assert [tuple(row) for row in rows] == [COLUMNS] * 4
    # Lago orders charges by metric name: "calls" before "m".
    storage = {"charge_code": "storage", "charge_model": "standard", "charge_name": None}
    storage |= {"metric_code": "m", "aggregation_type": "sum_agg"}
    picked = [
        {k: row[k] for k in ("charge_code", "filter", "group", "units", "amount", "amount_cents")}
        for row in rows
    ]
    assert picked == [
        {"charge_code": "api", "filter": None, "group": None, "units": Decimal("3.0"),
         "amount": Decimal("0.05"), "amount_cents": 5},
        {"charge_code": "storage", "filter": "Europe", "group": None,
         "units": Decimal("1.5"), "amount": Decimal("3.00"), "amount_cents": 300},
        {"charge_code": "storage", "filter": "region: usa", "group": "team=b",
         "units": Decimal("4.0"), "amount": Decimal("12.00"), "amount_cents": 1200},
        {"charge_code": "storage", "filter": "no filter matched", "group": "team=a",
         "units": Decimal("10.0"), "amount": Decimal("5.00"), "amount_cents": 500},
    ]  # fmt: skip
    assert rows[1] == _common(
        charge_id=rows[1]["charge_id"], **storage, filter="Europe", group=None,
        units=Decimal("1.5"), events_count=1, amount=Decimal("3.00"), amount_cents=300,
    )  # fmt: skip
    assert sum(row["amount_cents"] for row in rows) == usage.amount_cents == 2005


def test_rows_of_projected_usage_carry_the_projection():
    # Lago counts the current day as elapsed: on the 16th, 16 of 31 days; 3 calls project to
    # 3 x 31 / 16 = 5.8125, which Lago rounds to 2 places: 5.81.
    projected = ue.projected_usage(plan(PLAIN), EVENTS[3:], MARCH, now=NOW)
    (row,) = projected.to_rows()
    assert tuple(row) == columns_of(projected) == (*COLUMNS, *ue_projected_columns())
    assert (row["units"], row["projected_units"]) == (Decimal("3.0"), Decimal("5.81"))
    # 5.81 x 0.015 = 0.08715, rounded half away from zero to 0.09
    assert (row["projected_amount"], row["projected_amount_cents"]) == (Decimal("0.09"), 9)


def ue_projected_columns():
    return ("projected_units", "projected_amount", "projected_amount_cents")


def test_rows_of_a_past_usage_and_of_a_batch():
    past = ue.past_usage(PLAN, EVENTS, MARCH)
    assert past.to_rows() == ue.current_usage(PLAN, EVENTS, MARCH, now=NOW).to_rows()
    subscription = {
        "external_id": "sub_1",
        "plan": PLAN,
        "subscription_at": "2024-01-01T00:00:00Z",
        "billing_time": "calendar",
    }
    batch = ue.rate_subscriptions([subscription], EVENTS, now=NOW)
    rows = batch.to_rows()
    assert [row["external_subscription_id"] for row in rows] == ["sub_1"] * 4
    assert [row["amount_cents"] for row in rows] == [5, 300, 1200, 500]
    assert list(rows[0])[:2] == ["external_subscription_id", "from_datetime"]
    lines = batch.to_csv().splitlines()
    assert lines[0] == ",".join(("external_subscription_id", *COLUMNS))
    assert [line.split(",")[0] for line in lines[1:]] == ["sub_1"] * 4
    assert lines[1].endswith(",3.0,3,0.05,5")


def test_csv_text_is_exact():
    usage = ue.current_usage(plan(PLAIN), EVENTS[3:], MARCH, now=NOW)
    stream = io.StringIO()
    write_csv(stream, columns_of(usage), usage.to_rows())
    assert stream.getvalue() == usage.to_csv()
    header, line, end = usage.to_csv().split("\n")
    assert header == ",".join(COLUMNS)
    charge_id = usage.charges_usage[0].charge.lago_id
    assert line == (
        f"2024-03-01T00:00:00Z,2024-03-31T23:59:59Z,EUR,{charge_id},api,standard,,calls,"
        "count_agg,,,3.0,3,0.05,5"
    )
    assert end == ""


def test_a_usage_without_fees_has_no_rows_but_a_header():
    usage = ue.current_usage(plan(currency="EUR"), [], MARCH, now=NOW)
    assert usage.to_rows() == []
    assert usage.to_csv() == ",".join(COLUMNS) + "\n"
    empty = ue.rate_subscriptions([], [], now=NOW)
    assert empty.to_csv() == ",".join(("external_subscription_id", *COLUMNS)) + "\n"


@pytest.mark.parametrize(
    ("cents", "currency", "amount"),
    [(1230, "EUR", "12.30"), (0, "EUR", "0.00"), (-5, "USD", "-0.05"), (7, "MRO", "1.4"),
     (5, "JPY", "5"), (1234, "KWD", "1.234"), (10**30, "EUR", "1" + "0" * 28 + ".00")],
)  # fmt: skip
def test_currency_amounts_are_exact(cents, currency, amount):
    assert f"{currency_amount(cents, currency):f}" == amount


def test_dataframes_take_the_rows_as_they_are():
    pandas = pytest.importorskip("pandas")
    rows = ue.current_usage(PLAN, EVENTS, MARCH, now=NOW).to_rows()
    frame = pandas.DataFrame(rows)
    assert list(frame.columns) == list(COLUMNS)
    assert frame["amount_cents"].sum() == 2005
    assert frame.groupby("charge_code")["amount_cents"].sum().to_dict() == {
        "api": 5,
        "storage": 2000,
    }


def test_polars_takes_the_rows_as_they_are():
    polars = pytest.importorskip("polars")
    rows = ue.current_usage(PLAN, EVENTS, MARCH, now=NOW).to_rows()
    frame = polars.DataFrame(rows)
    assert frame.columns == list(COLUMNS)
    assert frame["amount_cents"].sum() == 2005
    assert [str(value) for value in frame["amount"].to_list()] == ["0.05", "3.00", "12.00", "5.00"]


@settings(max_examples=40, deadline=None)
@given(case=st_ue.usage_cases(max_events=12))
def test_rows_add_up_to_the_usage(case):
    usage = ue.current_usage(case.plan, case.events, case.period, now=case.now, taxes=case.taxes,
                             invalid_events="collect")  # fmt: skip
    rows = usage.to_rows()
    assert sum(row["amount_cents"] for row in rows) == usage.amount_cents
    assert sum(row["events_count"] for row in rows) == sum(
        line.events_count for line in usage.charges_usage
    )
    assert all(tuple(row) == COLUMNS for row in rows)
