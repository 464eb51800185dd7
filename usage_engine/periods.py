"""Billing periods of a subscription, as Lago computes them, and Lago's ceil-day count.

Conventions:

* Bounds are **inclusive**, as in Lago. A period is ``[from, to]``: ``from`` is the first
  microsecond of its first local day (or the exact ``started_at`` in a first partial period),
  ``to`` the last microsecond of its last local day (``23:59:59.999999`` local), or the exact
  ``terminated_at`` instant when termination cuts the period short. The next period starts one
  microsecond after ``to``, so consecutive periods tile time with no gap and no overlap.
* All calendar arithmetic is done on **local dates** in the subscription's timezone. Instants
  appear only at the edges: the *local day start* of a date is its first instant, and the
  *local day end* is one microsecond before the next local day start, both in UTC. (Across a
  DST change at midnight this is still the last instant of the day, and tiling holds.)
* Period starts are derived from the anchor every time, never stepped from the previous period:
  the anniversary of month ``(y, m)`` is ``date(y, m, min(D, days_in_month))`` with ``D`` the
  local day of ``subscription_at``, so a short month never drags later periods.
* A calendar period is an anniversary period anchored on day 1 of January (weekly: Monday).
* ``charges_*`` bound the events that count; ``from_datetime``/``to_datetime`` are the
  subscription period. They differ only with ``bill_charges_monthly`` and in the first
  partial period.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo

from ._coerce import as_period, as_plan, as_subscription
from ._days import ceil_days
from ._inputs import InstantInput, PeriodInput, PlanInput, SubscriptionInput
from .errors import InvalidInput
from .models import BillingPeriod, BillingTime, Plan, PlanInterval, Subscription
from .models._base import parse_instant
from .models.period import lago_datetime

__all__ = [
    "MAX_PERIODS",
    "billing_period",
    "ceil_days",
    "next_period",
    "periods_before",
    "previous_period",
]

MAX_PERIODS: Final = 1_000
"""The most periods :func:`periods_before` (and ``past_usages``) returns in one call."""

_ONE_DAY: Final = timedelta(days=1)
_ONE_MICROSECOND: Final = timedelta(microseconds=1)
_ONE_SECOND: Final = timedelta(seconds=1)
_DAY_MICROSECONDS: Final = 86_400_000_000
# Room for a period on either side of `at` without leaving datetime's years 1..9999. A period's
# bounds must also stay within these years (BillingPeriod refuses others), so a period that
# crosses 0002-01-01 or 9998-01-01 in local time is refused too.
_EARLIEST: Final = datetime(2, 1, 1, tzinfo=UTC)
_LATEST: Final = datetime(9998, 1, 1, tzinfo=UTC)
_RANGE: Final = "the supported years 0002 to 9997"
_MONTHS: Final[Mapping[PlanInterval, int]] = {
    PlanInterval.WEEKLY: 0,
    PlanInterval.MONTHLY: 1,
    PlanInterval.QUARTERLY: 3,
    PlanInterval.SEMIANNUAL: 6,
    PlanInterval.YEARLY: 12,
}


@dataclass(frozen=True, slots=True)
class _Grid:
    """Where periods start: every ``months`` months on day ``day`` counting from ``month``,
    or (``months == 0``) every week on ``weekday`` (0 = Monday)."""

    months: int
    day: int
    month: int
    weekday: int


@dataclass(frozen=True, slots=True)
class _Schedule:
    """A validated subscription with everything the period arithmetic needs, resolved once."""

    subscription: Subscription
    interval: PlanInterval
    zone: ZoneInfo
    periods: _Grid
    charges: _Grid


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=8192)
def _day_start(zone: ZoneInfo, day: date) -> datetime:
    """The first instant (UTC) whose local date is ``day``."""
    instant = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).time() == time():
        return instant
    # Local midnight falls in a DST gap, so the day starts at the transition; fold=0 lands on
    # it only when the gap begins exactly at midnight. Bisect for the first instant on `day`.
    low, high = instant - 2 * _ONE_DAY, instant
    while high - low > _ONE_MICROSECOND:
        middle = low + (high - low) / 2
        if middle.astimezone(zone).date() >= day:
            high = middle
        else:
            low = middle
    return high


def _day_end(zone: ZoneInfo, day: date) -> datetime:
    return _day_start(zone, day + _ONE_DAY) - _ONE_MICROSECOND


def _anniversary(month_index: int, day: int) -> date:
    """The anniversary ``day`` in month ``month_index`` (= year * 12 + month - 1), clamped."""
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day, calendar.monthrange(year, month + 1)[1]))


def _period_dates(grid: _Grid, day: date) -> tuple[date, date]:
    """The local dates ``(S, E)`` of the grid's period containing ``day``."""
    if grid.months == 0:
        start = day - timedelta(days=(day.weekday() - grid.weekday) % 7)
        return start, start + 6 * _ONE_DAY
    index = day.year * 12 + day.month - 1
    index -= (index - (grid.month - 1)) % grid.months
    start = _anniversary(index, grid.day)
    if start > day:
        # The billing month has started but its (clamped) anniversary is still ahead.
        index -= grid.months
        start = _anniversary(index, grid.day)
    return start, _anniversary(index + grid.months, grid.day) - _ONE_DAY


def _schedule(subscription: Any, plan: Any) -> _Schedule:
    sub = as_subscription(subscription)
    resolved = _resolve_plan(sub, plan)
    zone = _zone(sub.timezone)
    months = _MONTHS[resolved.interval]
    if sub.billing_time is BillingTime.ANNIVERSARY:
        anchor = sub.subscription_at.astimezone(zone)
        periods = _Grid(months, anchor.day, anchor.month, anchor.weekday())
    else:
        periods = _Grid(months, 1, 1, 0)
    charges = _Grid(1, periods.day, 1, 0) if resolved.charges_monthly else periods
    return _Schedule(sub, resolved.interval, zone, periods, charges)


def _resolve_plan(sub: Subscription, plan: Any) -> Plan:
    if plan is None:
        if sub.plan is None:
            path, msg = (
                "subscription.plan",
                "is missing: give the subscription its plan, or pass plan=",
            )
            raise InvalidInput.at(path, msg)
        return sub.plan
    given = as_plan(plan)
    if sub.plan is not None and given != sub.plan:
        path, msg = "plan", "differs from subscription.plan; pass the plan only once"
        raise InvalidInput.at(path, msg, given.code)
    if sub.plan_code is not None and given.code != sub.plan_code:
        path, msg = "plan.code", f"does not match subscription.plan_code {sub.plan_code!r}"
        raise InvalidInput.at(path, msg, given.code)
    return given


def _iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def _instant(value: Any, path: str) -> datetime:
    try:
        instant = parse_instant(value)
    except (ValueError, OverflowError) as error:
        msg = str(error)
        raise InvalidInput.at(path, msg, value) from None
    if not _EARLIEST <= instant < _LATEST:
        msg = f"is outside {_RANGE}"
        raise InvalidInput.at(path, msg, _iso(instant))
    return instant


def _check_active(schedule: _Schedule, at: datetime, path: str) -> None:
    sub = schedule.subscription
    if at < sub.started_at:
        msg = f"is before the subscription started, at {_iso(sub.started_at)}"
        raise InvalidInput.at(path, msg, _iso(at))
    if sub.terminated_at is not None and at > sub.terminated_at:
        msg = f"is after the subscription was terminated, at {_iso(sub.terminated_at)}"
        raise InvalidInput.at(path, msg, _iso(at))


def _dates_containing(grid: _Grid, zone: ZoneInfo, at: datetime) -> tuple[date, date]:
    """The local dates ``(S, E)`` of the grid's period whose instants contain ``at``."""
    start, end = _period_dates(grid, at.astimezone(zone).date())
    if at > _day_end(zone, end):
        # A fall-back across midnight (America/Goose_Bay before 2011) shows the previous date
        # again after the next day has started; the instant belongs to the later period.
        start, end = _period_dates(grid, end + _ONE_DAY)
    return start, end


def _period_at(schedule: _Schedule, at: datetime, asked: _Asked) -> BillingPeriod:
    """The period containing ``at``, which must lie within the subscription's life.

    ``asked`` names the argument that selected the period, for a period past year 9997.
    """
    sub, zone = schedule.subscription, schedule.zone
    start, end = _dates_containing(schedule.periods, zone, at)
    charges_start, charges_end = (
        (start, end)
        if schedule.charges is schedule.periods
        else _dates_containing(schedule.charges, zone, at)
    )
    charges_from = max(_day_start(zone, charges_start), sub.started_at)
    # In a first partial period Lago starts the subscription period at midnight of the start
    # day, whereas the charges start at the exact instant.
    started_on = sub.started_at.astimezone(zone).date()
    from_datetime = max(_day_start(zone, start), _day_start(zone, started_on))
    charges_to = _day_end(zone, charges_end)
    to_datetime = _day_end(zone, end)
    terminated_at = sub.terminated_at
    if terminated_at is not None and terminated_at <= charges_to:
        # Billed at termination. Earlier charges months of a yearly plan keep the full
        # year, as Lago billed them before the termination was known.
        charges_to = to_datetime = terminated_at
    else:
        terminated_at = None
    _check_range(schedule, from_datetime, to_datetime, asked)
    return BillingPeriod(
        external_subscription_id=sub.external_id,
        from_datetime=from_datetime,
        to_datetime=to_datetime,
        charges_from_datetime=charges_from,
        charges_to_datetime=charges_to,
        charges_duration_days=(charges_end - charges_start).days + 1,
        timezone=sub.timezone,
        interval=schedule.interval,
        billing_time=sub.billing_time,
        # docs/lago-differences.md, Q1: Lago keeps the UTC date of the period's last instant.
        issuing_date=to_datetime.date(),
        subscription_at=sub.subscription_at,
        started_at=sub.started_at,
        terminated_at=terminated_at,
    )


@dataclass(frozen=True, slots=True)
class _Asked:
    """The argument that selected a period, as an error names it: path, value, and the words
    that introduce the period (``"falls in a period that"``)."""

    path: str
    value: Any
    lead: str = "falls in a period that"


def _check_range(schedule: _Schedule, start: datetime, end: datetime, asked: _Asked) -> None:
    # `to_datetime` is the latest bound and `from_datetime` the earliest (charges start at or
    # after it), so checking these two keeps all four within the years BillingPeriod accepts.
    if end >= _LATEST:
        msg = f"{asked.lead} ends at {lago_datetime(end)}, after {_RANGE}"
        raise InvalidInput.at(asked.path, msg, asked.value)
    if start < _EARLIEST:
        # Only the first local day can start that early: the charges start at started_at,
        # which the subscription keeps within the years.
        sub = schedule.subscription
        name = "subscription_at" if sub.started_at == sub.subscription_at else "started_at"
        path = f"subscription.{name}"
        msg = f"starts on a local day that begins at {_iso(start)}, before {_RANGE}"
        raise InvalidInput.at(path, msg, _iso(sub.started_at))


def _own_period(schedule: _Schedule, period: Any) -> BillingPeriod:
    """The subscription's period that ``period`` stands for, with its exact bounds.

    ``period`` may be written by hand or printed by Lago (to the second), and may start at the
    local midnight of a first partial period; otherwise it must be one of the subscription's
    periods, or walking from it would overlap them.
    """
    checked = as_period(period)
    sub = schedule.subscription
    if checked.external_subscription_id != sub.external_id:
        path = "period.external_subscription_id"
        msg = f"does not match subscription.external_id {sub.external_id!r}"
        raise InvalidInput.at(path, msg, checked.external_subscription_id)
    start, end = checked.charges_from_datetime, checked.charges_to_datetime
    terminated_at = sub.terminated_at
    if end < sub.started_at or (terminated_at is not None and start > terminated_at):
        life = f"started at {_iso(sub.started_at)}"
        if terminated_at is not None:
            life += f", terminated at {_iso(terminated_at)}"
        msg = f"is outside the subscription's life (it {life})"
        raise InvalidInput.at("period", msg, f"{_iso(start)} to {_iso(end)}")
    given = f"{_iso(start)} to {_iso(end)}"
    probe = end if terminated_at is None else min(end, terminated_at)
    own = _period_at(schedule, probe, _Asked("period", given, "is in a period that"))
    own_start, own_end = own.charges_from_datetime, own.charges_to_datetime
    midnight = _day_start(schedule.zone, own_start.astimezone(schedule.zone).date())
    if abs(end - own_end) >= _ONE_SECOND or not (
        midnight - _ONE_SECOND < start < own_start + _ONE_SECOND
    ):
        msg = (
            f"is not a period of subscription {sub.external_id!r}: its period ending then runs "
            f"from {_iso(own_start)} to {_iso(own_end)}"
        )
        raise InvalidInput.at("period", msg, given)
    return own


def billing_period(
    subscription: SubscriptionInput, at: InstantInput, *, plan: PlanInput | None = None
) -> BillingPeriod:
    """Return the billing period of ``subscription`` that contains the instant ``at``.

    ``subscription`` is a :class:`Subscription` or a mapping in Lago's JSON shape; it carries
    its plan, or ``plan=`` supplies it (for a subscription with only ``plan_code``). ``at`` is
    an aware datetime, ISO 8601 text or unix seconds, from ``started_at`` to ``terminated_at``
    inclusive; otherwise :class:`InvalidInput` names it.

    In the first period the charges start at the exact ``started_at`` and ``from_datetime`` at
    that day's local midnight. The charges period containing ``terminated_at`` ends at
    that instant, for ``to_datetime`` too, and sets ``terminated_at``. ``issuing_date``
    is the UTC date of ``to_datetime`` (docs/lago-differences.md, Q1): the day after the
    period for zones behind UTC.

    A monthly anniversary on the 31st clamps to February's last day and comes back in March:

    >>> sub = {"external_id": "sub_1", "billing_time": "anniversary",
    ...        "subscription_at": "2022-01-31T00:00:00Z",
    ...        "plan": {"code": "p", "interval": "monthly", "amount_currency": "EUR"}}
    >>> period = billing_period(sub, "2022-02-10T12:00:00Z")
    >>> period.to_lago()["from_datetime"], period.to_lago()["to_datetime"]
    ('2022-01-31T00:00:00Z', '2022-02-27T23:59:59Z')
    >>> billing_period(sub, "2022-03-30T00:00:00Z").charges_from_datetime.isoformat()
    '2022-02-28T00:00:00+00:00'
    >>> billing_period(sub, "2022-03-31T00:00:00Z").charges_from_datetime.isoformat()
    '2022-03-31T00:00:00+00:00'
    """
    schedule = _schedule(subscription, plan)
    instant = _instant(at, "at")
    _check_active(schedule, instant, "at")
    return _period_at(schedule, instant, _Asked("at", _iso(instant)))


def next_period(
    subscription: SubscriptionInput, period: PeriodInput, *, plan: PlanInput | None = None
) -> BillingPeriod:
    """Return the period that follows ``period`` (by charges period with ``bill_charges_monthly``).

    Raises :class:`InvalidInput` when ``period`` is the last one of a terminated subscription.

    A yearly anniversary on 29 February falls back to the 28th and returns in leap years:

    >>> sub = {"external_id": "sub_1", "billing_time": "anniversary",
    ...        "subscription_at": "2024-02-29T00:00:00Z",
    ...        "plan": {"code": "p", "interval": "yearly", "amount_currency": "EUR"}}
    >>> period = billing_period(sub, "2027-06-01T00:00:00Z")
    >>> period.charges_from_datetime.date(), period.charges_to_datetime.date()
    (datetime.date(2027, 2, 28), datetime.date(2028, 2, 28))
    >>> next_period(sub, period).charges_from_datetime.date()
    datetime.date(2028, 2, 29)
    """
    schedule = _schedule(subscription, plan)
    current = _own_period(schedule, period)
    terminated_at = schedule.subscription.terminated_at
    if terminated_at is not None and current.charges_to_datetime >= terminated_at:
        path = "period"
        msg = f"is the last period: the subscription was terminated at {_iso(terminated_at)}"
        raise InvalidInput.at(path, msg, _iso(current.charges_to_datetime))
    end = current.charges_to_datetime
    asked = _Asked("period", _iso(end), "is followed by a period that")
    return _period_at(schedule, end + _ONE_MICROSECOND, asked)


def previous_period(
    subscription: SubscriptionInput, period: PeriodInput, *, plan: PlanInput | None = None
) -> BillingPeriod:
    """Return the period before ``period`` (by charges period with ``bill_charges_monthly``).

    Raises :class:`InvalidInput` when ``period`` is the subscription's first period.

    The period before a clamped February keeps the anchor day of the 31st:

    >>> sub = {"external_id": "sub_1", "billing_time": "anniversary",
    ...        "subscription_at": "2021-12-31T00:00:00Z",
    ...        "plan": {"code": "p", "interval": "monthly", "amount_currency": "EUR"}}
    >>> march = billing_period(sub, "2022-03-15T00:00:00Z")
    >>> before = previous_period(sub, march)
    >>> before.charges_from_datetime.date(), before.charges_to_datetime.date()
    (datetime.date(2022, 1, 31), datetime.date(2022, 2, 27))
    """
    schedule = _schedule(subscription, plan)
    current = _own_period(schedule, period)
    started_at = schedule.subscription.started_at
    if current.charges_from_datetime <= started_at:
        path = "period"
        msg = f"is the first period: the subscription started at {_iso(started_at)}"
        raise InvalidInput.at(path, msg, _iso(current.charges_from_datetime))
    start = current.charges_from_datetime
    asked = _Asked("period", _iso(start), "is preceded by a period that")
    return _period_at(schedule, start - _ONE_MICROSECOND, asked)


def periods_before(
    subscription: SubscriptionInput, at: InstantInput, count: int, *, plan: PlanInput | None = None
) -> tuple[BillingPeriod, ...]:
    """Return the ``count`` most recent periods that end at or before ``at``, newest first.

    Stops at the subscription's first period, so a young subscription gives fewer (none when
    ``at`` is before the end of its first period). ``at`` may be after ``terminated_at``: the
    last period then ends at the termination instant. With ``bill_charges_monthly`` the periods
    are charges months. One call returns at most :data:`MAX_PERIODS` periods: a larger
    ``count`` is :class:`InvalidInput` when more than that many periods ended by ``at``.

    A subscription started mid-month has a partial first period and nothing before it:

    >>> sub = {"external_id": "sub_1", "subscription_at": "2024-01-15T08:00:00Z",
    ...        "plan": {"code": "p", "interval": "monthly", "amount_currency": "EUR"}}
    >>> found = periods_before(sub, "2024-03-05T00:00:00Z", 5)
    >>> [p.to_lago()["charges_from_datetime"] for p in found]
    ['2024-02-01T00:00:00Z', '2024-01-15T08:00:00Z']
    """
    schedule = _schedule(subscription, plan)
    instant = _instant(at, "at")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        path, msg = "count", "must be a whole number of periods, 0 or more"
        raise InvalidInput.at(path, msg, count)
    sub = schedule.subscription
    probe = instant if sub.terminated_at is None else min(instant, sub.terminated_at)
    if count == 0 or probe < sub.started_at:
        return ()
    start, end = _charges_window(schedule, probe)
    if end > instant:
        # The period containing `at` has not ended (it may even end past year 9997).
        if start <= sub.started_at:
            return ()
        probe = start - _ONE_MICROSECOND
    asked = _Asked("at", _iso(instant))
    periods = [_period_at(schedule, probe, asked)]
    while len(periods) < count and periods[-1].charges_from_datetime > sub.started_at:
        if len(periods) == MAX_PERIODS:
            # Refused before building more: a weekly subscription over centuries has hundreds
            # of thousands of periods, and a count bounded only by its life would build them.
            msg = (
                f"is more than {MAX_PERIODS}, the most periods one call returns, and more than "
                f"{MAX_PERIODS} periods ended by {_iso(instant)}"
            )
            raise InvalidInput.at("count", msg, count)
        probe = periods[-1].charges_from_datetime - _ONE_MICROSECOND
        periods.append(_period_at(schedule, probe, asked))
    return tuple(periods)


def _charges_window(schedule: _Schedule, at: datetime) -> tuple[datetime, datetime]:
    """The charges bounds of the period containing ``at``, without building the period
    (whose other bounds may lie past year 9997)."""
    sub, zone = schedule.subscription, schedule.zone
    start, end = _dates_containing(schedule.charges, zone, at)
    charges_to = _day_end(zone, end)
    if sub.terminated_at is not None:
        charges_to = min(charges_to, sub.terminated_at)
    return max(_day_start(zone, start), sub.started_at), charges_to
