"""Examples from Lago's documentation and Lago's own tests, run end to end through the engine.

Each test names its source; the expected values are the source's, or worked by hand from the
rule the source states when it gives none, with the arithmetic in a comment.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.factories import charge, event, metric, month_period, plan, span_period, utc
from usage_engine import current_usage, projected_usage

JULY = month_period(2025, 7)


def cents(plan_: dict[str, Any], events: list[dict[str, Any]]) -> int:
    """The current-usage amount of a one-charge plan, in cents."""
    return current_usage(plan_, events, JULY).amount_cents


def sums(*values: int | str) -> list[dict[str, Any]]:
    """One sum event a day from 1 July 2025, with these values."""
    return [event("m", utc(2025, 7, day + 1), {"value": value}) for day, value in enumerate(values)]


def test_percentage_documentation_example():
    """docs.getlago.com .../charge-models/percentage: 1.2 % + $0.10, 3 events or $500 free.

    "for the fourth transaction, the charge will be $0.10 x 1 event + 1.2% of $50 = $0.70".
    """
    percentage = plan(
        charge(
            "percentage",
            {
                "rate": "1.2",
                "fixed_amount": "0.1",
                "free_units_per_events": 3,
                "free_units_per_total_aggregation": "500",
            },
            billable_metric=metric("sum_agg"),
        ),
        currency="USD",
    )
    transactions = sums(200, 100, 100, 50)
    # 200, 300 then 400 in total over the 3 free events: nothing to pay.
    assert cents(percentage, transactions[:3]) == 0
    # The fourth event pays its fixed fee and the rate on its 50: 0.10 + 0.60 = 0.70.
    assert cents(percentage, transactions) == 70


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        # "(500 units x 1%) + $200 flat fee = $205.00"
        pytest.param(1, 20_500, id="first transaction of 500: 205.00"),
        # "+ [(500 units x 1%) + (50 units x 2%)] + $300 flat fee = $306.00": 205 + 306 = 511.
        pytest.param(2, 51_100, id="second transaction of 550: 511.00 in all"),
        # "(4,000 x 2%) = $80.00": 511 + 80 = 591.
        pytest.param(3, 59_100, id="third transaction of 4 000: 591.00 in all"),
    ],
)
def test_graduated_percentage_documentation_example(count, expected):
    """docs.getlago.com .../charge-models/graduated-percentage: the three transactions."""
    tiers = {
        "graduated_percentage_ranges": [
            {"from_value": 0, "to_value": 1000, "rate": "1", "flat_amount": "200"},
            {"from_value": 1001, "to_value": 10000, "rate": "2", "flat_amount": "300"},
            {"from_value": 10001, "to_value": None, "rate": "3", "flat_amount": "400"},
        ]
    }
    graduated = plan(
        charge("graduated_percentage", tiers, billable_metric=metric("sum_agg")), currency="USD"
    )
    assert cents(graduated, sums(500, 550, 4000)[:count]) == expected


def test_volume_documentation_example():
    """docs.getlago.com .../charge-models/volume: "65,000 API calls would cost … = $49"."""
    tiers = {
        "volume_ranges": [
            {"from_value": 0, "to_value": 10000, "per_unit_amount": "0.001", "flat_amount": "10"},
            {
                "from_value": 10001,
                "to_value": 50000,
                "per_unit_amount": "0.0008",
                "flat_amount": "10",
            },
            {
                "from_value": 50001,
                "to_value": 100000,
                "per_unit_amount": "0.0006",
                "flat_amount": "10",
            },
            {
                "from_value": 100001,
                "to_value": None,
                "per_unit_amount": "0.0004",
                "flat_amount": "10",
            },
        ]
    }
    volume = plan(charge("volume", tiers, billable_metric=metric("sum_agg")), currency="USD")
    # All 65 000 calls at the third tier's price: 65 000 × 0.0006 + 10 = 49.00.
    assert cents(volume, sums(65000)) == 4900


def test_package_documentation_example():
    """docs.getlago.com .../charge-models/package: $5 per 100 units, first 100 free.

    "201 units would cost $0 (first 100 units) + $5 (next 100 units) + $5 (last unit) = $10".
    """
    package = plan(
        charge(
            "package",
            {"amount": "5", "package_size": 100, "free_units": 100},
            billable_metric=metric("sum_agg"),
        ),
        currency="USD",
    )
    assert cents(package, sums(201)) == 1000
    # 200 units: 100 paid units fill exactly one package, 5.00.
    assert cents(package, sums(200)) == 500


@pytest.mark.parametrize(
    ("free_units", "expected"),
    [
        # "applies the package size to the value": ceil(121 / 10) = 13 packages × 1.00.
        pytest.param(0, 1300, id="121 units are 13 packages"),
        # "substracts the free units from the value": ceil((121 − 10) / 10) = 12 packages.
        pytest.param(10, 1200, id="10 free units leave 12 packages"),
    ],
)
def test_package_service_spec(free_units, expected):
    """Lago's spec/services/charges/charge_models/package_service_spec.rb, packages of 10 at
    1.00 (written there as amount_cents 100), 121 units."""
    package = plan(
        charge(
            "package",
            {"amount": "1", "package_size": 10, "free_units": free_units},
            billable_metric=metric("sum_agg"),
        )
    )
    assert cents(package, sums(121)) == expected


def test_graduated_documentation_example():
    """docs.getlago.com .../charge-models/graduated: $1, then $0.50 for the next 100, then $0.10.

    The page gives no total; worked by hand for 250 units: 100 × 1 + 100 × 0.50 + 50 × 0.10 =
    100 + 50 + 5 = 155.00.
    """
    tiers = {
        "graduated_ranges": [
            {"from_value": 0, "to_value": 100, "per_unit_amount": "1", "flat_amount": "0"},
            {"from_value": 101, "to_value": 200, "per_unit_amount": "0.5", "flat_amount": "0"},
            {"from_value": 201, "to_value": None, "per_unit_amount": "0.1", "flat_amount": "0"},
        ]
    }
    graduated = plan(charge("graduated", tiers, billable_metric=metric("sum_agg")), currency="USD")
    assert cents(graduated, sums(250)) == 15_500
    # 150 units: 100 × 1 + 50 × 0.50 = 125.00.
    assert cents(graduated, sums(150)) == 12_500


@pytest.mark.parametrize(
    ("prorated", "expected"),
    [
        # 22 days of July's 31: 10 × 22/31 = 7.0967… → 7.10. (The page prints $7.33, which is
        # 22/30 of $10: its own dates give 22 of 31 days.)
        pytest.param(True, 710, id="prorated: 22 of 31 days"),
        # "(1 Seat x $10), used for 22 days = $10."
        pytest.param(False, 1000, id="fully billed"),
    ],
)
def test_prorated_seat_documentation_example(prorated, expected):
    """docs.getlago.com .../charges/prorated-vs-full: a $10 seat added on July 10th."""
    seats = metric("unique_count_agg", field_name="user", recurring=True)
    seat_plan = plan(
        charge("standard", {"amount": "10"}, billable_metric=seats, prorated=prorated),
        currency="USD",
    )
    added = [event("m", utc(2025, 7, 10, 8), {"user": "ann"})]
    usage = current_usage(seat_plan, added, JULY)
    assert usage.amount_cents == expected
    # The seat is shown as one unit either way.
    assert usage.to_lago()["charges_usage"][0]["units"] == "1.0"


def test_filters_documentation_example():
    """docs.getlago.com .../charges/charges-with-filters: "Africa & AWS" at 1, every other
    region and provider at 0.5, the default price 2 for events matching neither.

    The page gives no events; worked by hand. An africa/aws event matches both filters and
    goes to the narrower one; an event without a provider matches neither.
    """
    keys = [
        {"key": "region", "values": ["africa", "europe"]},
        {"key": "provider", "values": ["aws", "gcp"]},
    ]
    filters = [
        {
            "values": {"region": ["africa"], "provider": ["aws"]},
            "invoice_display_name": "Africa & AWS",
            "properties": {"amount": "1"},
        },
        {
            "values": {
                "region": ["__ALL_FILTER_VALUES__"],
                "provider": ["__ALL_FILTER_VALUES__"],
            },
            "invoice_display_name": "Other regions and providers",
            "properties": {"amount": "0.5"},
        },
    ]
    filtered = plan(
        charge(
            "standard",
            {"amount": "2"},
            billable_metric=metric("count_agg", filters=keys),
            filters=filters,
        ),
        currency="USD",
    )
    at = utc(2025, 7, 2)
    events = [event("m", at, {"region": "africa", "provider": "aws"}) for _ in range(2)]
    events += [event("m", at, {"region": "europe", "provider": "gcp"}) for _ in range(3)]
    events.append(event("m", at, {"region": "europe"}))
    (line,) = current_usage(filtered, events, JULY).to_lago()["charges_usage"]
    found = {entry["invoice_display_name"]: entry["amount_cents"] for entry in line["filters"]}
    # 2 × 1 = 2.00; 3 × 0.5 = 1.50; 1 × 2 = 2.00; 200 + 150 + 200 = 550.
    assert found == {"Africa & AWS": 200, "Other regions and providers": 150, None: 200}
    assert line["amount_cents"] == 550


# Lago's spec/services/fees/projection_service_spec.rb: a 10-day charges period 2025-01-01 ..
# 01-10, now 2025-01-05T12:00 ("5 of 10 days, ratio 0.5"), 10 units now → 20 projected.
TEN_DAYS = span_period(date(2025, 1, 1), date(2025, 1, 10))
MIDWAY = "2025-01-05T12:00:00Z"


def projected_line(
    model: str,
    properties: dict[str, Any],
    *,
    now: str = MIDWAY,
    region: bool = False,
    recurring: bool = False,
) -> dict[str, Any]:
    """The projected charge of a one-charge plan with 10 units sent on 2 January."""
    extra: dict[str, Any] = {}
    filters: list[dict[str, Any]] = []
    if region:
        extra["filters"] = [{"key": "region", "values": ["eu"]}]
        filters = [{"values": {"region": ["eu"]}, "properties": {"amount": "1"}}]
    bucket = metric("sum_agg", recurring=recurring, **extra)
    one = plan(charge(model, properties, billable_metric=bucket, filters=filters))
    units = [event("m", utc(2025, 1, 2), {"value": 10, "region": "eu"})]
    usage = projected_usage(one, units, TEN_DAYS, now=now)
    return usage.to_lago()["charges_usage"][0]  # type: ignore[no-any-return]


STANDARD = {"amount": "0.1"}
TIERS = [
    {"from_value": 0, "to_value": 10, "per_unit_amount": "0.1", "flat_amount": "0"},
    {"from_value": 11, "to_value": None, "per_unit_amount": "0.05", "flat_amount": "0"},
]


@pytest.mark.parametrize(
    ("model", "properties", "expected"),
    [
        # "reprices the projected units with the charge properties": 20 × 0.1 = 2.00.
        pytest.param("standard", STANDARD, ("20.0", 200), id="standard"),
        # "prices the projected units through the tiers": 10 × 0.1 + 10 × 0.05 = 1.50.
        pytest.param("graduated", {"graduated_ranges": TIERS}, ("20.0", 150), id="graduated"),
        # "prices the projected units in packages": ceil((20 − 5) / 10) = 2 packages × 1.
        pytest.param(
            "package",
            {"amount": "1", "free_units": 5, "package_size": 10},
            ("20.0", 200),
            id="package",
        ),
        # "prices every projected unit at the tier they reach": 20 × 0.05 = 1.00.
        pytest.param("volume", {"volume_ranges": TIERS}, ("20.0", 100), id="volume"),
        # "scales the current amount": 123.4 precise cents / 0.5 = 246.8 → 247 cents. The same
        # current amount here: 12.34 % of 10 units = 1.234.
        pytest.param("percentage", {"rate": "12.34"}, ("20.0", 247), id="percentage"),
    ],
)
def test_projection_service_spec(model, properties, expected):
    """Each model projects 10 units at ratio 0.5 as Lago's projection_service_spec does."""
    found = projected_line(model, properties)
    assert (found["projected_units"], found["projected_amount_cents"]) == expected


def test_projection_service_spec_filter():
    """ "prices the projected units with the filter properties": 20 × 1 = 20.00."""
    (bucket, _default) = projected_line("standard", STANDARD, region=True)["filters"]
    assert (bucket["projected_units"], bucket["projected_amount_cents"]) == ("20.0", 2000)


@pytest.mark.parametrize(
    ("now", "recurring", "expected"),
    [
        # "returns the current usage" for a recurring metric: 10 units × 0.1 = 100 cents.
        pytest.param(MIDWAY, True, ("10.0", 100), id="recurring metric held"),
        # "when the period has not started": a zero projection.
        pytest.param("2024-12-31T00:00:00Z", False, ("0.0", 0), id="before the period"),
        # "when the period is over" (an hour after it): the current usage, 10 units, 100 cents.
        pytest.param("2025-01-11T00:59:59Z", False, ("10.0", 100), id="after the period"),
    ],
)
def test_projection_service_spec_edges(now, recurring, expected):
    """Recurring metrics and a ``now`` outside the period, as in projection_service_spec."""
    found = projected_line("standard", STANDARD, now=now, recurring=recurring)
    assert (found["projected_units"], found["projected_amount_cents"]) == expected
