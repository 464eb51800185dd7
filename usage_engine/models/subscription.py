"""Subscriptions: a customer's plan, its anchor instant and its timezone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator

from ._base import (
    FieldProblem,
    Model,
    UtcDatetime,
    ZoneName,
    enum_validator,
    parse_instant,
    without_nulls,
)
from .charge import METRIC_REFERENCES
from .plan import Plan

__all__ = ["BillingTime", "Subscription"]

# Stands for a subscription given neither subscription_at nor started_at, so that the error
# names the field once, with its alias, instead of reporting both as missing.
_NO_START: Final = object()
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
# Where a subscription payload may carry its timezone, most precise first: our field, Lago's
# resolved customer timezone (customer, else billing entity), the customer's own setting.
_ZONE_KEYS: Final = ("timezone", "applicable_timezone", "customer_timezone")


@dataclass(frozen=True, slots=True)
class _Alias:
    """subscription_at taken from started_at: a bad value is reported on started_at only."""

    value: Any


def _first_zone(data: Any) -> Any:
    if not isinstance(data, Mapping):
        return None
    return next((data[key] for key in _ZONE_KEYS if data.get(key) is not None), None)


def _names_its_metrics(plan: Mapping[str, Any]) -> bool:
    charges = plan.get("charges")
    return isinstance(charges, list | tuple) and any(
        isinstance(charge, Mapping)
        and charge.get("billable_metric") is None
        and any(charge.get(key) is not None for key in METRIC_REFERENCES)
        for charge in charges
    )


class BillingTime(StrEnum):
    """Whether periods follow the calendar or the subscription's anniversary."""

    CALENDAR = "calendar"
    ANNIVERSARY = "anniversary"


class Subscription(Model):
    """A subscription in Lago's shape.

    ``subscription_at`` is the anniversary anchor; ``started_at`` the instant it started (they
    differ for a subscription created by an upgrade). Either may be given for the other.
    ``timezone`` may also come from Lago's ``applicable_timezone``, at the top level or in an
    embedded ``customer`` object (default ``UTC``). ``name`` is the subscription's display
    name and ``customer_name`` the embedded customer's, when the input has them: they only
    title reports.
    """

    external_id: str = Field(min_length=1)
    plan: Plan | None = None
    plan_code: str | None = None
    billing_time: Annotated[BillingTime, enum_validator(BillingTime, "billing_time")] = (
        BillingTime.CALENDAR
    )
    subscription_at: UtcDatetime
    started_at: UtcDatetime = Field(
        default_factory=lambda data: data.get("subscription_at")  # validated: not None here
    )
    ending_at: UtcDatetime | None = None
    terminated_at: UtcDatetime | None = None
    timezone: ZoneName = "UTC"
    name: str | None = None
    customer_name: str | None = None

    @property
    def display_name(self) -> str:
        """The customer's name, else the subscription's, else its ``external_id``.

        >>> Subscription.model_validate({"external_id": "acme", "name": "Acme Robotics",
        ...     "subscription_at": "2024-01-01T00:00:00Z"}).display_name
        'Acme Robotics'
        """
        return self.customer_name or self.name or self.external_id

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        data = without_nulls(data)
        if not isinstance(data, dict):
            return data
        plan = data.get("plan")
        if isinstance(plan, Mapping) and _names_its_metrics(plan):
            # Lago's subscription object embeds its plan with charges naming their metrics
            # (billable_metric_code): only its code is kept, the plan is given beside.
            data.setdefault("plan_code", plan.get("code"))
            del data["plan"]
        if "subscription_at" not in data:
            started = data.get("started_at")
            data["subscription_at"] = _NO_START if started is None else _Alias(started)
        customer = data.get("customer")
        if "customer_name" not in data and isinstance(customer, Mapping):
            name = customer.get("name")
            if isinstance(name, str) and name:
                data["customer_name"] = name
        if "timezone" not in data:
            zone = _first_zone(data) or _first_zone(customer)
            if zone is not None:
                data["timezone"] = zone
        return data

    @field_validator("subscription_at", mode="before")
    @classmethod
    def _required_start(cls, value: Any) -> Any:
        if value is _NO_START:
            msg = "is required (Lago's started_at is accepted in its place)"
            raise FieldProblem((), msg)
        if isinstance(value, _Alias):
            try:
                return parse_instant(value.value)
            except ValueError:
                # started_at reports its own error; one report for one bad value.
                return _EPOCH
        return value

    @model_validator(mode="after")
    def _check(self) -> Subscription:
        for name in ("subscription_at", "started_at", "terminated_at"):
            instant = getattr(self, name)
            if instant is not None and not 2 <= instant.year <= 9997:
                msg = "must fall between the years 0002 and 9997"
                raise FieldProblem((name,), msg, instant.isoformat())
        plan, code = self.plan, self.plan_code
        if plan is not None and code is not None and code != plan.code:
            msg = f"does not match plan.code {plan.code!r}"
            raise FieldProblem(("plan_code",), msg, code)
        if self.terminated_at is not None and self.terminated_at < self.started_at:
            msg = f"must not be before started_at {self.started_at.isoformat()}"
            raise FieldProblem(("terminated_at",), msg, self.terminated_at.isoformat())
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The subscription's timezone as a :class:`zoneinfo.ZoneInfo`."""
        return ZoneInfo(self.timezone)
