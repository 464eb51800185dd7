"""Many subscriptions in one pass: the current usage of each, from one event stream.

:func:`rate_subscriptions` reads a stream holding the events of many subscriptions once and
rates each event as it goes (nothing is kept per event but its ``transaction_id``). Its result
for a subscription equals :func:`~usage_engine.current_usage` over the whole stream, positions
in error messages and rejection reports included.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._coerce import as_plan, as_subscription, as_taxes
from ._gc import collector_paused
from ._inputs import EventsInput, InstantInput, SubscriptionsInput, TaxesInput
from ._wrappers import unwrap
from .account import Tally
from .aggregation import Window
from .errors import InvalidInput, Problem
from .models import BillingPeriod, Plan, Subscription, Tax
from .models.account import EventAccount
from .models.usage import Usage
from .money import exact_decimals
from .periods import billing_period
from .rating import Layouts, Rating, View, consume
from .selection import InvalidEvents, Rejections
from .usage import read_now, usage_of

__all__ = [
    "SubscriptionUsages",
    "checked_subscriptions",
    "rate_subscriptions",
    "subscription_period",
]


class SubscriptionUsages(dict[str, Usage]):
    """The usage of each subscription by ``external_id``, in the order they were given.

    ``failed`` holds, by ``external_id``, the subscriptions that could not be priced (an amount
    too large to compute exactly) with the :class:`InvalidInput` saying why. It is only ever
    filled with ``invalid_events="collect"``: otherwise the first such subscription raises.
    ``event_account`` accounts for every event of the stream: each subscription's own, those
    of subscriptions not listed and malformed ones naming none.
    """

    failed: dict[str, InvalidInput]
    event_account: EventAccount

    def __init__(self) -> None:
        super().__init__()
        self.failed = {}
        self.event_account = EventAccount()

    def to_rows(self) -> list[dict[str, Any]]:
        """The rows of every subscription's usage, each starting with its
        ``external_subscription_id`` (see :meth:`Usage.to_rows`)."""
        from ._rows import usage_rows

        return [row for key, usage in self.items() for row in usage_rows(usage, subscription=key)]

    def to_csv(self) -> str:
        """:meth:`to_rows` as CSV text with a header line.

        Every subscription's usage is of one kind, so the columns are those of the first (the
        plain usage columns when there is none).
        """
        from ._rows import COLUMNS, SUBSCRIPTION_COLUMN, columns_of, csv_text

        first = next(iter(self.values()), None)
        columns = (
            (SUBSCRIPTION_COLUMN, *COLUMNS)
            if first is None
            else columns_of(first, subscription=True)
        )
        return csv_text(columns, self.to_rows())


def checked_subscriptions(values: Iterable[Any]) -> list[tuple[Subscription, Plan]]:
    """Each subscription validated with its plan (each plan object once); ids must differ."""
    values = unwrap(values, "subscriptions")  # Lago's {"subscriptions": [...], "meta": {...}}
    if isinstance(values, Mapping | str | bytes):
        path, msg = "subscriptions", "must be an iterable of subscriptions, not a single value"
        raise InvalidInput.at(path, msg, type(values).__name__)
    try:
        items = list(values)
    except TypeError:
        path, msg = "subscriptions", "must be an iterable of subscriptions"
        raise InvalidInput.at(path, msg, values) from None
    checked: list[tuple[Subscription, Plan]] = []
    seen: dict[str, int] = {}
    # Subscriptions usually share a few plan objects: each is validated once.
    plans: dict[int, Plan] = {}
    for index, item in enumerate(items):
        root = f"subscriptions[{index}]"
        given = item.get("plan") if isinstance(item, Mapping) else None
        if isinstance(given, Mapping):
            plan = plans.get(id(given))
            if plan is None:
                plan = plans[id(given)] = as_plan(given, f"{root}.plan")
            item = {**item, "plan": plan}
        sub = as_subscription(item, root)
        if sub.plan is None:
            path, msg = f"{root}.plan", "is missing: each subscription must carry its plan"
            raise InvalidInput.at(path, msg)
        first = seen.setdefault(sub.external_id, index)
        if first != index:
            path, msg = f"{root}.external_id", f"is also that of subscriptions[{first}]"
            raise InvalidInput.at(path, msg, sub.external_id)
        checked.append((sub, sub.plan))
    return checked


def subscription_period(
    sub: Subscription, now: Any, index: int, name: str = "now"
) -> BillingPeriod:
    """The period of ``subscriptions[index]`` at ``now``; errors name the instant ``name``."""
    try:
        return billing_period(sub, now)
    except InvalidInput as error:
        # billing_period names its instant "at"; here it is the caller's, for this subscription.
        where = f"{name} (subscriptions[{index}] {sub.external_id!r})"
        raise InvalidInput(
            [Problem(where, problem.message, problem.value) for problem in error.errors]
        ) from None


@exact_decimals
def rate_subscriptions(
    subscriptions: SubscriptionsInput,
    events: EventsInput,
    *,
    now: InstantInput | None,
    taxes: TaxesInput = (),
    invalid_events: InvalidEvents = "raise",
    strict: bool = False,
) -> SubscriptionUsages:
    """The current usage of every subscription, from one stream of their events.

    Each of ``subscriptions`` is a :class:`~usage_engine.Subscription` or a mapping in Lago's
    shape carrying its ``plan``; ``now`` picks each one's current period
    (:func:`~usage_engine.billing_period`) and must fall within each one's life (``None`` reads
    the clock). ``events`` is any iterable, read once; events of subscriptions not listed are
    skipped without being checked. Returns ``{external_id: Usage}`` in the order of
    ``subscriptions``, each equal to :func:`~usage_engine.current_usage` over ``events`` for that
    subscription's plan and period. A malformed event raises :class:`InvalidInput` naming its
    position in ``events``, or, with ``invalid_events="collect"``, is reported in the
    ``rejected_events`` of its subscription (of every subscription, when it names none).
    A subscription whose amount is too large to price raises :class:`InvalidInput` naming it,
    the charge and its largest event; with ``"collect"`` it is left out of the result and
    reported in its ``failed`` mapping instead, and every other subscription is still priced.

    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"charge_model": "standard", "properties": {"amount": "0.5"},
    ...      "billable_metric": {"code": "calls", "aggregation_type": "count_agg"}}]}
    >>> subs = [{"external_id": sid, "subscription_at": "2024-01-01T00:00:00Z", "plan": plan}
    ...         for sid in ("sub_a", "sub_b")]
    >>> events = ({"transaction_id": f"t{i}", "external_subscription_id": sid, "code": "calls",
    ...            "timestamp": "2024-03-02T10:00:00Z"}
    ...           for i, sid in enumerate(["sub_a", "sub_b", "sub_a", "sub_x"]))
    >>> usage = rate_subscriptions(subs, events, now="2024-03-15T00:00:00Z")
    >>> {sid: item.amount_cents for sid, item in usage.items()}
    {'sub_a': 100, 'sub_b': 50}
    """
    stream_rejections = Rejections(invalid_events, strict=strict)
    checked = checked_subscriptions(subscriptions)
    instant = read_now(now)
    customer_taxes = as_taxes(taxes)
    periods = [subscription_period(sub, instant, index) for index, (sub, _) in enumerate(checked)]
    layouts: Layouts = {}
    ratings = {
        sub.external_id: Rating(
            plan,
            [View(Window.of(period))],
            Rejections(invalid_events, strict=strict),
            layouts=layouts,
            subscription=sub.external_id,
        )
        for (sub, plan), period in zip(checked, periods, strict=True)
    }
    consume(events, ratings, stream_rejections)
    with collector_paused():  # pricing thousands of subscriptions makes no cycles either
        usages = _priced(checked, periods, ratings, customer_taxes, invalid_events)
    usages.event_account = _stream_account(stream_rejections, ratings.values())
    return usages


def _stream_account(stream: Rejections, ratings: Iterable[Rating]) -> EventAccount:
    # Each rating tallied its subscription's events; the stream, the others.
    tally = Tally()
    tally.merge(stream.tally)
    read = stream.tally.total
    for rating in ratings:
        tally.merge(rating.tally)
        read += rating.account().read
    return tally.account(read)


def _priced(
    checked: list[tuple[Subscription, Plan]],
    periods: list[BillingPeriod],
    ratings: dict[str, Rating],
    customer_taxes: tuple[Tax, ...],
    invalid_events: InvalidEvents,
) -> SubscriptionUsages:
    usages = SubscriptionUsages()
    for (sub, plan), period in zip(checked, periods, strict=True):
        rating = ratings[sub.external_id]
        try:
            rated = rating.results()[0]
        except InvalidInput as error:
            if invalid_events == "raise":
                raise
            # Collected: this subscription cannot be priced; the others still are.
            usages.failed[sub.external_id] = error
            continue
        usages[sub.external_id] = usage_of(plan, period, rated, customer_taxes, rating.report())
    return usages
