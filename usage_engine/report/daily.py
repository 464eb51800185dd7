"""The day-by-day series behind the report's charts, computed in one pass over the events."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .._coerce import as_period, as_plan, as_taxes
from .._time import EARLIEST_SECONDS, LATEST_SECONDS, event_micros, micros
from ..aggregation import Window
from ..models import BillingPeriod, Event, Plan, Tax
from ..rating import Rating, View, consume
from ..selection import Rejections, id_text
from ..usage import read_now, usage_of

Progress = Callable[[int, int], None]
"""Called with (steps done, steps in all) while a long computation runs."""


@dataclass(frozen=True, slots=True)
class DailySeries:
    """Each charge's units and amount as current usage showed them at the end of each day.

    ``days`` are the local dates of the period; ``points[c][k]`` is ``(units, amount_cents)`` of
    charge ``c`` (in ``charges_usage`` order) at x = k: k = 0 is the period start (history
    only), k = 1..``elapsed`` the end of the k-th day, the last one counting every event.

    >>> from datetime import date
    >>> series = DailySeries((date(2025, 7, 1), date(2025, 7, 2)), 1, (((Decimal(0), 0),),))
    >>> series.points[0][-1]
    (Decimal('0'), 0)
    """

    days: tuple[date, ...]
    elapsed: int
    points: tuple[tuple[tuple[Decimal, int], ...], ...]


def _elapsed_days(period: BillingPeriod, now: datetime, days: Sequence[date]) -> int:
    if now < period.charges_from_datetime:
        return 0
    if now >= period.charges_to_datetime:
        return len(days)
    local = now.astimezone(ZoneInfo(period.timezone)).date()
    return min(max((local - days[0]).days + 1, 1), len(days))


def _event_fields(event: Any) -> Mapping[str, Any]:
    return event.model_dump() if isinstance(event, Event) else {}


def _points(
    the_plan: Plan,
    the_period: BillingPeriod,
    taxes: tuple[Tax, ...],
    buckets: Sequence[Sequence[int]],
    mine: Sequence[Any],
    rebuild: Set[int],
    progress: Progress | None,
) -> list[list[tuple[Decimal, int]]]:
    """The charges' (units, amount_cents) at each point: one rating (the engine's, as
    :func:`current_usage` rates) fed each day's events and priced at the day's end."""
    sub = the_period.external_subscription_id
    rejections = Rejections("collect")
    rating = Rating(the_plan, [View(Window.of(the_period))], rejections, subscription=sub)
    so_far: list[int] = []  # positions in ``mine`` of the events fed, for a rebuild
    per_point: list[list[tuple[Decimal, int]]] = []
    for point, bucket in enumerate(buckets):
        so_far.extend(bucket)
        if point in rebuild:
            # A transaction_id sent again with an earlier timestamp: its first copy in input
            # order wins once it is in, so the rating starts again from the events in order.
            so_far.sort()
            rejections = Rejections("collect")
            rating = Rating(the_plan, [View(Window.of(the_period))], rejections, subscription=sub)
            fed = [mine[index] for index in so_far]
        else:
            fed = [mine[index] for index in bucket]
        rating.forget_prices()
        consume(fed, {sub: rating}, rejections)
        (rated,) = rating.results()
        usage = usage_of(the_plan, the_period, rated, taxes, rating.report())
        per_point.append([(item.units, item.amount_cents) for item in usage.charges_usage])
        if progress is not None:
            progress(point + 1, len(buckets))
    return per_point


def _rebuilds(keys: Sequence[str | None], where: Sequence[int]) -> set[int]:
    """The points where a first copy of a transaction_id arrives after a later copy did.

    The state keeps the copy it was given first, as current usage keeps the first in input
    order: the two differ only at those points. ``keys[i]`` is the id of event ``i`` (in input
    order), ``where[i]`` the point from which it counts.
    """
    earliest: dict[str, int] = {}
    found = set()
    for index in range(len(keys) - 1, -1, -1):
        key = keys[index]
        if key is None:
            continue
        later = earliest.get(key)
        if later is not None and later < where[index]:
            found.add(where[index])
        if later is None or where[index] < later:
            earliest[key] = where[index]
    return found


def daily_series(
    plan: Any,
    events: Sequence[Any],
    period: Any,
    *,
    now: Any,
    taxes: Iterable[Any] = (),
    progress: Progress | None = None,
) -> DailySeries:
    """The cumulative units and amount of every charge at the end of each day of ``period`` so far.

    Each point is what :func:`current_usage` gives over the events stamped up to that day's
    local end (in input order, so duplicates resolve as they do on the whole list); the last
    point counts every event, so it equals the current usage. The events are sorted by day
    once and folded into one rating (the engine's own, as :func:`current_usage` rates),
    priced at each day's end: one pass, O(events + days x charges). Malformed events are left
    out.

    >>> calls = {"code": "calls", "name": "Calls", "aggregation_type": "count_agg"}
    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"charge_model": "standard", "properties": {"amount": "2"}, "billable_metric": calls}]}
    >>> sub = {"external_id": "sub", "subscription_at": "2025-01-01T00:00:00Z", "plan": plan}
    >>> from usage_engine import billing_period
    >>> period = billing_period(sub, "2025-07-03T10:00:00Z")
    >>> events = [{"transaction_id": str(day), "external_subscription_id": "sub", "code": "calls",
    ...     "timestamp": f"2025-07-0{day}T08:00:00Z"} for day in (1, 3, 3)]
    >>> series = daily_series(plan, events, period, now="2025-07-03T10:00:00Z")
    >>> series.elapsed, [cents for _, cents in series.points[0]]
    (3, [0, 200, 200, 400])
    """
    the_plan = as_plan(plan)
    the_period = as_period(period)
    customer_taxes = as_taxes(taxes)
    instant = read_now(now)
    zone = ZoneInfo(the_period.timezone)
    first = the_period.charges_from_datetime.astimezone(zone).date()
    last = the_period.charges_to_datetime.astimezone(zone).date()
    days = tuple(first + timedelta(days=offset) for offset in range((last - first).days + 1))
    elapsed = _elapsed_days(the_period, instant, days)
    start = micros(the_period.charges_from_datetime)
    # Point k (0..elapsed) counts the events of the days before the k-th day's end; the last
    # point counts them all. Each event of the subscription goes to the first point that
    # counts it: an event before the period, or with an unreadable timestamp (set aside by the
    # state), to point 0.
    buckets: list[list[int]] = [[] for _ in range(elapsed + 1)]
    mine: list[Any] = []
    keys: list[str | None] = []
    where: list[int] = []
    wanted = the_period.external_subscription_id
    # Each local day's first instant, in µs: an event's day is found by bisection, without a
    # datetime per event (a day may last 23 or 25 hours: the bounds come from the zone).
    day_starts = [max(micros(datetime.combine(day, time(), tzinfo=zone)), start) for day in days]
    # The hot loop of the report: one visit per event, the common case (a dict with an
    # integer timestamp and a string id) without a call.
    first_second, end_second = EARLIEST_SECONDS, LATEST_SECONDS
    for event in events:
        fields = (
            event if type(event) is dict or isinstance(event, Mapping) else _event_fields(event)
        )
        get = fields.get
        owner = get("external_subscription_id")
        if owner != wanted and str(owner) != wanted:
            continue
        ts = get("timestamp")
        if type(ts) is int and first_second <= ts < end_second:
            point = bisect_right(day_starts, ts * 1_000_000)
        else:
            try:
                point = bisect_right(day_starts, event_micros(ts))
            except ValueError:
                point = 0
        if point > elapsed:
            point = elapsed
        buckets[point].append(len(mine))
        mine.append(event)
        key = get("transaction_id")
        keys.append(key if type(key) is str else id_text(key))
        where.append(point)
    rebuild = _rebuilds(keys, where)
    per_point = _points(the_plan, the_period, customer_taxes, buckets, mine, rebuild, progress)
    charges = len(per_point[0]) if per_point else 0
    points = tuple(tuple(row[charge] for row in per_point) for charge in range(charges))
    return DailySeries(days, elapsed, points)
