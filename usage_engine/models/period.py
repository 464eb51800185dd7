"""Billing periods: the bounds every usage computation works in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, model_validator

from ._base import (
    FieldProblem,
    Model,
    NonNegativeInt,
    UtcDatetime,
    ZoneName,
    enum_validator,
    parse_instant,
)
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
    """One billing period of a subscription, as Lago bounds it.

    All datetimes are aware UTC and inclusive; ends are a local day's last microsecond
    (``23:59:59.999999`` local), or the exact termination instant. ``charges_*`` bound the
    events that count; ``from_datetime``/``to_datetime`` are the subscription period (they
    differ with ``bill_charges_monthly``) and drive the projection ratio.

    :func:`usage_engine.billing_period` fills every field. A period written by hand may give
    less: the charges bounds default to the subscription period's and back; an end printed
    to the second as Lago prints it (``…T23:59:59Z``, a local ``23:59:59``) means the end of
    that second; ``charges_duration_days`` defaults to the local days of the charges period
    (give it for a first partial period, whose duration is the whole period's);
    ``issuing_date`` to the UTC date of ``to_datetime`` (Lago's rule); ``subscription_at`` to
    the start of the charges period.

    >>> period = BillingPeriod.model_validate({"external_subscription_id": "sub",
    ...     "from_datetime": "2024-03-01T00:00:00Z", "to_datetime": "2024-03-31T23:59:59Z"})
    >>> period.charges_to_datetime.isoformat(), period.charges_duration_days, period.issuing_date
    ('2024-03-31T23:59:59.999999+00:00', 31, datetime.date(2024, 3, 31))
    """

    external_subscription_id: str = Field(min_length=1)
    from_datetime: UtcDatetime
    to_datetime: UtcDatetime
    charges_from_datetime: UtcDatetime
    charges_to_datetime: UtcDatetime
    charges_duration_days: NonNegativeInt = Field(gt=0)
    timezone: ZoneName = "UTC"
    interval: Annotated[
        PlanInterval | None, enum_validator(PlanInterval, "interval", optional=True)
    ] = None
    billing_time: Annotated[BillingTime, enum_validator(BillingTime, "billing_time")] = (
        BillingTime.CALENDAR
    )
    issuing_date: date
    subscription_at: UtcDatetime
    started_at: UtcDatetime = Field(
        default_factory=lambda data: data.get("subscription_at")  # validated: not None here
    )
    terminated_at: UtcDatetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _derived(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = _read_printed({key: value for key, value in data.items() if value is not None})
        for own, other in (
            ("charges_from_datetime", "from_datetime"),
            ("charges_to_datetime", "to_datetime"),
        ):
            if own not in data and other in data:
                data[own] = data[other]
            elif other not in data and own in data:
                data[other] = data[own]
        zone = _zone_of(data.get("timezone"))
        terminated = _instant(data.get("terminated_at"))
        for key in ("to_datetime", "charges_to_datetime"):
            instant = _instant(data.get(key))
            # A termination instant is exact, whatever its time of day.
            if instant is not None and zone is not None and instant != terminated:
                data[key] = _second_end(instant, zone)
        start = _instant(data.get("charges_from_datetime"))
        end = _instant(data.get("charges_to_datetime"))
        if "charges_duration_days" not in data and start and end and zone is not None:
            days = (_local(end, zone).date() - _local(start, zone).date()).days + 1
            data["charges_duration_days"] = days
        subscription_end = _instant(data.get("to_datetime"))
        if "issuing_date" not in data and subscription_end is not None:
            data["issuing_date"] = subscription_end.astimezone(UTC).date()
        if "subscription_at" not in data and "charges_from_datetime" in data:
            data["subscription_at"] = data["charges_from_datetime"]
        return data

    @model_validator(mode="after")
    def _ordered(self) -> BillingPeriod:
        for name in (
            "from_datetime",
            "to_datetime",
            "charges_from_datetime",
            "charges_to_datetime",
        ):
            instant = getattr(self, name)
            if not 2 <= instant.year <= 9997:
                msg = "must fall between the years 0002 and 9997"
                raise FieldProblem((name,), msg, instant.isoformat())
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
        """The period's fields as Lago prints them (datetimes to the second, ``Z``).

        ``from_datetime``/``to_datetime`` are the subscription period, as in Lago's invoice
        subscription (as in Lago, a first partial period starts at the local midnight of its
        start), and ``charges_from_datetime``/``charges_to_datetime`` the events that count.
        """
        return {
            "external_subscription_id": self.external_subscription_id,
            "from_datetime": lago_datetime(self.from_datetime),
            "to_datetime": lago_datetime(self.to_datetime),
            "charges_from_datetime": lago_datetime(self.charges_from_datetime),
            "charges_to_datetime": lago_datetime(self.charges_to_datetime),
            "charges_duration": self.charges_duration_days,
            "issuing_date": self.issuing_date.isoformat(),
            "timezone": self.timezone,
        }


# How an earlier to_lago() printed the subscription period (its from/to_datetime were then the
# charges bounds), and the model field it reads back into: such files still read as they were.
_PRINTED: Final = (
    ("subscription_from_datetime", "from_datetime", "charges_from_datetime"),
    ("subscription_to_datetime", "to_datetime", "charges_to_datetime"),
)


def _read_printed(data: dict[str, Any]) -> dict[str, Any]:
    # In the shape an earlier to_lago() printed, from/to_datetime are the charges bounds and
    # the subscription period is subscription_from/to_datetime: read them back as such, or a
    # first partial period would lose its local midnight and a monthly-billed year
    # its year. charges_duration is read too: a partial first period's duration is the whole
    # period's, which its dates cannot give.
    for printed, own, charges in _PRINTED:
        if printed not in data:
            continue
        value = data.pop(printed)
        try:
            parse_instant(value)
        except ValueError as error:
            raise FieldProblem((printed,), str(error), value) from None
        shown = data.pop(own, None)
        if shown is not None:
            data.setdefault(charges, shown)
        data[own] = value
    if "charges_duration" in data:
        days = data.pop("charges_duration")
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            msg = "must be a whole number of days, 1 or more"
            raise FieldProblem(("charges_duration",), msg, days)
        data.setdefault("charges_duration_days", days)
    return data


def _instant(value: Any) -> datetime | None:
    # A datetime when the value reads as one; anything else is left to the field's validator.
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        return None


def _zone_of(name: Any) -> ZoneInfo | None:
    try:
        return ZoneInfo(name if isinstance(name, str) else "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _local(instant: datetime, zone: ZoneInfo) -> datetime:
    # The local time, or the UTC one for an instant at the very edge of the datetime range
    # (year 1 or 9999), which the year check refuses anyway.
    try:
        return instant.astimezone(zone)
    except OverflowError:
        return instant


def _second_end(instant: datetime, zone: ZoneInfo) -> datetime:
    # Lago prints a period end to the second (23:59:59 local): read it as that second's end.
    local = _local(instant, zone)
    if (local.hour, local.minute, local.second, local.microsecond) == (23, 59, 59, 0):
        return instant + timedelta(microseconds=999_999)
    return instant
