"""current_usage: every worked example of spec sections 4-7 through the public function."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import charge, event, metric, month_period, plan, span_period, utc
from usage_engine import InvalidInput
from usage_engine.usage import current_usage

MARCH = month_period(2024, 3)
VAT = {"code": "vat", "name": "VAT", "rate": "20"}


def _usage(the_plan, events, period=MARCH, **options):
    return current_usage(the_plan, events, period, now=period.charges_from_datetime, **options)


def _counts(count, day=5, code="m", year=2024, month=3, **properties):
    return [event(code, utc(year, month, day), dict(properties)) for _ in range(count)]


def _sums(values, day=5, year=2024, month=3, **properties):
    return [event("m", utc(year, month, day), {"value": v, **properties}) for v in values]


SUM = metric("sum_agg")


def test_count_standard():
    """3 events at "5" give units "3.0", 3 events and 1 500 cents (count_agg_spec)."""
    usage = _usage(plan(charge("standard", {"amount": "5"})), _counts(3))
    line = usage.to_lago()["charges_usage"][0]
    assert (line["units"], line["events_count"], line["amount_cents"]) == ("3.0", 3, 1500)
    assert (usage.amount_cents, usage.taxes_amount_cents, usage.total_amount_cents) == (
        1500,
        0,
        1500,
    )


def test_max_standard():
    """Values 5, 20, 3 at "10" give 20 units and 20 000 cents (max_agg_spec)."""
    the_plan = plan(charge("standard", {"amount": "10"}, billable_metric=metric("max_agg")))
    line = _usage(the_plan, _sums([5, 20, 3])).to_lago()["charges_usage"][0]
    assert (line["units"], line["events_count"], line["amount_cents"]) == ("20.0", 3, 20000)


def test_standard_decimal_price():
    """4 events at "12.5" give 5 000 cents (standard_spec)."""
    line = _usage(plan(charge("standard", {"amount": "12.5"})), _counts(4)).charges_usage[0]
    assert line.amount_cents == 5000


GRADUATED = {
    "graduated_ranges": [
        {"from_value": 0, "to_value": 5, "per_unit_amount": "10", "flat_amount": "100"},
        {"from_value": 6, "to_value": None, "per_unit_amount": "5", "flat_amount": "50"},
    ]
}


@pytest.mark.parametrize(
    ("count", "cents"),
    [
        pytest.param(3, 13000, id="3 events in the first tier"),
        pytest.param(8, 21500, id="8 events reach the second tier"),
    ],
)
def test_graduated(count, cents):
    """Graduated tiers 0–5 @10 +100, 6–∞ @5 +50 (graduated_spec)."""
    assert _usage(plan(charge("graduated", GRADUATED)), _counts(count)).amount_cents == cents


def test_graduated_first_tier_flat_without_usage_is_charged_with_tax():
    """ING-13: a sum metric with no events still pays the 100 flat: 10 000 cents, 12 000 taxed."""
    the_plan = plan(charge("graduated", GRADUATED, billable_metric=SUM), taxes=[VAT])
    usage = _usage(the_plan, [])
    line = usage.to_lago()["charges_usage"][0]
    assert (line["units"], line["amount_cents"]) == ("0.0", 10000)
    assert (usage.taxes_amount_cents, usage.total_amount_cents) == (2000, 12000)


def test_graduated_one_cent_tier_with_tax():
    """One range 0–∞ @0.01 +0.01, 4 events: 5 cents, 1 cent of 20 % tax (usage_controller)."""
    ranges = {
        "graduated_ranges": [
            {"from_value": 0, "to_value": None, "per_unit_amount": "0.01", "flat_amount": "0.01"}
        ]
    }
    usage = _usage(plan(charge("graduated", ranges), taxes=[VAT]), _counts(4))
    assert (usage.amount_cents, usage.taxes_amount_cents, usage.total_amount_cents) == (5, 1, 6)


@pytest.mark.parametrize(
    ("value", "cents"),
    [pytest.param(50, 250, id="50 in the 5 % tier"), pytest.param(150, 1600, id="150 over both")],
)
def test_graduated_percentage(value, cents):
    """0–100 at 5 %, 101–∞ at 2 % +10 (graduated_percentage_spec)."""
    ranges = {
        "graduated_percentage_ranges": [
            {"from_value": 0, "to_value": 100, "rate": "5", "flat_amount": "0"},
            {"from_value": 101, "to_value": None, "rate": "2", "flat_amount": "10"},
        ]
    }
    the_plan = plan(charge("graduated_percentage", ranges, billable_metric=SUM))
    assert _usage(the_plan, _sums([value])).amount_cents == cents


@pytest.mark.parametrize(
    ("free", "count", "cents"),
    [
        pytest.param(0, 3, 10000, id="3 units start a package"),
        pytest.param(0, 15, 20000, id="15 units fill two packages"),
        pytest.param(5, 3, 0, id="3 units are free"),
        pytest.param(5, 12, 10000, id="12 units with 5 free fill one package"),
    ],
)
def test_package(free, count, cents):
    """Packages of 10 at "100" (package_spec)."""
    properties = {"amount": "100", "package_size": 10, "free_units": free}
    assert _usage(plan(charge("package", properties)), _counts(count)).amount_cents == cents


PERCENT = {"rate": "1", "fixed_amount": "5"}


def _percentage(properties, values, tax=True):
    the_plan = plan(
        charge("percentage", properties, billable_metric=SUM), taxes=[VAT] if tax else []
    )
    events = [event("m", utc(2024, 3, 5 + n), {"value": v}) for n, v in enumerate(values)]
    usage = _usage(the_plan, events)
    return usage.amount_cents, usage.total_amount_cents


@pytest.mark.parametrize(
    ("extra", "values", "expected"),
    [
        pytest.param({"free_units_per_events": 3}, [10] * 3, (0, 0), id="3 free events"),
        pytest.param({"free_units_per_events": 3}, [10] * 4, (510, 612), id="4th event paid"),
        pytest.param(
            {"free_units_per_total_aggregation": "15"}, [4, 4, 4], (0, 0), id="12 of 15 free units"
        ),
        pytest.param(
            {"free_units_per_total_aggregation": "15"},
            [4, 4, 4, 4],
            (501, 601),
            id="16 passes the free total",
        ),
        pytest.param(
            {"free_units_per_total_aggregation": "15"},
            [4, 4, 4, 4, 10],
            (1011, 1213),
            id="26 with 15 free",
        ),
        pytest.param(
            {"free_units_per_events": 3, "free_units_per_total_aggregation": "15"},
            [10],
            (0, 0),
            id="both: one event",
        ),
        pytest.param(
            {"free_units_per_events": 3, "free_units_per_total_aggregation": "15"},
            [10, 10],
            (505, 606),
            id="both: two events",
        ),
        pytest.param(
            {"free_units_per_events": 3, "free_units_per_total_aggregation": "15"},
            [10, 10, 10],
            (1015, 1218),
            id="both: three events",
        ),
    ],
)
def test_percentage(extra, values, expected):
    """Rate 1 %, fixed 5, 20 % tax, with free units (percentage_spec)."""
    assert _percentage(PERCENT | extra, values) == expected


def test_percentage_per_transaction_min_and_max():
    """min 1.75, max 12, rate 1 %, fixed 1: 100, 1 000, 10 000 → 2 + 11 + 12 = 2 500 cents."""
    properties = {
        "rate": "1",
        "fixed_amount": "1",
        "per_transaction_min_amount": "1.75",
        "per_transaction_max_amount": "12",
    }
    assert _percentage(properties, [100, 1000, 10000]) == (2500, 3000)
    grouped = properties | {"pricing_group_keys": ["region"]}
    the_plan = plan(charge("percentage", grouped, billable_metric=SUM), taxes=[VAT])
    events = [
        event("m", utc(2024, 3, 5 + n), {"value": v, "region": "eu"})
        for n, v in enumerate([100, 1000, 10000])
    ]
    usage = _usage(the_plan, events)
    assert (usage.amount_cents, usage.total_amount_cents) == (2500, 3000)


VOLUME = {
    "volume_ranges": [
        {"from_value": 0, "to_value": 10, "per_unit_amount": "5", "flat_amount": "100"},
        {"from_value": 11, "to_value": None, "per_unit_amount": "2", "flat_amount": "50"},
    ]
}


@pytest.mark.parametrize(
    ("count", "cents"),
    [pytest.param(5, 12500, id="5 units"), pytest.param(15, 8000, id="15 units")],
)
def test_volume(count, cents):
    """0–10 @5 +100, 11–∞ @2 +50 (volume_spec)."""
    assert _usage(plan(charge("volume", VOLUME)), _counts(count)).amount_cents == cents


def test_dynamic_grouped_fees_round_apart():
    """10.1 and 901.9 precise cents: 912 in all; grouped, 10 and 902 (dynamic_spec)."""
    events = [
        event("m", utc(2024, 3, 5), {"value": 10, "g": "a"}, precise_total_amount_cents="10.1"),
        event("m", utc(2024, 3, 6), {"value": 10, "g": "b"}, precise_total_amount_cents="901.9"),
    ]
    plain = _usage(plan(charge("dynamic", {}, billable_metric=SUM)), events)
    assert plain.amount_cents == 912
    grouped = _usage(
        plan(charge("dynamic", {"pricing_group_keys": ["g"]}, billable_metric=SUM)), events
    )
    entries = grouped.charges_usage[0].grouped_usage
    groups = {dict(g.grouped_by)["g"]: g.amount_cents for g in entries}
    assert (groups, grouped.amount_cents) == ({"a": 10, "b": 902}, 912)


PRORATED_TIERS = {
    "graduated_ranges": [
        {"from_value": 0, "to_value": 5, "per_unit_amount": "10", "flat_amount": "100"},
        {"from_value": 6, "to_value": 15, "per_unit_amount": "5", "flat_amount": "50"},
        {"from_value": 16, "to_value": None, "per_unit_amount": "2", "flat_amount": "0"},
    ]
}


@pytest.mark.parametrize(
    ("steps", "units", "cents"),
    [
        pytest.param([], "0.0", 10000, id="no events: the first flat"),
        pytest.param([(10, 2)], "2.0", 11400, id="+2 on the 10th"),
        pytest.param([(10, 2), (16, 5)], "7.0", 18400, id="+5 on the 16th"),
        pytest.param([(10, 2), (16, 5), (20, -6)], "1.0", 16567, id="-6 on the 20th"),
    ],
)
def test_prorated_graduated(steps, units, cents):
    """September 2023, recurring sum, prorated graduated (prorated_graduated_spec)."""
    recurring = metric("sum_agg", recurring=True)
    the_plan = plan(charge("graduated", PRORATED_TIERS, billable_metric=recurring, prorated=True))
    events = [event("m", utc(2023, 9, day), {"value": v}) for day, v in steps]
    line = _usage(the_plan, events, month_period(2023, 9)).to_lago()["charges_usage"][0]
    assert (line["units"], line["amount_cents"]) == (units, cents)


CLOUD = metric("sum_agg", filters=[{"key": "cloud", "values": ["aws", "gcp"]}])


def test_identical_and_nested_filters():
    """All clouds and AWS only: aws goes to the narrower filter (identical_charge_filters_spec)."""
    filters = [
        {
            "invoice_display_name": "All clouds",
            "properties": {"amount": "5"},
            "values": {"cloud": ["aws", "gcp"]},
        },
        {
            "invoice_display_name": "AWS only",
            "properties": {"amount": "3"},
            "values": {"cloud": ["aws"]},
        },
    ]
    the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=CLOUD, filters=filters))
    events = _sums([10], cloud="aws") + _sums([7], cloud="gcp")
    entries = _usage(the_plan, events).to_lago()["charges_usage"][0]["filters"]
    seen = {
        (f["invoice_display_name"], f["units"], f["amount_cents"], f["events_count"])
        for f in entries
    }
    assert seen == {
        ("All clouds", "7.0", 3500, 1),
        ("AWS only", "10.0", 3000, 1),
        (None, "0.0", 0, 0),
    }


def test_identical_filters_count_in_the_oldest():
    """Two identical filters: the older one takes the event, the newer shows 0."""
    filters = [
        {"invoice_display_name": "A", "properties": {"amount": "5"}, "values": {"cloud": ["aws"]}},
        {"invoice_display_name": "B", "properties": {"amount": "3"}, "values": {"cloud": ["aws"]}},
    ]
    the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=CLOUD, filters=filters))
    entries = _usage(the_plan, _sums([10], cloud="aws")).charges_usage[0].filters
    assert [(f.invoice_display_name, f.units, f.amount_cents) for f in entries] == [
        ("A", Decimal(10), 5000),
        ("B", Decimal(0), 0),
        (None, Decimal(0), 0),
    ]


REGION = metric("count_agg", filters=[{"key": "region", "values": ["europe", "usa"]}])
REGION_FILTERS = [
    {
        "invoice_display_name": "Europe",
        "properties": {"amount": "20"},
        "values": {"region": ["europe"]},
    },
    {"invoice_display_name": "USA", "properties": {"amount": "50"}, "values": {"region": ["usa"]}},
]


def test_default_bucket_takes_unmatched_events():
    """europe @20, usa @50, default @10; europe and unknown events (zero_fees_spec)."""
    the_plan = plan(
        charge("standard", {"amount": "10"}, billable_metric=REGION, filters=REGION_FILTERS)
    )
    events = _counts(1, region="europe") + _counts(1, region="unknown")
    line = _usage(the_plan, events).to_lago()["charges_usage"][0]
    assert (line["units"], line["events_count"], line["amount_cents"]) == ("2.0", 2, 3000)
    assert [(f["values"], f["units"], f["amount_cents"]) for f in line["filters"]] == [
        ({"region": ["europe"]}, "1.0", 2000),
        ({"region": ["usa"]}, "0.0", 0),
        (None, "1.0", 1000),
    ]


def test_filters_without_events_all_show_zero():
    """Every filter bucket and the default bucket are shown, all zero (spec 5.4)."""
    the_plan = plan(
        charge("standard", {"amount": "10"}, billable_metric=REGION, filters=REGION_FILTERS)
    )
    entries = _usage(the_plan, []).to_lago()["charges_usage"][0]["filters"]
    assert [(f["values"], f["units"], f["events_count"], f["amount_cents"]) for f in entries] == [
        ({"region": ["europe"]}, "0.0", 0, 0),
        ({"region": ["usa"]}, "0.0", 0, 0),
        (None, "0.0", 0, 0),
    ]


def test_two_key_filters():
    """{aws, usa} @10, {aws, france} @20, {google, usa} @30: 7 000 cents (usage_controller_spec)."""
    recipe = metric(
        "count_agg",
        filters=[
            {"key": "cloud", "values": ["aws", "google"]},
            {"key": "region", "values": ["usa", "france"]},
        ],
    )
    filters = [
        {"properties": {"amount": "10"}, "values": {"cloud": ["aws"], "region": ["usa"]}},
        {"properties": {"amount": "20"}, "values": {"cloud": ["aws"], "region": ["france"]}},
        {"properties": {"amount": "30"}, "values": {"cloud": ["google"], "region": ["usa"]}},
    ]
    the_plan = plan(charge("standard", {"amount": "0"}, billable_metric=recipe, filters=filters))
    events = (
        _counts(2, cloud="aws", region="usa")
        + _counts(1, cloud="aws", region="france")
        + _counts(1, cloud="google", region="usa")
    )
    line = _usage(the_plan, events).to_lago()["charges_usage"][0]
    assert (line["units"], line["amount_cents"]) == ("4.0", 7000)


def test_all_filter_values_expands_to_the_metric_values():
    """__ALL_FILTER_VALUES__ matches every declared value, not any value."""
    filters = [{"properties": {"amount": "2"}, "values": {"region": ["__ALL_FILTER_VALUES__"]}}]
    the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=REGION, filters=filters))
    events = _counts(1, region="usa") + _counts(1, region="europe") + _counts(1, region="mars")
    entries = _usage(the_plan, events).charges_usage[0].filters
    assert [(f.units, f.amount_cents) for f in entries] == [(Decimal(2), 400), (Decimal(1), 100)]


def test_pricing_groups():
    """Grouped by region: us 2.0 / 2 000, eu 1.0 / 1 000, total 3 000 (standard_spec)."""
    the_plan = plan(charge("standard", {"amount": "10", "pricing_group_keys": ["region"]}))
    events = _counts(2, region="us") + _counts(1, region="eu")
    line = _usage(the_plan, events).to_lago()["charges_usage"][0]
    groups = {
        g["grouped_by"]["region"]: (g["units"], g["amount_cents"]) for g in line["grouped_usage"]
    }
    assert groups == {"us": ("2.0", 2000), "eu": ("1.0", 1000)}
    assert (line["units"], line["amount_cents"]) == ("3.0", 3000)


def test_legacy_grouped_by_and_missing_group_value():
    """grouped_by works like pricing_group_keys; a missing key groups under null."""
    the_plan = plan(charge("standard", {"amount": "1", "grouped_by": ["region"]}))
    events = _counts(1, region="us") + _counts(2)
    groups = {
        g["grouped_by"]["region"]: g["units"]
        for g in _usage(the_plan, events).to_lago()["charges_usage"][0]["grouped_usage"]
    }
    assert groups == {"us": "1.0", None: "2.0"}


def test_grouped_charge_without_events_shows_one_null_group():
    """No events: one grouped entry {region: null} with zeros (zero_fees_spec)."""
    the_plan = plan(charge("standard", {"amount": "10", "pricing_group_keys": ["region"]}))
    groups = _usage(the_plan, []).to_lago()["charges_usage"][0]["grouped_usage"]
    assert groups == [
        {
            "units": "0.0",
            "total_aggregated_units": "0.0",
            "events_count": 0,
            "amount_cents": 0,
            "pricing_unit_details": None,
            "grouped_by": {"region": None},
            "filters": [],
            "presentation_breakdowns": [],
        }
    ]


def test_recurring_charge_shows_without_events_in_the_period():
    """An item added in March still shows 1 unit / 2 000 cents in April (zero_fees_spec)."""
    recurring = metric("unique_count_agg", field_name="item", recurring=True)
    the_plan = plan(charge("standard", {"amount": "20"}, billable_metric=recurring))
    events = [event("m", utc(2024, 3, 10), {"item": "a"})]
    line = _usage(the_plan, events, month_period(2024, 4)).charges_usage[0]
    assert (line.units, line.amount_cents) == (Decimal(1), 2000)


def test_unique_count_grouped_recurring():
    """Items across two groups of three keys give 3 units and 300 cents (unique_count_agg_spec)."""
    recurring = metric("unique_count_agg", field_name="item", recurring=True)
    keys = {"pricing_group_keys": ["key_1", "key_2", "key_3"], "amount": "1"}
    the_plan = plan(charge("standard", keys, billable_metric=recurring))
    first = {"key_1": "2024", "key_2": "Feb", "key_3": "08"}
    second = {"key_1": "2024", "key_2": "Feb", "key_3": "06"}
    events = [
        event("m", utc(2024, 2, 8), {"item": "001", **first}),
        event("m", utc(2024, 2, 6), {"item": "001", **second}),
        event("m", utc(2024, 2, 6), {"item": "002", **second}),
    ]
    line = _usage(the_plan, events, month_period(2024, 2)).charges_usage[0]
    assert (line.units, line.amount_cents) == (Decimal(3), 300)


def test_pay_in_advance_prorated_sum_keeps_the_highest_amount():
    """Amount "29", February 2024: +10 on the 6th → 24 000 cents; −5, +2 keep it (sum_agg_spec)."""
    recurring = metric("sum_agg", recurring=True)
    the_plan = plan(
        charge(
            "standard",
            {"amount": "29", "pricing_group_keys": ["g"]},
            billable_metric=recurring,
            prorated=True,
            pay_in_advance=True,
        )
    )
    steps = [(6, 10), (10, -5), (12, 2)]
    seen = []
    for count in (1, 2, 3):
        events = [event("m", utc(2024, 2, day), {"value": v, "g": "x"}) for day, v in steps[:count]]
        line = _usage(the_plan, events, month_period(2024, 2)).to_lago()["charges_usage"][0]
        seen.append((line["units"], line["amount_cents"]))
    assert seen == [("10.0", 24000), ("5.0", 24000), ("7.0", 24000)]


def test_taxes_round_once():
    """2 events at 12.66 → 2 532 cents; 20 % → 506; total 3 038 (customer_usage_service_spec)."""
    usage = _usage(plan(charge("standard", {"amount": "12.66"})), _counts(2), taxes=[VAT])
    assert (usage.amount_cents, usage.taxes_amount_cents, usage.total_amount_cents) == (
        2532,
        506,
        3038,
    )


def test_tax_precedence_charge_then_plan_then_customer():
    """A charge's taxes win over the plan's, which win over the customer's."""
    ten = {"code": "ten", "rate": "10"}
    five = {"code": "five", "rate": "5"}
    the_plan = plan(
        charge("standard", {"amount": "10"}, taxes=[ten]),
        charge("standard", {"amount": "10"}, billable_metric=metric("count_agg", code="n")),
        taxes=[five],
    )
    events = _counts(1) + _counts(1, code="n")
    usage = _usage(the_plan, events, taxes=[VAT])
    assert usage.taxes_amount_cents == 100 + 50
    no_plan_taxes = plan(charge("standard", {"amount": "10"}))
    assert _usage(no_plan_taxes, _counts(1), taxes=[VAT]).taxes_amount_cents == 200


@pytest.mark.parametrize(
    ("currency", "cents"),
    [
        pytest.param("KWD", 100500, id="KWD has 3 decimals"),
        pytest.param("JPY", 101, id="JPY has none, half up"),
        pytest.param("EUR", 10050, id="EUR has 2"),
    ],
)
def test_currency_exponents(currency, cents):
    """100.50 in KWD is 100 500 (projection_service_spec); JPY rounds to whole yen."""
    the_plan = plan(charge("standard", {"amount": "100.50"}), currency=currency)
    assert _usage(the_plan, _counts(1)).amount_cents == cents


def test_negative_sum_is_zeroed():
    """A bucket with negative units is a zero fee (spec 4.0)."""
    the_plan = plan(charge("standard", {"amount": "3"}, billable_metric=SUM))
    line = _usage(the_plan, _sums([-5])).charges_usage[0]
    assert (line.units, line.amount_cents, line.events_count) == (Decimal(0), 0, 1)


def test_charges_sorted_by_metric_name():
    """Charges are listed by metric name, case-insensitive."""
    beta = metric("count_agg", code="b") | {"name": "beta"}
    alpha = metric("count_agg", code="a") | {"name": "Alpha"}
    the_plan = plan(
        charge("standard", {"amount": "1"}, billable_metric=beta),
        charge("standard", {"amount": "1"}, billable_metric=alpha),
    )
    names = [c.billable_metric.name for c in _usage(the_plan, []).charges_usage]
    assert names == ["Alpha", "beta"]


def test_period_fields_in_the_response():
    """from/to print to the second with Z; issuing_date is the period's."""
    period = span_period(date(2022, 6, 7), date(2022, 7, 6))
    payload = _usage(plan(), [], period).to_lago()
    assert (payload["from_datetime"], payload["to_datetime"], payload["issuing_date"]) == (
        "2022-06-07T00:00:00Z",
        "2022-07-06T23:59:59Z",
        "2022-07-06",
    )


def test_bad_now_is_invalid_input():
    """now must be an instant."""
    with pytest.raises(InvalidInput, match=r"^now: "):
        current_usage(plan(), [], MARCH, now="tomorrow")


def test_inputs_are_not_mutated():
    """The plan, events and period mappings are left as they were."""
    import copy

    the_plan = plan(charge("standard", {"amount": "1"}))
    events = _counts(2)
    before = copy.deepcopy((the_plan, events))
    _usage(the_plan, events)
    assert (the_plan, events) == before


def test_partly_overlapping_filters_count_the_event_twice_and_warn():
    """Q4: {region: eu, us} and {region: us, asia} both count a us event, with a warning."""
    from usage_engine.errors import OverlappingFiltersWarning

    recipe = metric("count_agg", filters=[{"key": "region", "values": ["eu", "us", "asia"]}])
    filters = [
        {"properties": {"amount": "1"}, "values": {"region": ["eu", "us"]}},
        {"properties": {"amount": "2"}, "values": {"region": ["us", "asia"]}},
    ]
    the_plan = plan(charge("standard", {"amount": "5"}, billable_metric=recipe, filters=filters))
    with pytest.warns(OverlappingFiltersWarning, match="filters 0 and 1 of metric 'm'"):
        usage = _usage(the_plan, _counts(1, region="us"))
    line = usage.charges_usage[0]
    assert [(f.units, f.amount_cents) for f in line.filters] == [
        (Decimal(1), 100),
        (Decimal(1), 200),
        (Decimal(0), 0),
    ]
    assert (line.units, line.events_count, line.amount_cents) == (Decimal(2), 2, 300)


def test_nested_filters_do_not_warn():
    """A filter inside another is not a partial overlap: no warning."""
    import warnings

    from usage_engine.errors import OverlappingFiltersWarning

    filters = [
        {"properties": {"amount": "5"}, "values": {"cloud": ["aws", "gcp"]}},
        {"properties": {"amount": "3"}, "values": {"cloud": ["aws"]}},
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error", OverlappingFiltersWarning)
        _usage(
            plan(charge("standard", {"amount": "1"}, billable_metric=CLOUD, filters=filters)), []
        )


def test_a_chain_of_products_over_a_long_number_rejects_the_event_quickly():
    """x * ... * x (50 factors) over a 131 KB number took 5.4 s per event, then was ignored.

    Now the event is malformed, named by position and transaction id, within milliseconds.
    """
    import time

    chain = " * ".join(["event.properties.x"] * 50)
    recipe = metric("sum_agg", field_name="total", expression=chain)
    the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=recipe))
    events = [event("m", utc(2024, 3, 5), {"x": "9" * 131_000}, transaction_id="t1")]
    started = time.process_time()
    with pytest.raises(InvalidInput) as caught:
        _usage(the_plan, events)
    assert time.process_time() - started < 1
    assert caught.value.path == "events[0] (transaction_id 't1')"
    assert caught.value.errors[0].message == (
        "expression of metric 'm' failed: '*' gives a number of more than 20000 digits"
    )


def test_an_expression_result_out_of_range_rejects_the_event():
    """A result Lago could not store used to be dropped silently: the event is now rejected."""
    recipe = metric(
        "sum_agg", field_name="total", expression="event.properties.x * event.properties.x"
    )
    the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=recipe))
    events = [
        event("m", utc(2024, 3, 5), {"x": "2"}, transaction_id="t1"),
        event("m", utc(2024, 3, 5), {"x": Decimal("1E+70000")}, transaction_id="t2"),
    ]
    usage = _usage(the_plan, events, invalid_events="collect")
    assert (usage.charges_usage[0].units, usage.charges_usage[0].amount_cents) == (
        Decimal(4),
        400,
    )
    assert usage.rejected_events.reasons == (
        "events[1] (transaction_id 't2'): expression of metric 'm' failed: the result is out of"
        " the range of numbers Lago stores",
    )


def test_a_concat_of_1000_arguments_is_refused_at_validation():
    """concat(x, ...) of 1000 arguments kept 800 MB of unique values from 0.8 MB of events."""
    text = "concat(" + ", ".join(["event.properties.x"] * 1000) + ")"
    recipe = metric("unique_count_agg", field_name="key", expression=text)
    with pytest.raises(InvalidInput) as caught:
        _usage(plan(charge("standard", {"amount": "1"}, billable_metric=recipe)), [])
    assert caught.value.path == "plan.charges[0].billable_metric.expression"
    assert caught.value.errors[0].message == (
        "expression longer than 4096 characters at position 4096 (it has 20006)"
    )


_EMPTY_A = {"invoice_display_name": "Empty A", "properties": {"amount": "5"}, "values": {}}
_EMPTY_B = {"invoice_display_name": "Empty B", "properties": {"amount": "8"}, "values": {}}
_AWS = {"invoice_display_name": "AWS", "properties": {"amount": "3"}, "values": {"cloud": ["aws"]}}


def test_filters_without_values_show_as_zero_entries_in_their_place():
    """ISSUE-1799 (with_identical_charge_filters_spec): two filters without values beside a
    keyed one give 3 filter entries plus the default bucket; the empty ones match no event.
    """
    from usage_engine import EmptyFilterWarning

    the_plan = plan(
        charge(
            "standard",
            {"amount": "10"},
            billable_metric=CLOUD,
            filters=[_EMPTY_A, _EMPTY_B, _AWS],
        )
    )
    events = _sums([10], cloud="aws") + _sums([7], cloud="gcp") + _sums([2])
    with pytest.warns(EmptyFilterWarning) as caught:
        usage = _usage(the_plan, events)
    assert [str(item.message) for item in caught] == [
        "charge filter 0 of metric 'm' has no values: it matches no event and is shown with"
        " zero usage",
        "charge filter 1 of metric 'm' has no values: it matches no event and is shown with"
        " zero usage",
    ]
    line = usage.to_lago()["charges_usage"][0]
    assert [
        (
            f["invoice_display_name"],
            f["values"],
            f["units"],
            f["events_count"],
            f["amount_cents"],
        )
        for f in line["filters"]
    ] == [
        ("Empty A", {}, "0.0", 0, 0),
        ("Empty B", {}, "0.0", 0, 0),
        ("AWS", {"cloud": ["aws"]}, "10.0", 1, 3000),
        (None, None, "9.0", 2, 9000),
    ]
    assert (line["units"], line["events_count"], line["amount_cents"]) == ("19.0", 3, 12000)


def test_a_filter_without_values_is_priced_like_a_filter_without_events():
    """Its zero usage is priced by its own properties: a graduated first-tier flat is kept
    (spec 5.4), as for any filter bucket without events.
    """
    from usage_engine import EmptyFilterWarning

    tiers = {
        "graduated_ranges": [
            {"from_value": 0, "to_value": 5, "per_unit_amount": "1", "flat_amount": "4"},
            {"from_value": 6, "to_value": None, "per_unit_amount": "1", "flat_amount": "0"},
        ]
    }
    empty = {"properties": tiers, "values": {}}
    keyed = {"properties": tiers, "values": {"cloud": ["aws"]}}
    the_plan = plan(charge("graduated", tiers, billable_metric=CLOUD, filters=[empty, keyed]))
    with pytest.warns(EmptyFilterWarning, match="charge filter 0 of metric 'm' has no values"):
        line = _usage(the_plan, []).charges_usage[0]
    assert [(f.units, f.events_count, f.amount_cents) for f in line.filters] == [
        (Decimal(0), 0, 400),
        (Decimal(0), 0, 400),
        (Decimal(0), 0, 400),
    ]


def test_only_filters_without_values_send_every_event_to_the_default_bucket():
    """A charge whose filters all lack values prices every event with its own properties."""
    from usage_engine import EmptyFilterWarning

    the_plan = plan(charge("standard", {"amount": "10"}, billable_metric=CLOUD, filters=[_EMPTY_A]))
    with pytest.warns(EmptyFilterWarning):
        line = _usage(the_plan, _sums([4], cloud="aws") + _sums([1])).charges_usage[0]
    assert [(f.values, f.units, f.amount_cents) for f in line.filters] == [
        ((), Decimal(0), 0),
        (None, Decimal(5), 5000),
    ]


_KEYED = [
    {"properties": {"amount": "5"}, "values": {"cloud": ["aws", "gcp"]}},
    {"properties": {"amount": "3"}, "values": {"cloud": ["aws"]}},
]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["aws", "gcp", None]), st.integers(0, 100)), max_size=8),
    st.lists(st.integers(0, len(_KEYED)), max_size=3),
)
def test_filters_without_values_change_no_other_entry(cells, places):
    """Adding filters without values anywhere leaves every other entry and the totals as they
    were, and the added entries have zero units, events and amount.
    """
    import warnings

    from usage_engine import EmptyFilterWarning

    events = [
        event("m", utc(2024, 3, 5), {"value": value} | ({"cloud": cloud} if cloud else {}))
        for cloud, value in cells
    ]
    filters = list(_KEYED)
    for offset, place in enumerate(sorted(places)):
        filters.insert(place + offset, {"properties": {"amount": "7"}, "values": {}})

    def line(items):
        the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=CLOUD, filters=items))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EmptyFilterWarning)
            return _usage(the_plan, events).charges_usage[0]

    def numbers(item):
        return (item.units, item.events_count, item.amount_cents)

    plain, padded = line(_KEYED), line(filters)
    assert numbers(padded) == numbers(plain)
    assert [numbers(f) for f in padded.filters if f.values != ()] == [
        numbers(f) for f in plain.filters
    ]
    assert [numbers(f) for f in padded.filters if f.values == ()] == [(Decimal(0), 0, 0)] * len(
        places
    )
