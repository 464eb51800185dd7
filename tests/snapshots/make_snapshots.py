"""Write the snapshot files from the scenario definitions.

python -m tests.snapshots.make_snapshots

Each file stores what the engine answers today. Run this only when an output is meant to
change, review the diff, and check the changed values against ``test_hand_worked.py``: a
snapshot taken from a wrong engine is wrong too.
"""

from __future__ import annotations

import json
from typing import Any

from tests.factories import charge, event, metric, month_period, plan, utc
from tests.showcase import NOW, PERIOD, showcase_events, showcase_plan
from tests.snapshots import HERE, run


def _period(period: Any) -> dict[str, Any]:
    return json.loads(period.model_dump_json())  # type: ignore[no-any-return]


def scenarios() -> dict[str, dict[str, Any]]:
    """Every scenario, by snapshot file name."""
    region = metric("count_agg", filters=[{"key": "region", "values": ["europe", "usa"]}])
    zero_fees = plan(
        charge(
            "standard",
            {"amount": "10"},
            billable_metric=region,
            filters=[
                {
                    "invoice_display_name": "Europe",
                    "properties": {"amount": "20"},
                    "values": {"region": ["europe"]},
                },
                {
                    "invoice_display_name": "USA",
                    "properties": {"amount": "50"},
                    "values": {"region": ["usa"]},
                },
            ],
        )
    )
    april = month_period(2024, 4)
    cloud = metric("count_agg", filters=[{"key": "cloud", "values": ["aws", "google"]}])
    july = month_period(2025, 7)
    projected_plan = plan(
        charge(
            "standard",
            {"amount": "1"},
            billable_metric=cloud,
            filters=[
                {
                    "invoice_display_name": "AWS",
                    "properties": {"amount": "10"},
                    "values": {"cloud": ["aws"]},
                },
                {
                    "invoice_display_name": "Google",
                    "properties": {"amount": "20"},
                    "values": {"cloud": ["google"]},
                },
            ],
        )
    )
    projected_events = [
        event("m", utc(2025, 7, 2), {"cloud": "aws"}, transaction_id=f"a{n}") for n in range(3)
    ]
    projected_events.append(event("m", utc(2025, 7, 2), {"cloud": "google"}, transaction_id="g"))
    tiers = {
        "graduated_ranges": [
            {"from_value": 0, "to_value": 5, "per_unit_amount": "10", "flat_amount": "100"},
            {"from_value": 6, "to_value": 15, "per_unit_amount": "5", "flat_amount": "50"},
            {"from_value": 16, "to_value": None, "per_unit_amount": "2", "flat_amount": "0"},
        ]
    }
    prorated = plan(
        charge("graduated", tiers, prorated=True, billable_metric=metric("sum_agg", recurring=True))
    )
    september = month_period(2023, 9)
    steps = [(10, 2), (16, 5), (20, -6)]
    return {
        "zero_fees_filters": {
            "function": "current_usage",
            "input": {
                "plan": zero_fees,
                "period": _period(april),
                "now": "2024-04-10T00:00:00Z",
                "events": [
                    event("m", utc(2024, 4, 3), {"region": "europe"}, transaction_id="e1"),
                    event("m", utc(2024, 4, 4), {"region": "unknown"}, transaction_id="e2"),
                ],
            },
        },
        "grouped_standard_no_events": {
            "function": "current_usage",
            "input": {
                "plan": plan(
                    charge("standard", {"amount": "10", "pricing_group_keys": ["region"]})
                ),
                "period": _period(april),
                "events": [],
            },
        },
        "every_charge_model": {
            "function": "current_usage",
            "input": {
                "plan": showcase_plan(),
                "period": _period(PERIOD),
                "now": NOW,
                "events": showcase_events(),
            },
        },
        "projected_filters": {
            "function": "projected_usage",
            "input": {
                "plan": projected_plan,
                "period": _period(july),
                "now": "2025-07-03T10:00:00Z",
                "events": projected_events,
            },
        },
        "projected_every_charge_model_exact": {
            "function": "projected_usage",
            "input": {
                "plan": showcase_plan(),
                "period": _period(PERIOD),
                "now": NOW,
                "method": "exact",
                "events": showcase_events(),
            },
        },
        "prorated_graduated": {
            "function": "current_usage",
            "input": {
                "plan": prorated,
                "period": _period(september),
                "events": [
                    event("m", utc(2023, 9, day), {"value": value}, transaction_id=f"p{day}")
                    for day, value in steps
                ],
            },
        },
        "past_every_charge_model": {
            "function": "past_usage",
            "input": {
                "plan": showcase_plan(),
                "period": _period(PERIOD),
                "events": showcase_events(),
            },
        },
    }


def main() -> None:
    """Rewrite every snapshot file from the engine's current output."""
    for name, case in scenarios().items():
        case = json.loads(json.dumps(case, default=str))
        case["expected"] = run(case)
        text = json.dumps(case, indent=1, sort_keys=False, ensure_ascii=False) + "\n"
        (HERE / f"{name}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
