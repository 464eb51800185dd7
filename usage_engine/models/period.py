"""Billing periods: the bounds every usage computation works in."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, model_validator

from ._base import FieldProblem, Model, UtcDatetime, ZoneName, enum_validator
from .plan import PlanInterval
from .subscription import BillingTime

__all__ = ["BillingPeriod", "lago_datetime"]


def lago_datetime(instant: datetime) -> str:
    """Format an instant as Lago prints it: UTC, whole seconds, ``Z``.

    >>> from datetime import UTC
    >>> lago_datetime(datetime(2024, 3, 31, 23, 59, 59, 999999, tzinfo=UTC))
    '2024-03-31T23:59:59Z'
    """
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


class BillingPeriod(Model):
    """One billing period of a subscription (spec 1.4).

    All datetimes are aware UTC and inclusive; ends are a local day's last microsecond
    (``23:59:59.999999`` local), or the exact termination instant. ``charges_*`` bound the
    events that count; ``from_datetime``/``to_datetime`` are the subscription period (they
    differ with ``bill_charges_monthly``) and drive the projection ratio.
    """

    external_subscription_id: str = Field(min_length=1)
    from_datetime: UtcDatetime
    to_datetime: UtcDatetime
    charges_from_datetime: UtcDatetime
    charges_to_datetime: UtcDatetime
    charges_duration_days: int = Field(gt=0)
    timezone: ZoneName = "UTC"
    interval: Annotated[PlanInterval, enum_validator(PlanInterval, "interval")]
    billing_time: Annotated[BillingTime, enum_validator(BillingTime, "billing_time")] = (
        BillingTime.CALENDAR
    )
    issuing_date: date
    subscription_at: UtcDatetime
    started_at: UtcDatetime = Field(
        default_factory=lambda data: data.get("subscription_at")  # validated: not None here
    )
    terminated_at: UtcDatetime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> BillingPeriod:
        for start, end in (
            ("from_datetime", "to_datetime"),
            ("charges_from_datetime", "charges_to_datetime"),
        ):
            low, high = getattr(self, start), getattr(self, end)
            if high < low:
                msg = f"must not be before {start} {lago_datetime(low)}"
                raise FieldProblem((end,), msg, high.isoformat())
        return self

    def to_lago(self) -> dict[str, Any]:
        """The period's fields as Lago prints them (datetimes to the second, ``Z``)."""
        return {
            "external_subscription_id": self.external_subscription_id,
            "from_datetime": lago_datetime(self.charges_from_datetime),
            "to_datetime": lago_datetime(self.charges_to_datetime),
            "charges_from_datetime": lago_datetime(self.charges_from_datetime),
            "charges_to_datetime": lago_datetime(self.charges_to_datetime),
            "charges_duration": self.charges_duration_days,
            "subscription_from_datetime": lago_datetime(self.from_datetime),
            "subscription_to_datetime": lago_datetime(self.to_datetime),
            "issuing_date": self.issuing_date.isoformat(),
            "timezone": self.timezone,
        }
