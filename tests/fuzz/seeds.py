"""Valid seed inputs for the fuzzer: every charge model, aggregation type, interval and more.

Each seed is a plain, JSON-shaped mapping holding everything any entry point needs (plan,
subscription, period, events, taxes, instants...). The mutator changes one seed and each entry
point reads the keys it uses. :func:`seeds` builds fresh copies on every call, so a mutation
never leaks into another example.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from functools import cache
from typing import Any

from usage_engine import billing_period, past_usage

Seed = dict[str, Any]

# --- metrics ------------------------------------------------------------------------------

_CALLS = {"code": "calls", "name": "API calls", "aggregation_type": "count_agg"}
_COMPUTE = {
    "code": "compute",
    "name": "Compute",
    "aggregation_type": "sum_agg",
    "field_name": "hours",
    "filters": [
        {"key": "region", "values": ["eu", "us"]},
        {"key": "tier", "values": ["gold", "silver"]},
    ],
}
_PEAK = {"code": "peak", "aggregation_type": "max_agg", "field_name": "value"}
_SEATS = {
    "code": "seats",
    "aggregation_type": "unique_count_agg",
    "field_name": "user",
    "recurring": True,
}
_STATUS = {"code": "status", "aggregation_type": "latest_agg", "field_name": "level"}
_GAUGE = {
    "code": "gauge",
    "aggregation_type": "weighted_sum_agg",
    "field_name": "level",
    "weighted_interval": "seconds",
    "rounding_function": "round",
    "rounding_precision": 2,
}
_PAYMENTS = {"code": "payments", "aggregation_type": "sum_agg", "field_name": "amount"}
_TOKENS = {
    "code": "tokens",
    "aggregation_type": "sum_agg",
    "field_name": "total",
    "expression": "round(event.properties.input + event.properties.output, 1)",
    "rounding_function": "ceil",
    "rounding_precision": 0,
}
_RESOLD = {"code": "resold", "aggregation_type": "sum_agg", "field_name": "units"}
_STORAGE = {
    "code": "storage",
    "aggregation_type": "sum_agg",
    "field_name": "gb",
    "recurring": True,
}


def _ranges(kind: str = "per_unit_amount") -> list[dict[str, Any]]:
    price = {"per_unit_amount": "1.5"} if kind == "per_unit_amount" else {"rate": "2.5"}
    low = {"per_unit_amount": "0.75"} if kind == "per_unit_amount" else {"rate": "1"}
    return [
        {"from_value": 0, "to_value": 10, **price, "flat_amount": "2"},
        {"from_value": 11, "to_value": None, **low, "flat_amount": "0"},
    ]


# --- plans --------------------------------------------------------------------------------


def _usage_plan(interval: str, currency: str, **extra: Any) -> dict[str, Any]:
    """count, sum with filters, max, unique count; standard, graduated, package, volume."""
    return {
        "code": "usage",
        "name": "Usage",
        "interval": interval,
        "amount_cents": 1900,
        "amount_currency": currency,
        "pay_in_advance": False,
        "taxes": [{"code": "vat", "name": "VAT", "rate": "20"}],
        "charges": [
            {
                "lago_id": "ch_calls",
                "code": "calls",
                "charge_model": "package",
                "properties": {"amount": "2", "package_size": 100, "free_units": 10},
                "billable_metric": _CALLS,
                "min_amount_cents": 500,
            },
            {
                "code": "compute",
                "charge_model": "graduated",
                "invoice_display_name": "Compute time",
                "properties": {"graduated_ranges": _ranges()},
                "billable_metric": _COMPUTE,
                "filters": [
                    {
                        "invoice_display_name": "EU",
                        "values": {"region": ["eu"]},
                        "properties": {"graduated_ranges": _ranges()},
                    },
                    {
                        "values": {"region": ["us"], "tier": ["__ALL_FILTER_VALUES__"]},
                        "properties": {
                            "graduated_ranges": _ranges(),
                            "pricing_group_keys": ["model"],
                        },
                    },
                ],
            },
            {
                "code": "peak",
                "charge_model": "volume",
                "properties": {
                    "volume_ranges": [
                        {
                            "from_value": 0,
                            "to_value": 10,
                            "per_unit_amount": "3",
                            "flat_amount": "1",
                        },
                        {"from_value": 11, "to_value": None, "per_unit_amount": "2"},
                    ]
                },
                "billable_metric": _PEAK,
            },
            {
                "code": "seats",
                "charge_model": "standard",
                "pay_in_advance": True,
                "properties": {"amount": "4"},
                "billable_metric": _SEATS,
                "taxes": [{"code": "reduced", "rate": "5.5"}],
            },
        ],
        **extra,
    }


def _money_plan(interval: str, currency: str, **extra: Any) -> dict[str, Any]:
    """percentage, graduated percentage, dynamic; latest, weighted sum; groups; expressions."""
    return {
        "code": "money",
        "name": "Money",
        "interval": interval,
        "amount_cents": 0,
        "amount_currency": currency,
        "charges": [
            {
                "code": "payments",
                "charge_model": "percentage",
                "properties": {
                    "rate": "2.9",
                    "fixed_amount": "0.3",
                    "free_units_per_events": 1,
                    "free_units_per_total_aggregation": "5",
                    "per_transaction_min_amount": "0.5",
                    "per_transaction_max_amount": "20",
                },
                "billable_metric": _PAYMENTS,
                "taxes": [{"code": "gst", "rate": "10"}],
            },
            {
                "code": "tokens",
                "charge_model": "graduated_percentage",
                "properties": {
                    "graduated_percentage_ranges": _ranges("rate"),
                    "pricing_group_keys": ["model"],
                },
                "billable_metric": _TOKENS,
            },
            {
                "code": "resold",
                "charge_model": "dynamic",
                "properties": {},
                "billable_metric": _RESOLD,
            },
            {
                "code": "status",
                "charge_model": "standard",
                "properties": {"amount": "1.25", "grouped_by": ["site"]},
                "billable_metric": _STATUS,
            },
            {
                "code": "gauge",
                "charge_model": "standard",
                "properties": {"amount": "0.001"},
                "billable_metric": _GAUGE,
            },
        ],
        **extra,
    }


def _prorated_plan(interval: str, currency: str, **extra: Any) -> dict[str, Any]:
    """recurring prorated sum (graduated) and unique count (standard), a minimum."""
    return {
        "code": "prorated",
        "name": "Prorated",
        "interval": interval,
        "amount_cents": 10_000,
        "amount_currency": currency,
        "pay_in_advance": True,
        "charges": [
            {
                "code": "storage",
                "charge_model": "graduated",
                "prorated": True,
                "properties": {"graduated_ranges": _ranges()},
                "billable_metric": _STORAGE,
                "min_amount_cents": 2_000,
            },
            {
                "code": "seats",
                "charge_model": "standard",
                "prorated": True,
                "properties": {"amount": "12"},
                "billable_metric": _SEATS,
            },
            {
                "code": "calls",
                "charge_model": "standard",
                "properties": {"amount": "0.01"},
                "billable_metric": _CALLS,
            },
        ],
        **extra,
    }


# --- events -------------------------------------------------------------------------------


def _events(subscription: str, start: datetime, plan: dict[str, Any]) -> list[dict[str, Any]]:
    """About a dozen events of the plan's metrics, in every timestamp spelling."""
    base = int(start.timestamp())
    day = 86_400
    stamps: list[Any] = [
        base + day,  # unix seconds
        base + 2 * day + 0.25,  # float seconds
        str(base + 3 * day),  # numeric text
        datetime.fromtimestamp(base + 4 * day, UTC).isoformat(),  # ISO with offset
        datetime.fromtimestamp(base + 5 * day, UTC).strftime("%Y-%m-%dT%H:%M:%S"),  # naive
    ]
    properties = {
        "calls": {},
        "compute": {"hours": "2.5", "region": "us", "tier": "gold", "model": "big"},
        "peak": {"value": 7},
        "seats": {"user": "ann"},
        "status": {"level": "3", "site": "paris"},
        "gauge": {"level": 12.5},
        "payments": {"amount": "120.40"},
        "tokens": {"input": 120, "output": "30.5", "model": "small"},
        "resold": {"units": 2},
        "storage": {"gb": 40},
    }
    events = []
    codes = [charge["billable_metric"]["code"] for charge in plan["charges"]]
    for index, code in enumerate(codes * 2):
        event = {
            "transaction_id": f"tx_{index}",
            "external_subscription_id": subscription,
            "code": code,
            "timestamp": stamps[index % len(stamps)],
            "properties": dict(properties[code]),
        }
        if code == "resold":
            event["precise_total_amount_cents"] = "1250.5"
        events.append(event)
    events[1]["properties"] = {**events[1]["properties"], "region": "eu"}
    if "seats" in codes:
        removal = {"user": "ann", "operation_type": "remove"}
        events.append(_extra(subscription, "tx_remove", "seats", base + 6 * day, removal))
    events.append(_extra(subscription, "tx_0", codes[0], base + day, {}))  # a duplicate
    events.append(_extra("someone_else", "tx_other", codes[0], base + day, {}))
    events.append(_extra(subscription, "tx_unknown", "not_in_plan", base + day, {}))
    return events


def _extra(
    subscription: str, key: str, code: str, stamp: Any, properties: dict[str, Any]
) -> dict[str, Any]:
    return {
        "transaction_id": key,
        "external_subscription_id": subscription,
        "code": code,
        "timestamp": stamp,
        "properties": properties,
    }


# --- seeds --------------------------------------------------------------------------------

# (name, plan builder, interval, currency, billing time, timezone, subscription extras, at)
_SCENARIOS: tuple[tuple[str, Any, str, str, str, str, dict[str, Any], str], ...] = (
    ("monthly-calendar-utc", _usage_plan, "monthly", "EUR", "calendar", "UTC", {}, "2024-03-10"),
    (
        "weekly-anniversary-paris",
        _money_plan,
        "weekly",
        "USD",
        "anniversary",
        "Europe/Paris",
        {"ending_at": "2026-01-01T00:00:00Z"},
        "2024-03-27T08:00:00+01:00",
    ),
    (
        "quarterly-calendar-kathmandu",
        _prorated_plan,
        "quarterly",
        "JPY",
        "calendar",
        "Asia/Kathmandu",
        {},
        "2024-05-20T12:00:00Z",
    ),
    (
        "semiannual-anniversary-la",
        _usage_plan,
        "semiannual",
        "KWD",
        "anniversary",
        "America/Los_Angeles",
        {"customer": {"timezone": "America/Los_Angeles"}},
        "1735689600",
    ),
    (
        "yearly-monthly-charges-apia",
        _money_plan,
        "yearly",
        "EUR",
        "calendar",
        "Pacific/Apia",
        {"bill_charges_monthly": True},
        "2024-07-04T00:00:00Z",
    ),
    (
        "monthly-terminated-berlin",
        _prorated_plan,
        "monthly",
        "MRO",
        "anniversary",
        "Europe/Berlin",
        {"terminated_at": "2024-06-20T15:30:00Z"},
        "2024-04-18T00:00:00Z",
    ),
)


def _subscription(
    name: str, plan: dict[str, Any], billing_time: str, zone: str, extra: dict[str, Any]
) -> dict[str, Any]:
    subscription: dict[str, Any] = {
        "external_id": f"sub_{name}",
        "plan": plan,
        "billing_time": billing_time,
        "subscription_at": "2024-01-31T09:15:00Z",
        "started_at": "2024-02-01T00:00:00Z",
    }
    if "customer" in extra:
        subscription["customer"] = extra["customer"]
    else:
        subscription["timezone"] = zone
    for key in ("ending_at", "terminated_at"):
        if key in extra:
            subscription[key] = extra[key]
    return subscription


def _as_exported(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan as Lago's GET /plans/{code} gives it: each charge names its metric."""
    charges = []
    for charge in plan["charges"]:
        exported = {key: value for key, value in charge.items() if key != "billable_metric"}
        code = charge["billable_metric"]["code"]
        exported |= {"billable_metric_code": code, "lago_billable_metric_id": f"bm_{code}"}
        charges.append(exported)
    return {"plan": copy.deepcopy(plan | {"charges": charges})}


def _exported_metrics(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan's metrics as Lago's GET /billable_metrics lists them, once each."""
    metrics = {
        charge["billable_metric"]["code"]: charge["billable_metric"] for charge in plan["charges"]
    }
    listed = [metric | {"lago_id": f"bm_{code}"} for code, metric in metrics.items()]
    meta = {"current_page": 1, "total_pages": 1, "total_count": len(listed)}
    return {"billable_metrics": copy.deepcopy(listed), "meta": meta}


@cache
def _built() -> tuple[Seed, ...]:
    built = []
    for name, make_plan, interval, currency, billing, zone, extra, at in _SCENARIOS:
        plan_extra = {"bill_charges_monthly": True} if extra.get("bill_charges_monthly") else {}
        plan = make_plan(interval, currency, **plan_extra)
        subscription = _subscription(name, plan, billing, zone, extra)
        period = billing_period(subscription, at)
        events = _events(subscription["external_id"], period.charges_from_datetime, plan)
        written = period.model_dump(mode="json")
        if len(built) % 2:
            # A period written by hand, as Lago prints one: the engine derives the rest.
            written = {
                key: value
                for key, value in period.to_lago().items()
                if key in ("external_subscription_id", "from_datetime", "to_datetime", "timezone")
            }
        other = copy.deepcopy(subscription) | {"external_id": "someone_else"}
        stored = past_usage(plan, events, written)
        built.append(
            {
                "name": name,
                "plan": plan,
                "subscription": subscription,
                "subscriptions": [subscription, other],
                "period": written,
                "events": events,
                "taxes": [{"code": "customer_vat", "rate": "19.6"}],
                "now": period.charges_from_datetime.replace(hour=12).isoformat(),
                "at": at,
                "count": 3,
                "method": "lago" if len(built) % 2 else "exact",
                "invalid_events": "collect" if len(built) == 2 else "raise",
                "stored": stored.canonical_json(),
                "metric": plan["charges"][1]["billable_metric"],
                "lago_plan": _as_exported(plan),
                "metrics": _exported_metrics(plan),
                "start": period.charges_from_datetime,
                "end": period.charges_to_datetime,
                "zone": period.timezone,
            }
        )
    return tuple(built)


def seeds() -> list[Seed]:
    """Fresh copies of every seed (safe to mutate)."""
    return copy.deepcopy(list(_built()))


def seed_names() -> list[str]:
    """The seeds' names, in order."""
    return [seed["name"] for seed in _built()]


def seed(index: int) -> Seed:
    """A fresh copy of seed ``index``."""
    return copy.deepcopy(_built()[index])


def seed_count() -> int:
    """How many seeds there are."""
    return len(_built())
