"""Every snapshot scenario against values worked by hand, independent of the snapshot files.

The snapshot files hold the engine's own output; here each scenario's numbers are derived from
Lago's rules, with the arithmetic in comments, so that a mistake made before a snapshot was
taken still fails. The rules come from Lago's documentation
(https://docs.getlago.com/guide/plans/charges/charge-models/, ".../charges/charges-with-filters",
".../charges/prorated-vs-full", ".../events/retrieve-usage") and Lago's own tests, named where
used; the engine's deliberate differences are in docs/lago-differences.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.snapshots import run
from tests.snapshots.make_snapshots import scenarios

WORKED: set[str] = set()


def worked(name: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Mark a test as the hand-worked check of scenario ``name``."""

    def mark(test: Callable[[], None]) -> Callable[[], None]:
        WORKED.add(name)
        return test

    return mark


def result(name: str) -> dict[str, Any]:
    """The Lago-shaped output of scenario ``name``, its input read back from JSON as stored."""
    case = json.loads(json.dumps(scenarios()[name], default=str))
    return run(case)


def by_metric(usage: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The charges of a usage, by billable metric code."""
    return {line["billable_metric"]["code"]: line for line in usage["charges_usage"]}


def line(entry: dict[str, Any]) -> tuple[str, int, int]:
    """An entry's units, events_count and amount_cents."""
    return entry["units"], entry["events_count"], entry["amount_cents"]


def projected(entry: dict[str, Any]) -> tuple[str, int]:
    """An entry's projected_units and projected_amount_cents."""
    return entry["projected_units"], entry["projected_amount_cents"]


def by_name(filters: list[dict[str, Any]]) -> dict[str | None, dict[str, Any]]:
    """Filter entries by invoice display name (None: the default bucket)."""
    return {entry["invoice_display_name"]: entry for entry in filters}


def test_every_scenario_is_worked_by_hand():
    """A new snapshot scenario needs its hand-worked test here too."""
    assert set(scenarios()) == WORKED


@worked("zero_fees_filters")
def test_zero_fees_filters():
    """Lago's spec/scenarios/current_usage/zero_fees_spec.rb: filters europe @20, usa @50."""
    usage = result("zero_fees_filters")
    (charge,) = usage["charges_usage"]
    filters = by_name(charge["filters"])
    # One count event with region=europe: 1 × 20 = 20.00 → 2 000 cents.
    assert line(filters["Europe"]) == ("1.0", 1, 2000)
    assert filters["Europe"]["values"] == {"region": ["europe"]}
    # No usa event, yet the bucket is shown with zeros (Lago shows every filter bucket).
    assert line(filters["USA"]) == ("0.0", 0, 0)
    # region=unknown matches no filter: the default bucket, charge price 1 × 10 → 1 000 cents,
    # shown with values null.
    assert line(filters[None]) == ("1.0", 1, 1000)
    assert filters[None]["values"] is None
    # Charge: 2 events, 2000 + 0 + 1000 = 3 000 cents; no taxes in the plan.
    assert line(charge) == ("2.0", 2, 3000)
    assert (usage["amount_cents"], usage["taxes_amount_cents"], usage["total_amount_cents"]) == (
        3000,
        0,
        3000,
    )


@worked("grouped_standard_no_events")
def test_grouped_standard_no_events():
    """Lago's zero_fees_spec.rb: grouped by region, no events → one {region: null} entry."""
    usage = result("grouped_standard_no_events")
    (charge,) = usage["charges_usage"]
    assert line(charge) == ("0.0", 0, 0)
    assert charge["filters"] == []
    (group,) = charge["grouped_usage"]
    assert group["grouped_by"] == {"region": None}
    assert line(group) == ("0.0", 0, 0)
    # April 2024 in UTC: the period's first and last second, issued on the last day.
    assert (usage["from_datetime"], usage["to_datetime"], usage["issuing_date"]) == (
        "2024-04-01T00:00:00Z",
        "2024-04-30T23:59:59Z",
        "2024-04-30",
    )
    assert usage["amount_cents"] == 0


# The showcase plan (tests/showcase.py): July 2025 in Europe/Paris (31 local days, UTC+2, so
# the period runs 2025-06-30T22:00Z .. 2025-07-31T21:59:59Z), 20 % VAT, events at 09:00 UTC on
# each day d = 1..11. The charges' current values, worked once for the three scenarios:
SHOWCASE = {
    # package, 2 per 1 000 calls, 100 free: 11 calls, paid = 11 − 100 < 0 → 0.
    "calls": ("11.0", 11, 0),
    # standard by filter, summed "hours" (below): 198 + 110 + 33 = 341 cents over 104.5 hours.
    "compute": ("104.5", 33, 341),
    # percentage 2.9 % + 0.30 per payment, 2 free payments. Payments 10·d: units = 10 × 66 =
    # 660. Free units = the first two payments, 10 + 20 = 30 (Lago: "free units per event").
    # (660 − 30) × 2.9 % = 18.27; fixed fees (11 − 2) × 0.30 = 2.70; 20.97 → 2 097 cents.
    "payments": ("660.0", 11, 2097),
    # volume on max_agg: values d mod 7 = 1,2,3,4,5,6,0,1,2,3,4 → max 6, range 0–10 at 3 and
    # no flat: 6 × 3 = 18.00 → 1 800 cents.
    "peak": ("6.0", 11, 1800),
    # dynamic: 11 events of precise_total_amount_cents 12.5 → 137.5 cents = 1.375 EUR, rounded
    # half up to 1.38 → 138 cents; units = 11 × 1.
    "resold": ("11.0", 11, 138),
    # standard 4, paid in advance, recurring unique count of "user": ann added 2025-06-02
    # (before the period: carried, H = 1); bob added 07-03 (level 1), ann removed 07-08
    # (level 0). Paid in advance, the amount keeps the highest level: H + max(1, 0) = 2 seats
    # × 4 = 8.00 → 800 cents; the units shown are today's: 1 + 0 = 1 (events_count of a unique
    # count is the number of values, 1).
    "seats": ("1.0", 1, 800),
    # graduated, prorated, recurring sum of "gb": 8 GB on 2025-06-20 (carried, full period) and
    # 6 GB on 07-05 (Paris date 07-05, 31 − 5 + 1 = 27 of 31 days). Tiers 0–10 at 1 + flat 5,
    # 11–∞ at 0.5. The 8 carried GB fill tier 1 at full weight: 8 × 1 = 8. Of the new 6 GB,
    # 2 complete tier 1 and 4 go to tier 2, both at 27/31: 2 × 27/31 × 1 = 54/31 and
    # 4 × 27/31 × 0.5 = 54/31. Flats: the peak 14 reaches tier 2, so 5 + 0.
    # 8 + 108/31 + 5 = 16.4838… → 1 648 cents; units shown are the full 8 + 6 = 14, and a
    # recurring sum counts its 2 historical events.
    "storage": ("14.0", 2, 1648),
    # graduated percentage, 120·d tokens: 120 × 66 = 7 920. Tier 0–1 000 at 1 %: 1 000 units
    # → 10.00. Tier 1 001–∞ at 0.5 % + flat 2: 7 920 − 1 001 + 1 = 6 920 units → 34.60 + 2 =
    # 36.60. 46.60 → 4 660 cents.
    "tokens": ("7920.0", 11, 4660),
}
# compute: filters EU {region: eu} at 0.03 grouped by model, "US gold" {region: us, tier:
# gold} at 0.05, default at 0.02 grouped by model. Each day: eu/small d hours, us/gold 2 hours,
# us/big 1.5 hours (no tier, so not US gold: the default bucket).
COMPUTE = {
    # 1 + … + 11 = 66 hours × 0.03 = 1.98 → 198 cents, one group {model: small}.
    "EU": ("66.0", 11, 198),
    # 11 × 2 = 22 hours × 0.05 = 1.10 → 110 cents, no pricing groups (grouped_by {}).
    "US gold": ("22.0", 11, 110),
    # 11 × 1.5 = 16.5 hours × 0.02 = 0.33 → 33 cents, one group {model: big}.
    None: ("16.5", 11, 33),
}


def check_showcase(usage: dict[str, Any]) -> None:
    """The showcase plan's charges, filters and groups have the hand-worked current values."""
    charges = by_metric(usage)
    assert {code: line(entry) for code, entry in charges.items()} == SHOWCASE
    filters = by_name(charges["compute"]["filters"])
    assert {name: line(entry) for name, entry in filters.items()} == COMPUTE
    groups = charges["compute"]["grouped_usage"]
    assert {json.dumps(group["grouped_by"]): line(group) for group in groups} == {
        '{"model": "small"}': COMPUTE["EU"],
        "{}": COMPUTE["US gold"],
        '{"model": "big"}': COMPUTE[None],
    }
    # Charges sorted by metric name, case-insensitively: API calls, Compute hours, Payments,
    # Peak, Resold, Seats, Storage, Tokens.
    assert list(charges) == [
        "calls",
        "compute",
        "payments",
        "peak",
        "resold",
        "seats",
        "storage",
        "tokens",
    ]
    # 0 + 341 + 2097 + 1800 + 138 + 800 + 1648 + 4660 = 11 484 cents.
    assert usage["amount_cents"] == 11484
    assert (usage["from_datetime"], usage["to_datetime"]) == (
        "2025-06-30T22:00:00Z",
        "2025-07-31T21:59:59Z",
    )


@worked("every_charge_model")
def test_every_charge_model():
    """Current usage of the showcase plan; taxes rounded once over the total."""
    usage = result("every_charge_model")
    check_showcase(usage)
    # Current usage rounds the tax once: 11 484 × 20 % = 2 296.8 → 2 297; total 13 781.
    assert (usage["taxes_amount_cents"], usage["total_amount_cents"]) == (2297, 13781)
    assert usage["issuing_date"] == "2025-07-31"


@worked("past_every_charge_model")
def test_past_every_charge_model():
    """The closed July: the same fees; taxes rounded fee by fee as on Lago's invoices."""
    frozen = result("past_every_charge_model")
    usage = frozen["usage"]
    check_showcase(usage)
    # 20 % of each fee, rounded half up: compute 39.6 → 40, 22, 6.6 → 7; payments 419.4 → 419;
    # peak 360; resold 27.6 → 28; seats 160; storage 329.6 → 330; tokens 932; calls 0.
    # 40 + 22 + 7 + 419 + 360 + 28 + 160 + 330 + 932 = 2 298 (one more than current usage's
    # single rounding), total 11 484 + 2 298 = 13 782.
    assert (usage["taxes_amount_cents"], usage["total_amount_cents"]) == (2298, 13782)
    # The invoice is issued the local day after the period ends (docs/past-usage.md).
    assert usage["issuing_date"] == "2025-08-01"
    # No charge has a minimum, so no true-up fee.
    assert frozen["true_ups"] == []


@worked("projected_filters")
def test_projected_filters():
    """Lago's projected_usage_controller_spec.rb: 3 July 2025, aws @10 ×3, google @20 ×1."""
    usage = result("projected_filters")
    (charge,) = usage["charges_usage"]
    filters = by_name(charge["filters"])
    # now 2025-07-03T10:00Z: 3 of July's 31 days started, ratio = 3/31 read through the
    # float's shortest text, 0.0967741935483871 (a hair above 3/31).
    # aws: 3 × 10 = 30.00 now; 3 / 0.0967741935483871 = 30.99999… → 31.00 units, × 10 =
    # 310.00 → 31 000 cents.
    assert line(filters["AWS"]) == ("3.0", 3, 3000)
    assert projected(filters["AWS"]) == ("31.0", 31000)
    # google: 1 × 20 = 20.00 now; 1 / ratio = 10.333… → 10.33 units, × 20 = 206.60 → 20 660.
    assert line(filters["Google"]) == ("1.0", 1, 2000)
    assert projected(filters["Google"]) == ("10.33", 20660)
    # The default bucket has no events: 0 now and 0 projected; the engine writes its values
    # as {} in the projected shape (Lago's client model needs an object there).
    assert line(filters[None]) == ("0.0", 0, 0)
    assert projected(filters[None]) == ("0.0", 0)
    assert filters[None]["values"] == {}
    # Charge: 31.00 + 10.33 = 41.33 units, 31 000 + 20 660 = 51 660 cents; now 5 000 cents.
    assert line(charge) == ("4.0", 4, 5000)
    assert projected(charge) == ("41.33", 51660)
    assert (usage["amount_cents"], usage["projected_amount_cents"]) == (5000, 51660)


@worked("projected_every_charge_model_exact")
def test_projected_every_charge_model_exact():
    """The showcase plan projected with method="exact" on 12 July 2025."""
    usage = result("projected_every_charge_model_exact")
    charges = by_metric(usage)
    # Current values as in the current-usage scenario.
    assert {code: line(entry) for code, entry in charges.items()} == SHOWCASE
    assert (usage["amount_cents"], usage["taxes_amount_cents"], usage["total_amount_cents"]) == (
        11484,
        2297,
        13781,
    )
    # now 2025-07-12T10:00Z = 12:00 in Paris: 12 of 31 days started, ratio = 12/31 read as
    # 0.3870967741935484 (a hair above 12/31, so quotients land a hair below n × 31/12).
    # Units are projected as units / ratio rounded half up to 2 places, then re-priced with the
    # model's full rules; levels (max) and recurring metrics are held.
    assert {code: projected(entry) for code, entry in charges.items()} == {
        # 11 × 31/12 = 28.4166… → 28.42 calls, still under the 100 free: 0.
        "calls": ("28.42", 0),
        # 170.5 + 56.83 + 42.62 = 269.95 hours; 512 + 284 + 85 = 881 cents (filters below).
        "compute": ("269.95", 881),
        # 660 × 31/12 = 1 705 units; 11 payments → round(11 × 31/12 = 28.42) = 28 payments,
        # the first two (10 + 20 = 30) still free: (1 705 − 30) × 2.9 % = 48.575 and
        # (28 − 2) × 0.30 = 7.80; 56.375 → 56.38 → 5 638 cents.
        "payments": ("1705.0", 5638),
        # A peak is a level, held: 6 × 3 = 18.00 → 1 800 cents.
        "peak": ("6.0", 1800),
        # 11 × 31/12 = 28.42 units; 137.5 precise cents × 31/12 = 355.208… cents = 3.552… EUR
        # → 3.55 → 355 cents.
        "resold": ("28.42", 355),
        # Recurring metrics are held flat: the current 1 seat / 800 cents, 14 GB / 1 648 cents.
        "seats": ("1.0", 800),
        "storage": ("14.0", 1648),
        # 7 920 × 31/12 = 20 460 tokens: 1 000 × 1 % = 10.00, plus (20 460 − 1 000) × 0.5 % +
        # 2 = 97.30 + 2 = 99.30; 109.30 → 10 930 cents.
        "tokens": ("20460.0", 10930),
    }
    filters = by_name(charges["compute"]["filters"])
    assert {name: projected(entry) for name, entry in filters.items()} == {
        # 66 × 31/12 = 170.5 hours × 0.03 = 5.115 → 5.12 → 512 cents.
        "EU": ("170.5", 512),
        # 22 × 31/12 = 56.833… → 56.83 hours × 0.05 = 2.8415 → 2.84 → 284 cents.
        "US gold": ("56.83", 284),
        # 16.5 × 31/12 is exactly 42.625, but the ratio is a hair above 12/31, so 16.5 / ratio
        # = 42.62499… → 42.62 hours (not 42.63) × 0.02 = 0.8524 → 85 cents.
        None: ("42.62", 85),
    }
    # 0 + 881 + 5 638 + 1 800 + 355 + 800 + 1 648 + 10 930 = 22 052 cents: the engine sums
    # every charge (docs/lago-differences.md, Q5). No projected taxes.
    assert usage["projected_amount_cents"] == 22052


@worked("prorated_graduated")
def test_prorated_graduated():
    """Lago's spec/scenarios/current_usage/by_charge_model/prorated_graduated_spec.rb."""
    usage = result("prorated_graduated")
    (charge,) = usage["charges_usage"]
    # September 2023, 30 days; tiers 0–5 at 10 + flat 100, 6–15 at 5 + flat 50, 16–∞ at 2.
    # Each event is weighted by the days left, its date included:
    #   +2 on 09-10: 21/30 → 1.4;  +5 on 09-16: 15/30 → 2.5 (0.5 a unit);
    #   −6 on 09-20: 11/30 → −2.2 (11/30 a unit).
    # Tier 1 (10 a unit): 1.4 + the 3 units of the +5 that reach 5 (3 × 0.5 = 1.5), less the
    #   4 units of the −6 that fall from 5 to 1 (4 × 11/30 = 1.4666…): 1.4333… × 10 = 14.333….
    # Tier 2 (5 a unit): the 2 units of the +5 above 5 (2 × 0.5 = 1), less the 2 units of the
    #   −6 that fall from 7 to 5 (2 × 11/30 = 0.7333…): 0.2666… × 5 = 1.333….
    # Flats of the tiers the peak (7 units) reached: 100 + 50 = 150.
    # 14.333… + 1.333… + 150 = 165.666… → 16 567 cents (the spec's last checkpoint).
    # Units shown are the full ones, 2 + 5 − 6 = 1, over 3 events.
    assert line(charge) == ("1.0", 3, 16567)
    assert charge["total_aggregated_units"] == "1.0"
    assert usage["amount_cents"] == 16567
