"""Tests of the input models; the builders below give the smallest valid Lago-shaped payloads."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from usage_engine.errors import InvalidInput


def metric_payload(**changes: Any) -> dict[str, Any]:
    """A valid ``sum_agg`` billable metric (field ``gb``, filter ``region`` in eu/us/apac)."""
    payload: dict[str, Any] = {
        "code": "storage",
        "name": "Storage",
        "aggregation_type": "sum_agg",
        "field_name": "gb",
        "filters": [{"key": "region", "values": ["eu", "us", "apac"]}],
    }
    payload.update(changes)
    return payload


def charge_payload(
    charge_model: Any = "standard", properties: Any = None, **changes: Any
) -> dict[str, Any]:
    """A valid charge of ``charge_model`` (standard at "12.5" by default) on the storage metric."""
    payload: dict[str, Any] = {
        "billable_metric": metric_payload(),
        "charge_model": charge_model,
        "properties": {"amount": "12.5"} if properties is None else properties,
    }
    payload.update(changes)
    return payload


def plan_payload(*charges: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A valid monthly EUR plan holding ``charges`` (one standard charge when none are given)."""
    payload: dict[str, Any] = {
        "code": "startup",
        "name": "Startup",
        "interval": "monthly",
        "amount_cents": 10_000,
        "amount_currency": "EUR",
        "charges": list(charges) if charges else [charge_payload()],
    }
    payload.update(changes)
    return payload


def invalid(function: Callable[..., Any], *args: Any) -> InvalidInput:
    """Call ``function(*args)``, assert that it raises InvalidInput and return the error."""
    with pytest.raises(InvalidInput) as info:
        function(*args)
    return info.value


# A plan as Lago's API returns it (GET /api/v1/plans/{code}), with each charge's billable metric
# embedded as the engine's contract asks. Amounts are text, bounds and sizes are numbers, and
# there are many keys the engine does not use.
LAGO_PLAN_JSON = """
{
  "lago_id": "2c4f5c62-6d1b-4f2e-9b1a-3a5a1e6e6f01",
  "name": "Startup",
  "invoice_display_name": "Startup plan",
  "created_at": "2024-01-05T10:00:00Z",
  "code": "startup",
  "interval": "monthly",
  "description": "For small teams",
  "amount_cents": 10000,
  "amount_currency": "EUR",
  "trial_period": 5.0,
  "pay_in_advance": true,
  "bill_charges_monthly": null,
  "active_subscriptions_count": 3,
  "draft_invoices_count": 0,
  "parent_id": null,
  "minimum_commitment": null,
  "usage_thresholds": [],
  "charges": [
    {
      "lago_id": "a1b2c3d4-0000-4000-8000-000000000001",
      "lago_billable_metric_id": "b1b2c3d4-0000-4000-8000-000000000001",
      "billable_metric_code": "api_calls",
      "invoice_display_name": "API calls",
      "created_at": "2024-01-05T10:00:00Z",
      "charge_model": "graduated",
      "invoiceable": true,
      "regroup_paid_fees": null,
      "pay_in_advance": false,
      "prorated": false,
      "min_amount_cents": 3000,
      "properties": {
        "graduated_ranges": [
          {"from_value": 0, "to_value": 10, "flat_amount": "10", "per_unit_amount": "0.5"},
          {"from_value": 11, "to_value": null, "flat_amount": "0", "per_unit_amount": "0.40"}
        ]
      },
      "filters": [],
      "taxes": [],
      "billable_metric": {
        "lago_id": "b1b2c3d4-0000-4000-8000-000000000001",
        "name": "API calls",
        "code": "api_calls",
        "description": null,
        "aggregation_type": "count_agg",
        "weighted_interval": null,
        "recurring": false,
        "rounding_function": null,
        "rounding_precision": null,
        "created_at": "2024-01-01T00:00:00Z",
        "expression": null,
        "field_name": null,
        "filters": []
      }
    },
    {
      "lago_id": "a1b2c3d4-0000-4000-8000-000000000002",
      "lago_billable_metric_id": "b1b2c3d4-0000-4000-8000-000000000002",
      "billable_metric_code": "storage",
      "invoice_display_name": null,
      "created_at": "2024-01-05T10:00:00Z",
      "charge_model": "standard",
      "invoiceable": true,
      "regroup_paid_fees": null,
      "pay_in_advance": true,
      "prorated": true,
      "min_amount_cents": 0,
      "properties": {"amount": "0.25", "pricing_group_keys": ["workspace"]},
      "filters": [
        {
          "invoice_display_name": "Europe",
          "properties": {"amount": "0.3"},
          "values": {"region": ["eu"]}
        },
        {
          "invoice_display_name": null,
          "properties": {"amount": "0.2"},
          "values": {"region": ["__ALL_FILTER_VALUES__"], "tier": ["gold", "silver"]}
        }
      ],
      "taxes": [
        {
          "lago_id": "c1b2c3d4-0000-4000-8000-000000000001",
          "name": "Reduced VAT",
          "code": "reduced_vat",
          "description": null,
          "rate": 5.5,
          "applied_to_organization": false,
          "created_at": "2024-01-01T00:00:00Z"
        }
      ],
      "billable_metric": {
        "lago_id": "b1b2c3d4-0000-4000-8000-000000000002",
        "name": "Storage",
        "code": "storage",
        "aggregation_type": "sum_agg",
        "recurring": true,
        "field_name": "gb",
        "expression": "",
        "rounding_function": "ceil",
        "rounding_precision": 2,
        "filters": [
          {"key": "region", "values": ["eu", "us"]},
          {"key": "tier", "values": ["gold", "silver", "bronze"]}
        ]
      }
    },
    {
      "lago_id": "a1b2c3d4-0000-4000-8000-000000000003",
      "charge_model": "package",
      "pay_in_advance": false,
      "invoiceable": false,
      "prorated": false,
      "min_amount_cents": 0,
      "properties": {"amount": "100", "package_size": 1000, "free_units": 100},
      "filters": [],
      "billable_metric": {
        "code": "emails", "name": "Emails", "aggregation_type": "count_agg", "filters": []
      }
    },
    {
      "lago_id": "a1b2c3d4-0000-4000-8000-000000000004",
      "charge_model": "percentage",
      "pay_in_advance": false,
      "invoiceable": true,
      "prorated": false,
      "min_amount_cents": 0,
      "properties": {
        "rate": "1",
        "fixed_amount": "0.5",
        "free_units_per_events": 5,
        "free_units_per_total_aggregation": "500",
        "per_transaction_max_amount": "3.75",
        "per_transaction_min_amount": "1.75"
      },
      "filters": [],
      "billable_metric": {
        "code": "payments", "name": "Payments", "aggregation_type": "sum_agg",
        "field_name": "amount", "filters": []
      }
    }
  ],
  "taxes": [
    {
      "lago_id": "c1b2c3d4-0000-4000-8000-000000000002",
      "name": "TVA",
      "code": "french_standard_vat",
      "description": "French standard VAT",
      "rate": 20.0,
      "applied_to_organization": true,
      "created_at": "2024-01-01T00:00:00Z"
    }
  ]
}
"""


def lago_plan() -> dict[str, Any]:
    """A fresh copy of the Lago plan payload, as ``json.loads`` gives it."""
    return json.loads(LAGO_PLAN_JSON)  # type: ignore[no-any-return]
