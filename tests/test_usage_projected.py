"""projected_usage (spec 8): the ratio, per-model rules, both methods, and roll-up."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import charge, event, metric, month_period, plan, utc
from usage_engine import InvalidInput, current_and_projected_usage, current_usage
from usage_engine import strategies as ue
from usage_engine.projection import projected_usage, projection_ratio

JULY = month_period(2025, 7)
NOW = "2025-07-03T10:00:00Z"  # 3 of 31 days


@pytest.mark.parametrize(
    ("period", "now", "expected"),
    [
        pytest.param(month_period(2025, 1), "2025-01-10T23:59:59Z", 10 / 31, id="Jan 10 late"),
        pytest.param(month_period(2025, 1), "2025-01-11T00:00:00Z", 11 / 31, id="Jan 11 midnight"),
        pytest.param(
            month_period(2025, 1, tz="America/New_York"),
            "2025-01-11T05:00:00Z",
            11 / 31,
            id="New York, from + 10 days",
        ),
        pytest.param(month_period(2025, 1), "2025-01-31T12:00:00Z", 1.0, id="last day"),
        pytest.param(month_period(2025, 1), "2025-02-03T00:00:00Z", 1.0, id="after the period"),
        pytest.param(month_period(2025, 1), "2024-12-31T23:00:00Z", 0.0, id="before the period"),
    ],
)
def test_ratio(period, now, expected):
    """Today counts as a whole day; the ratio is the float's shortest text (spec 8.1)."""
    assert projection_ratio(period, now) == Decimal(repr(expected))


def test_ratio_of_a_first_partial_period_starts_at_local_midnight():
    """Started July 10 at 15:00: 1 of 22 days, July 10 counted from midnight (spec 8.1)."""
    period = month_period(2025, 7, started_at=utc(2025, 7, 10, 15))
    assert projection_ratio(period, "2025-07-10T16:00:00Z") == Decimal(repr(1 / 22))


CLOUD = metric("count_agg", filters=[{"key": "cloud", "values": ["aws", "google"]}])
FILTERS = [
    {"invoice_display_name": "AWS", "properties": {"amount": "10"}, "values": {"cloud": ["aws"]}},
    {
        "invoice_display_name": "Google",
        "properties": {"amount": "20"},
        "values": {"cloud": ["google"]},
    },
]


def test_filters_are_projected_each_on_its_own():
    """aws 3 events → "31.0" / 31 000; google 1 → "10.33" / 20 660 (projected_usage_controller)."""
    the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=CLOUD, filters=FILTERS))
    events = [event("m", utc(2025, 7, 2), {"cloud": "aws"}) for _ in range(3)]
    events += [event("m", utc(2025, 7, 2), {"cloud": "google"})]
    payload = projected_usage(the_plan, events, JULY, now=NOW).to_lago()
    entries = {
        tuple(f["values"].get("cloud", ["default"])): f
        for f in payload["charges_usage"][0]["filters"]
    }
    aws, google = entries[("aws",)], entries[("google",)]
    assert (aws["projected_units"], aws["projected_amount_cents"]) == ("31.0", 31000)
    assert (google["projected_units"], google["projected_amount_cents"]) == ("10.33", 20660)
    assert payload["projected_amount_cents"] == 51660
    assert payload["charges_usage"][0]["projected_amount_cents"] == 51660


def test_default_bucket_is_projected_too():
    """Q5: Lago leaves the default bucket at 0; the engine projects it like the others."""
    the_plan = plan(charge("standard", {"amount": "1"}, billable_metric=CLOUD, filters=FILTERS))
    events = [event("m", utc(2025, 7, 2), {"cloud": "other"}) for _ in range(3)]
    usage = projected_usage(the_plan, events, JULY, now=NOW)
    default = usage.charges_usage[0].filters[-1]
    assert (default.values, default.projected_units, default.projected_amount_cents) == (
        None,
        Decimal(31),
        3100,
    )
    assert usage.projected_amount_cents == 3100


GRADUATED = {
    "graduated_ranges": [
        {"from_value": 0, "to_value": 5, "per_unit_amount": "10", "flat_amount": "100"},
        {"from_value": 6, "to_value": None, "per_unit_amount": "5", "flat_amount": "50"},
    ]
}
VOLUME = {
    "volume_ranges": [
        {"from_value": 0, "to_value": 10, "per_unit_amount": "5", "flat_amount": "100"},
        {"from_value": 11, "to_value": None, "per_unit_amount": "2", "flat_amount": "50"},
    ]
}
PACKAGE = {"amount": "100", "package_size": 10, "free_units": 5}
PERCENT = {"rate": "1", "fixed_amount": "5", "free_units_per_events": 1}
SUM = metric("sum_agg")


def _one_event_plan(model, properties, recipe=None):
    return plan(charge(model, properties, billable_metric=recipe or metric("count_agg")))


@pytest.mark.parametrize(
    ("model", "properties", "recipe", "lago", "exact"),
    [
        # 1 unit at 3/31: projected 10.33 units.
        pytest.param("standard", {"amount": "2"}, None, 2066, 2066, id="standard"),
        # lago: 5 × 10 + 100 + 5.33 × 5 + 50 = 226.65; exact adds the tiers' units the same way.
        pytest.param("graduated", GRADUATED, None, 22665, 22665, id="graduated"),
        # 10.33 is above 10 (from ≤ ceil): the second range, 10.33 × 2 + 50 = 70.66.
        pytest.param("volume", VOLUME, None, 7066, 7066, id="volume"),
        # paid 10.33 − 5 = 5.33 → 1 package.
        pytest.param("package", PACKAGE, None, 10000, 10000, id="package"),
        # lago: (1 × 1 % + 5 fixed) / (3/31) with free units ignored = 51.77;
        # exact: 10 events of 1 (10.33 units), 1 free: 10.33 − 1 = 9.33 × 1 % + 9 × 5 = 45.09.
        pytest.param("percentage", PERCENT, SUM, 5177, 4509, id="percentage"),
    ],
)
def test_models_both_methods(model, properties, recipe, lago, exact):
    """Each model's projection of one unit on July 2 at 3/31 (spec 8.2)."""
    events = [event("m", utc(2025, 7, 2), {"value": 1})]
    the_plan = _one_event_plan(model, properties, recipe)
    by_lago = projected_usage(the_plan, events, JULY, now=NOW)
    by_exact = projected_usage(the_plan, events, JULY, now=NOW, method="exact")
    assert (by_lago.projected_amount_cents, by_exact.projected_amount_cents) == (lago, exact)


def test_graduated_flat_disappears_at_zero_projected_units_in_lago_only():
    """8.5-5: no usage projects 0 with Lago's rules, the first flat with the exact method."""
    the_plan = _one_event_plan("graduated", GRADUATED, SUM)
    by_lago = projected_usage(the_plan, [], JULY, now=NOW)
    by_exact = projected_usage(the_plan, [], JULY, now=NOW, method="exact")
    assert (by_lago.amount_cents, by_lago.projected_amount_cents) == (10000, 0)
    assert by_exact.projected_amount_cents == 10000


def test_graduated_percentage_and_dynamic_scale_the_amount_in_lago():
    """graduated_percentage and dynamic: current amount / ratio (spec 8.2)."""
    ranges = {
        "graduated_percentage_ranges": [
            {"from_value": 0, "to_value": None, "rate": "10", "flat_amount": "1"}
        ]
    }
    the_plan = _one_event_plan("graduated_percentage", ranges, SUM)
    events = [event("m", utc(2025, 7, 2), {"value": 10})]
    # (10 × 10 % + 1) × 31 / 3 = 20.666… → 20.67
    assert projected_usage(the_plan, events, JULY, now=NOW).projected_amount_cents == 2067
    dynamic = _one_event_plan("dynamic", {}, SUM)
    priced = [event("m", utc(2025, 7, 2), {"value": 1}, precise_total_amount_cents="300")]
    assert projected_usage(dynamic, priced, JULY, now=NOW).projected_amount_cents == 3100


def test_levels_are_held_by_the_exact_method_and_scaled_by_lago():
    """A max of 20 at 3/31: Lago divides it like a counter (206.67), exact holds it (20)."""
    the_plan = _one_event_plan("standard", {"amount": "1"}, metric("max_agg"))
    events = [event("m", utc(2025, 7, 2), {"value": 20})]
    assert projected_usage(the_plan, events, JULY, now=NOW).projected_amount_cents == 20667
    exact = projected_usage(the_plan, events, JULY, now=NOW, method="exact")
    assert exact.projected_amount_cents == 2000


def test_recurring_metrics_are_held_flat():
    """A recurring sum of 7 projects to 7 units and the same cents, whatever the ratio."""
    recurring = metric("sum_agg", recurring=True)
    the_plan = _one_event_plan("standard", {"amount": "3"}, recurring)
    events = [event("m", utc(2025, 5, 2), {"value": 7})]
    usage = projected_usage(the_plan, events, JULY, now=NOW)
    line = usage.charges_usage[0]
    assert (line.projected_units, line.projected_amount_cents) == (Decimal(7), 2100)
    before = projected_usage(the_plan, events, JULY, now="2025-06-15T00:00:00Z")
    assert before.projected_amount_cents == 2100


def test_before_the_period_non_recurring_projects_zero():
    """Ratio 0: every non-recurring projection is 0 (spec 8.4)."""
    the_plan = _one_event_plan("standard", {"amount": "2"})
    events = [event("m", utc(2025, 7, 2))]
    usage = projected_usage(the_plan, events, JULY, now="2025-06-20T00:00:00Z")
    assert (usage.amount_cents, usage.projected_amount_cents) == (200, 0)


def test_last_day_projection_rounds_units_to_two_decimals():
    """Ratio 1: 1.005 units project to 1.01 and cost a cent more at "1" (spec 8.4)."""
    the_plan = _one_event_plan("standard", {"amount": "1"}, SUM)
    events = [event("m", utc(2025, 7, 2), {"value": "1.005"})]
    usage = projected_usage(the_plan, events, JULY, now="2025-07-31T09:00:00Z")
    line = usage.charges_usage[0]
    assert (line.amount_cents, line.projected_units, line.projected_amount_cents) == (
        101,
        Decimal("1.01"),
        101,
    )


@pytest.mark.parametrize(
    ("model", "properties", "recipe"),
    [
        pytest.param("graduated", GRADUATED, SUM, id="graduated sum"),
        pytest.param("volume", VOLUME, metric("max_agg"), id="volume max"),
    ],
)
@pytest.mark.parametrize("now", [NOW, "2025-07-31T12:00:00Z"], ids=["3 July", "last day"])
def test_a_bucket_below_zero_projects_nothing_by_the_exact_method(model, properties, recipe, now):
    """A bucket at -5 costs 0 (spec 4.0) and projects 0 units and 0 cents, not the first tier's
    flat amount of 100.00 that pricing zero units would give."""
    the_plan = _one_event_plan(model, properties, recipe)
    events = [event("m", utc(2025, 7, 2), {"value": -5})]
    usage = projected_usage(the_plan, events, JULY, now=now, method="exact")
    line = usage.charges_usage[0]
    assert (line.amount_cents, line.projected_units, line.projected_amount_cents) == (0, 0, 0)
    assert usage.projected_amount_cents == 0


def test_projected_shape():
    """The projected shape has projected fields, no total_aggregated_units, no charge code."""
    the_plan = _one_event_plan("standard", {"amount": "2"})
    payload = projected_usage(the_plan, [event("m", utc(2025, 7, 2))], JULY, now=NOW).to_lago()
    line = payload["charges_usage"][0]
    assert list(payload)[:6] == [
        "from_datetime",
        "to_datetime",
        "issuing_date",
        "currency",
        "amount_cents",
        "projected_amount_cents",
    ]
    assert "total_aggregated_units" not in line
    assert "code" not in line["charge"]
    assert (line["units"], line["projected_units"], line["projected_amount_cents"]) == (
        "1.0",
        "10.33",
        2066,
    )


def test_bad_method_is_invalid_input():
    """method takes "lago" or "exact", with a suggestion."""
    with pytest.raises(InvalidInput) as caught:
        projected_usage(plan(), [], JULY, now=NOW, method="exac")
    assert (
        str(caught.value) == "method: must be 'lago' or 'exact'. Did you mean 'exact'? (got 'exac')"
    )


def test_graduated_percentage_dynamic_and_prorated_graduated_by_the_exact_method():
    """Exact: tiers re-priced on projected units, precise amounts scaled, recurring held."""
    ranges = {
        "graduated_percentage_ranges": [
            {"from_value": 0, "to_value": None, "rate": "10", "flat_amount": "1"}
        ]
    }
    the_plan = _one_event_plan("graduated_percentage", ranges, SUM)
    events = [event("m", utc(2025, 7, 2), {"value": 10})]
    # 103.33 projected units × 10 % + the flat 1 once = 11.333 → 11.33
    exact = projected_usage(the_plan, events, JULY, now=NOW, method="exact")
    assert exact.projected_amount_cents == 1133
    dynamic = _one_event_plan("dynamic", {}, SUM)
    priced = [event("m", utc(2025, 7, 2), {"value": 1}, precise_total_amount_cents="300")]
    # 300 precise cents × 31/3 = 3 100 cents
    assert projected_usage(
        dynamic, priced, JULY, now=NOW, method="exact"
    ).projected_amount_cents == (3100)
    tiers = {
        "graduated_ranges": [
            {"from_value": 0, "to_value": 5, "per_unit_amount": "10", "flat_amount": "100"},
            {"from_value": 6, "to_value": None, "per_unit_amount": "5", "flat_amount": "50"},
        ]
    }
    recurring = metric("sum_agg", recurring=True)
    prorated = _one_event_plan("graduated", tiers, recurring) | {}
    prorated["charges"][0]["prorated"] = True
    held = projected_usage(
        prorated, [event("m", utc(2025, 6, 2), {"value": 2})], JULY, now=NOW, method="exact"
    )
    line = held.charges_usage[0]
    assert (line.projected_units, line.projected_amount_cents) == (line.units, line.amount_cents)
    assert line.amount_cents == 12000


def test_bill_charges_monthly_projects_the_month():
    """Q2: Lago projects over the year with the year's ratio; the engine over the charges month.

    A yearly plan billing charges monthly, asked on July 3: the ratio is 3/31 (July), not
    184/365, and the July usage is projected to the end of July.
    """
    from usage_engine import billing_period

    yearly = plan(charge("standard", {"amount": "1"}), interval="yearly", bill_charges_monthly=True)
    subscription = {
        "external_id": "sub_1",
        "plan": yearly,
        "subscription_at": "2025-01-01T00:00:00Z",
    }
    period = billing_period(subscription, NOW)
    assert (period.charges_from_datetime, period.from_datetime) == (
        utc(2025, 7, 1),
        utc(2025, 1, 1),
    )
    assert projection_ratio(period, NOW) == Decimal(repr(3 / 31))
    usage = projected_usage(yearly, [event("m", utc(2025, 7, 2))], period, now=NOW)
    assert (usage.amount_cents, usage.projected_amount_cents) == (100, 1033)


@settings(max_examples=40, deadline=None)
@given(case=ue.usage_cases(max_events=20), method=st.sampled_from(["lago", "exact"]))
def test_current_and_projected_together_equal_each_alone(case, method):
    """One reading gives both results, each equal to its own function's."""
    both = current_and_projected_usage(
        case.plan, case.events, case.period, now=case.now, taxes=case.taxes, method=method
    )
    alone = current_usage(case.plan, case.events, case.period, taxes=case.taxes)
    projected = projected_usage(
        case.plan, case.events, case.period, now=case.now, taxes=case.taxes, method=method
    )
    assert both.current == alone
    assert both.projected == projected
    assert both.current.to_lago() == alone.to_lago()
    assert both.projected.to_lago() == projected.to_lago()


def test_current_and_projected_together_read_the_events_once():
    """A generator of events serves both results: they are read in one pass."""
    the_plan = plan(charge("standard", {"amount": "10"}))
    events = (event("m", utc(2025, 7, 2), transaction_id=f"t{n}") for n in range(3))
    both = current_and_projected_usage(the_plan, events, JULY, now=NOW)
    assert (both.current.amount_cents, both.projected.projected_amount_cents) == (3000, 31000)
