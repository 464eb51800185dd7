"""The bundled demo: sample subscriptions, their billing periods and a month of usage."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .models.period import lago_datetime
from .periods import billing_period, periods_before

__all__ = ["SAMPLE_SUBSCRIPTIONS", "run_demo"]

_MONTHLY = {"code": "starter", "interval": "monthly", "amount_currency": "EUR"}
_YEARLY = {
    "code": "scale",
    "interval": "yearly",
    "amount_currency": "USD",
    "bill_charges_monthly": True,
}

SAMPLE_SUBSCRIPTIONS: tuple[dict[str, Any], ...] = (
    {
        "external_id": "acme-monthly-31st",
        "plan": _MONTHLY,
        "billing_time": "anniversary",
        "subscription_at": "2024-01-31T15:00:00Z",
        "timezone": "America/New_York",
    },
    {
        "external_id": "globex-calendar",
        "plan": _MONTHLY,
        "billing_time": "calendar",
        "subscription_at": "2024-02-12T09:30:00Z",
        "timezone": "Europe/Berlin",
    },
    {
        "external_id": "initech-leap-day",
        "plan": _YEARLY | {"bill_charges_monthly": False},
        "billing_time": "anniversary",
        "subscription_at": "2024-02-29T00:00:00Z",
    },
    {
        "external_id": "umbrella-yearly",
        "plan": _YEARLY,
        "billing_time": "calendar",
        "subscription_at": "2024-01-01T00:00:00Z",
        "timezone": "Asia/Kolkata",
    },
)
_AT = datetime(2024, 7, 10, 12, tzinfo=UTC)


def _period_rows() -> list[str]:
    rows = [f"Billing periods as of {lago_datetime(_AT)}", ""]
    header = f"{'subscription':<20} {'period (charges)':<44} {'days':>4}  issuing"
    rows += [header, "-" * len(header)]
    for subscription in SAMPLE_SUBSCRIPTIONS:
        current = billing_period(subscription, _AT)
        history = periods_before(subscription, _AT, 2)
        for label, period in [("current", current), *(("past", item) for item in history)]:
            name = subscription["external_id"] if label == "current" else ""
            span = (
                f"{lago_datetime(period.charges_from_datetime)} .. "
                f"{lago_datetime(period.charges_to_datetime)}"
            )
            rows.append(
                f"{name:<20} {span:<44} {period.charges_duration_days:>4}  "
                f"{period.issuing_date}  {label}"
            )
    return rows


def run_demo() -> str:
    """The demo's report as text (deterministic: the sample and the instant are fixed)."""
    return "\n".join(_period_rows())
