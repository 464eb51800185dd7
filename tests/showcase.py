"""A plan that uses every charge model, filters and pricing groups, with events to match."""

from __future__ import annotations

from typing import Any

from tests.factories import charge, event, metric, month_period, plan, utc

PERIOD = month_period(2025, 7, tz="Europe/Paris")
NOW = "2025-07-12T10:00:00Z"

_REGION = metric(
    "sum_agg",
    code="compute",
    field_name="hours",
    filters=[{"key": "region", "values": ["eu", "us"]}, {"key": "tier", "values": ["gold"]}],
) | {"name": "Compute hours"}
_SEATS = metric("unique_count_agg", code="seats", field_name="user", recurring=True) | {
    "name": "Seats"
}
_STORAGE = metric("sum_agg", code="storage", field_name="gb", recurring=True) | {"name": "Storage"}
_CALLS = metric("count_agg", code="calls") | {"name": "API calls"}
_PAYMENTS = metric("sum_agg", code="payments", field_name="amount") | {"name": "Payments"}
_TOKENS = metric("sum_agg", code="tokens", field_name="count") | {"name": "Tokens"}
_PEAK = metric("max_agg", code="peak", field_name="value") | {"name": "Peak"}
_RESOLD = metric("sum_agg", code="resold", field_name="units") | {"name": "Resold"}


def showcase_plan() -> dict[str, Any]:
    """Every charge model, a filtered charge with groups, a recurring prorated charge, taxes."""
    graduated = {
        "graduated_ranges": [
            {"from_value": 0, "to_value": 10, "per_unit_amount": "1", "flat_amount": "5"},
            {"from_value": 11, "to_value": None, "per_unit_amount": "0.5", "flat_amount": "0"},
        ]
    }
    return plan(
        charge(
            "standard",
            {"amount": "0.02", "pricing_group_keys": ["model"]},
            billable_metric=_REGION,
            code="compute",
            invoice_display_name="Compute",
            filters=[
                {
                    "invoice_display_name": "EU",
                    "values": {"region": ["eu"]},
                    "properties": {"amount": "0.03", "pricing_group_keys": ["model"]},
                },
                {
                    "invoice_display_name": "US gold",
                    "values": {"region": ["us"], "tier": ["gold"]},
                    "properties": {"amount": "0.05"},
                },
            ],
        ),
        charge("graduated", graduated, billable_metric=_STORAGE, code="storage", prorated=True),
        charge(
            "package",
            {"amount": "2", "package_size": 1000, "free_units": 100},
            billable_metric=_CALLS,
            code="calls",
        ),
        charge(
            "percentage",
            {"rate": "2.9", "fixed_amount": "0.3", "free_units_per_events": 2},
            billable_metric=_PAYMENTS,
            code="payments",
        ),
        charge(
            "graduated_percentage",
            {
                "graduated_percentage_ranges": [
                    {"from_value": 0, "to_value": 1000, "rate": "1", "flat_amount": "0"},
                    {"from_value": 1001, "to_value": None, "rate": "0.5", "flat_amount": "2"},
                ]
            },
            billable_metric=_TOKENS,
            code="tokens",
        ),
        charge(
            "volume",
            {
                "volume_ranges": [
                    {"from_value": 0, "to_value": 10, "per_unit_amount": "3", "flat_amount": "0"},
                    {
                        "from_value": 11,
                        "to_value": None,
                        "per_unit_amount": "2",
                        "flat_amount": "1",
                    },
                ]
            },
            billable_metric=_PEAK,
            code="peak",
        ),
        charge(
            "standard", {"amount": "4"}, billable_metric=_SEATS, code="seats", pay_in_advance=True
        ),
        charge("dynamic", {}, billable_metric=_RESOLD, code="resold"),
        taxes=[{"code": "vat", "name": "VAT", "rate": "20"}],
    )


def showcase_events() -> list[dict[str, Any]]:
    """A few dozen events across every charge of :func:`showcase_plan`."""
    events = []
    for day in range(1, 12):
        at = utc(2025, 7, day, 9)
        events.append(event("compute", at, {"hours": day, "region": "eu", "model": "small"}))
        events.append(event("compute", at, {"hours": 2, "region": "us", "tier": "gold"}))
        events.append(event("compute", at, {"hours": "1.5", "region": "us", "model": "big"}))
        events.append(event("calls", at))
        events.append(event("payments", at, {"amount": str(10 * day)}))
        events.append(event("tokens", at, {"count": 120 * day}))
        events.append(event("peak", at, {"value": day % 7}))
        events.append(event("resold", at, {"units": 1}, precise_total_amount_cents="12.5"))
    events.append(event("storage", utc(2025, 6, 20), {"gb": 8}))
    events.append(event("storage", utc(2025, 7, 5), {"gb": 6}))
    events.append(event("seats", utc(2025, 6, 2), {"user": "ann"}))
    events.append(event("seats", utc(2025, 7, 3), {"user": "bob"}))
    events.append(event("seats", utc(2025, 7, 8), {"user": "ann", "operation_type": "remove"}))
    return events
