"""Many subscriptions in one pass: the current usage of each, from one event stream.

:func:`rate_subscriptions` reads a stream holding the events of many subscriptions once,
splits it by ``external_subscription_id`` and computes each subscription's current usage. Its
result for a subscription equals :func:`~usage_engine.current_usage` over the whole stream
(positions in error messages and rejection reports included): the split only saves each
subscription from reading everybody else's events.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Mapping
from typing import Any, Final

from ._coerce import as_subscription, as_taxes
from .errors import InvalidInput, Problem
from .models import BillingPeriod, Event, Plan, Subscription
from .models.usage import RejectedEvents, Usage
from .periods import billing_period
from .selection import MAX_REASONS, InvalidEvents
from .usage import current_usage, read_now

__all__ = ["rate_subscriptions"]

_POSITION: Final = re.compile(r"^events\[(\d+)\]")


class _Unattributed:
    """Events that name no subscription: raised at once, or collected for every report."""

    __slots__ = ("count", "mode", "reasons")

    def __init__(self, mode: InvalidEvents) -> None:
        if mode not in ("raise", "collect"):
            path, msg = "invalid_events", "must be 'raise' or 'collect'"
            raise InvalidInput.at(path, msg, mode)
        self.mode = mode
        self.count = 0
        self.reasons: list[tuple[int, str]] = []

    def reject(self, position: int, transaction_id: object, reason: str) -> None:
        # The same words as selection's, so that the result equals current_usage's.
        where = f"events[{position}]"
        if transaction_id is not None:
            where += f" (transaction_id {transaction_id!r})"
        if self.mode == "raise":
            raise InvalidInput.at(where, reason)
        self.count += 1
        if len(self.reasons) < MAX_REASONS:
            self.reasons.append((position, f"{where}: {reason}"))


class _Share:
    """One subscription's events and their positions in the whole stream."""

    __slots__ = ("events", "positions")

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.positions = array("q")


def _subscriptions(values: Iterable[Any]) -> list[tuple[Subscription, Plan]]:
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
    for index, item in enumerate(items):
        root = f"subscriptions[{index}]"
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


def _period(sub: Subscription, now: Any, index: int) -> BillingPeriod:
    try:
        return billing_period(sub, now)
    except InvalidInput as error:
        # billing_period names its instant "at"; here it is `now`, for this subscription.
        where = f"now (subscriptions[{index}] {sub.external_id!r})"
        raise InvalidInput(
            [Problem(where, problem.message, problem.value) for problem in error.errors]
        ) from None


def _split(
    events: Iterable[Any], shares: Mapping[str, _Share], unattributed: _Unattributed
) -> None:
    """Append each event of a known subscription to its share, reading ``events`` once."""
    if isinstance(events, Mapping | str | bytes):
        path = "events"
        msg = "must be an iterable of events (a list or a generator), not a single value"
        raise InvalidInput.at(path, msg, type(events).__name__)
    try:
        iterator = iter(events)
    except TypeError:
        path, msg = "events", "must be an iterable of events"
        raise InvalidInput.at(path, msg, events) from None
    get = shares.get
    for position, raw in enumerate(iterator):
        if type(raw) is dict or isinstance(raw, Mapping):
            subscription = raw.get("external_subscription_id")
        elif isinstance(raw, Event):
            subscription = raw.external_subscription_id
        else:
            unattributed.reject(position, None, f"must be a mapping, not {type(raw).__name__}")
            continue
        if subscription is None:
            reason = "external_subscription_id is required"
            unattributed.reject(position, _transaction_id(raw), reason)
            continue
        share = get(subscription if type(subscription) is str else str(subscription))
        if share is not None:
            share.events.append(raw)
            share.positions.append(position)


def _transaction_id(raw: Any) -> Any:
    return raw.get("transaction_id") if isinstance(raw, Mapping) else raw.transaction_id


def _global(text: str, positions: array[int]) -> str:
    """``text`` with its leading ``events[k]`` (k local to a share) made a stream position."""
    return _POSITION.sub(lambda match: f"events[{positions[int(match[1])]}]", text, count=1)


def _rejected(
    own: RejectedEvents, positions: array[int], unattributed: _Unattributed
) -> RejectedEvents:
    reasons = [
        (positions[int(match[1])], _global(reason, positions))
        for reason in own.reasons
        if (match := _POSITION.match(reason))
    ]
    merged = sorted(reasons + unattributed.reasons)[:MAX_REASONS]
    return RejectedEvents(
        count=own.count + unattributed.count, reasons=tuple(reason for _, reason in merged)
    )


def rate_subscriptions(
    subscriptions: Iterable[Any],
    events: Iterable[Any],
    *,
    now: Any,
    taxes: Iterable[Any] = (),
    invalid_events: InvalidEvents = "raise",
) -> dict[str, Usage]:
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
    unattributed = _Unattributed(invalid_events)
    checked = _subscriptions(subscriptions)
    instant = read_now(now)
    customer_taxes = as_taxes(taxes)
    periods = [_period(sub, instant, index) for index, (sub, _) in enumerate(checked)]
    shares = {sub.external_id: _Share() for sub, _ in checked}
    _split(events, shares, unattributed)
    result: dict[str, Usage] = {}
    for (sub, plan), period in zip(checked, periods, strict=True):
        share = shares[sub.external_id]
        try:
            usage = current_usage(
                plan,
                share.events,
                period,
                now=instant,
                taxes=customer_taxes,
                invalid_events=invalid_events,
            )
        except InvalidInput as error:
            raise InvalidInput(
                [
                    Problem(_global(problem.path, share.positions), problem.message, problem.value)
                    for problem in error.errors
                ]
            ) from None
        if usage.rejected_events.count or unattributed.count:
            rejected = _rejected(usage.rejected_events, share.positions, unattributed)
            usage = usage.model_copy(update={"rejected_events": rejected})
        result[sub.external_id] = usage
    return result
