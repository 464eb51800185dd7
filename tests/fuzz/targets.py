"""The public entry points the fuzzer drives, and the oracle that judges each call.

Each :class:`Target` calls one entry point with the keys of a (mutated) seed it reads, then
checks the result's sanity. :func:`judge` runs a target under a time limit and classifies the
call: ``"ok"`` (a sane result), ``"invalid"`` (InvalidInput naming a path). Anything else, a
foreign exception, a hang, an insane result or a badly formed InvalidInput, propagates: that is
a defect.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import pickle
import re
import signal
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from lago_python_client.models.customer_projected_usage import CustomerProjectedUsageResponse
from lago_python_client.models.customer_usage import CustomerUsageResponse
from pydantic import BaseModel

from usage_engine import (
    BillableMetric,
    BillingPeriod,
    InvalidInput,
    PastUsage,
    Plan,
    ProjectedUsage,
    Usage,
    UsageState,
    aggregate,
    billing_period,
    ceil_days,
    current_usage,
    next_period,
    past_usage,
    past_usages,
    periods_before,
    plan_with_metrics,
    previous_period,
    projected_usage,
    projection_ratio,
    rate_subscriptions,
    verify,
)
from usage_engine._coerce import as_period
from usage_engine.errors import UsageEngineWarning
from usage_engine.models._base import parse_instant
from usage_engine.partition import plan_job, rate_job

TIME_LIMIT = 20.0
"""Seconds one call may take before it counts as a hang."""


class Defect(AssertionError):
    """A call that did not fail with InvalidInput returned a wrong result (or hung)."""


class Hang(Defect):
    """A call ran past :data:`TIME_LIMIT`."""


# --- sanity of results --------------------------------------------------------------------


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise Defect(message)


def _values(value: Any) -> Iterator[Any]:
    """Every value inside a result (models, tuples, dicts), iteratively."""
    stack = [value]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, BaseModel):
            stack.extend(item.__dict__.values())
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def _holds_iterator(value: Any) -> bool:
    """Whether an input holds a one-shot iterator (a generator of charges, say) anywhere."""
    stack, seen = [value], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue  # inputs may loop on themselves
        seen.add(id(item))
        if isinstance(item, Iterator):
            return True
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def check_finite(result: Any) -> None:
    """No NaN or infinity anywhere in ``result``; no float on the money path."""
    for item in _values(result):
        if isinstance(item, Decimal):
            _expect(item.is_finite(), f"non-finite Decimal {item!r} in the result")
        elif isinstance(item, float):
            _expect(math.isfinite(item), f"non-finite float {item!r} in the result")


def _cents(value: Any, what: str) -> int:
    _expect(type(value) is int, f"{what} is not an int: {value!r}")
    _expect(value >= 0, f"{what} is negative: {value!r}")
    return int(value)


def check_json(payload: Any) -> None:
    """``payload`` is strict JSON (no NaN, no infinity, nothing json cannot write)."""
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise Defect(f"to_lago() is not strict JSON: {error}") from None


def check_usage(usage: Usage) -> None:
    """Totals are sums of their parts, amounts whole cents, the output strict JSON."""
    amount = _cents(usage.amount_cents, "amount_cents")
    taxes = _cents(usage.taxes_amount_cents, "taxes_amount_cents")
    _expect(usage.total_amount_cents == amount + taxes, "total != amount + taxes")
    charges = usage.charges_usage
    _expect(amount == sum(item.amount_cents for item in charges), "amount != sum of charges")
    for item in charges:
        _cents(item.amount_cents, "charge amount_cents")
        _expect(item.events_count >= 0, "negative events_count")
        _expect(item.amount_currency == usage.currency, "charge in another currency")
        if item.fees:
            fees = sum(_cents(fee.amount_cents, "fee amount_cents") for fee in item.fees)
            _expect(item.amount_cents == fees, "charge amount != sum of its fees")
    if isinstance(usage, ProjectedUsage):
        projected = _cents(usage.projected_amount_cents, "projected_amount_cents")
        parts = sum(item.projected_amount_cents or 0 for item in charges)
        _expect(projected == parts, "projected_amount_cents != sum of charges'")
        _expect(usage.ratio.is_finite() and 0 <= usage.ratio <= 1, f"ratio {usage.ratio}")
    check_finite(usage)
    payload = usage.to_lago()
    check_json(payload)
    client = (
        CustomerProjectedUsageResponse
        if isinstance(usage, ProjectedUsage)
        else CustomerUsageResponse
    )
    client.parse_obj(payload)
    if isinstance(usage, PastUsage):
        digest = hashlib.sha256(usage.canonical_json().encode("ascii")).hexdigest()
        _expect(usage.digest == digest, "digest is not the SHA-256 of the canonical JSON")
        hash(usage)


def check_period(period: BillingPeriod) -> None:
    """Bounds in order, a positive duration, strict JSON."""
    _expect(period.from_datetime <= period.to_datetime, "to_datetime before from_datetime")
    _expect(
        period.charges_from_datetime <= period.charges_to_datetime,
        "charges_to_datetime before charges_from_datetime",
    )
    _expect(period.charges_duration_days > 0, "charges_duration_days not positive")
    check_json(period.to_lago())


def _instant(value: Any) -> datetime:
    # The instant the engine accepted (it must read the same way here).
    return parse_instant(value)


# --- the entry points ---------------------------------------------------------------------


def _current(inputs: dict[str, Any]) -> None:
    check_usage(
        current_usage(
            inputs["plan"],
            inputs["events"],
            inputs["period"],
            now=inputs["now"],
            taxes=inputs["taxes"],
            invalid_events=inputs["invalid_events"],
        )
    )


def _projected(method: str) -> Callable[[dict[str, Any]], None]:
    def run(inputs: dict[str, Any]) -> None:
        check_usage(
            projected_usage(
                inputs["plan"],
                inputs["events"],
                inputs["period"],
                now=inputs["now"],
                taxes=inputs["taxes"],
                method=inputs.get("method", method),  # type: ignore[arg-type]
                invalid_events=inputs["invalid_events"],
            )
        )

    return run


def _past(inputs: dict[str, Any]) -> None:
    check_usage(
        past_usage(
            inputs["plan"],
            inputs["events"],
            inputs["period"],
            taxes=inputs["taxes"],
            invalid_events=inputs["invalid_events"],
        )
    )


def _past_many(inputs: dict[str, Any]) -> None:
    found = past_usages(inputs["subscription"], inputs["events"], inputs["at"], inputs["count"])
    _expect(len(found) <= inputs["count"], "more periods than asked for")
    for usage in found:
        check_usage(usage)


def _verify(inputs: dict[str, Any]) -> None:
    check = verify(inputs["stored"], inputs["plan"], inputs["events"], inputs["period"], taxes=())
    _expect(isinstance(check.matches, bool), "matches is not a bool")
    _expect(check.matches == (not check.differences), "matches disagrees with differences")
    check_usage(check.recomputed)


def _billing_period(inputs: dict[str, Any]) -> None:
    period = billing_period(inputs["subscription"], inputs["at"])
    check_period(period)
    at = _instant(inputs["at"])
    _expect(
        period.charges_from_datetime <= at <= period.charges_to_datetime,
        "the period does not contain `at`",
    )


def _next(inputs: dict[str, Any]) -> None:
    found = next_period(inputs["subscription"], inputs["period"])
    check_period(found)
    given = as_period(inputs["period"])
    _expect(found.charges_from_datetime > given.charges_to_datetime, "next is not after")


def _previous(inputs: dict[str, Any]) -> None:
    found = previous_period(inputs["subscription"], inputs["period"])
    check_period(found)
    given = as_period(inputs["period"])
    _expect(found.charges_to_datetime < given.charges_from_datetime, "previous is not before")


def _periods_before(inputs: dict[str, Any]) -> None:
    found = periods_before(inputs["subscription"], inputs["at"], inputs["count"])
    _expect(len(found) <= inputs["count"], "more periods than asked for")
    at = _instant(inputs["at"])
    for newer, older in itertools.pairwise(found):
        _expect(older.charges_to_datetime < newer.charges_from_datetime, "periods out of order")
    for period in found:
        check_period(period)
        _expect(period.charges_to_datetime <= at, "a period ends after `at`")


def _rate_many(inputs: dict[str, Any]) -> None:
    found = rate_subscriptions(
        inputs["subscriptions"],
        inputs["events"],
        now=inputs["now"],
        taxes=inputs["taxes"],
        invalid_events=inputs["invalid_events"],
    )
    for usage in found.values():
        check_usage(usage)


def _partition(kind: str) -> Callable[[dict[str, Any]], None]:
    def run(inputs: dict[str, Any]) -> None:
        """The scale-out core over the whole stream: it agrees with rate_subscriptions."""
        subscriptions, events = inputs["subscriptions"], inputs["events"]
        mode = inputs["invalid_events"]
        job = plan_job(
            subscriptions, at=inputs["now"], kind=kind, taxes=inputs["taxes"], invalid_events=mode
        )
        found = rate_job(events, job)
        for usage in found.values():
            check_usage(usage)
        if (
            kind == "current"
            and isinstance(events, list)
            and isinstance(subscriptions, list)
            and not _holds_iterator([subscriptions, inputs["taxes"]])  # read once by plan_job
        ):
            alone = rate_subscriptions(
                subscriptions, events, now=inputs["now"], taxes=inputs["taxes"]
            )
            same = {sub: usage.to_lago() for sub, usage in alone.items()} == {
                sub: usage.to_lago() for sub, usage in found.items()
            }
            _expect(same, "the partition core disagrees with rate_subscriptions")

    return run


def _state(inputs: dict[str, Any]) -> None:
    """Two states fed half the events each, merged, pickled: they agree with the functions."""
    plan, period, taxes = inputs["plan"], inputs["period"], inputs["taxes"]
    mode = inputs["invalid_events"]
    events = inputs["events"]
    half = len(events) // 2 if isinstance(events, list) else 0
    first = UsageState(plan, period, taxes=taxes, invalid_events=mode)
    second = UsageState(plan, period, taxes=taxes, invalid_events=mode)
    first.add(events[:half] if half else events)
    second.add(events[half:] if half else [])
    first.merge(second)
    usage = first.current_usage()
    check_usage(usage)
    projected = first.projected_usage(now=inputs["now"], method=inputs["method"])
    check_usage(projected)
    copied = pickle.loads(pickle.dumps(first))
    _expect(copied.current_usage() == usage, "the unpickled state gives another usage")
    if isinstance(events, list):
        once = current_usage(plan, events, period, taxes=taxes, invalid_events=mode)
        if mode == "raise":
            _expect(once.to_lago() == usage.to_lago(), "the state disagrees with current_usage")


def _aggregate(inputs: dict[str, Any]) -> None:
    result, rejected = aggregate(inputs["metric"], inputs["events"], inputs["period"])
    check_finite(result)
    _expect(type(result.events_count) is int and result.events_count >= 0, "events_count")
    _expect(rejected.count >= 0, "rejected count")


def _joined(inputs: dict[str, Any]) -> None:
    plan = plan_with_metrics(inputs["lago_plan"], inputs["metrics"])
    _expect(isinstance(plan, Plan), f"plan_with_metrics gave {type(plan).__name__}")
    _expect(
        all(isinstance(charge.billable_metric, BillableMetric) for charge in plan.charges),
        "a charge without its metric",
    )


def _ratio(inputs: dict[str, Any]) -> None:
    ratio = projection_ratio(inputs["period"], inputs["now"])
    _expect(ratio.is_finite() and 0 <= ratio <= 1, f"ratio {ratio!r}")


def _ceil_days(inputs: dict[str, Any]) -> None:
    days = ceil_days(inputs["start"], inputs["end"], inputs["zone"])
    _expect(type(days) is int, f"ceil_days gave {days!r}")


@dataclass(frozen=True)
class Target:
    """An entry point: its name, the seed keys it reads, and how to call and check it."""

    name: str
    uses: tuple[str, ...]
    run: Callable[[dict[str, Any]], None]

    def __repr__(self) -> str:
        return self.name


_USAGE = ("plan", "events", "period", "now", "taxes", "invalid_events")

TARGETS: tuple[Target, ...] = (
    Target("current_usage", _USAGE, _current),
    Target("projected_usage(lago)", _USAGE, _projected("lago")),
    Target("projected_usage(exact)", _USAGE, _projected("exact")),
    Target("projected_usage(method)", (*_USAGE, "method"), _projected("lago")),
    Target("past_usage", ("plan", "events", "period", "taxes", "invalid_events"), _past),
    Target("past_usages", ("subscription", "events", "at", "count"), _past_many),
    Target("verify", ("stored", "plan", "events", "period"), _verify),
    Target("billing_period", ("subscription", "at"), _billing_period),
    Target("next_period", ("subscription", "period"), _next),
    Target("previous_period", ("subscription", "period"), _previous),
    Target("periods_before", ("subscription", "at", "count"), _periods_before),
    Target(
        "rate_subscriptions",
        ("subscriptions", "events", "now", "taxes", "invalid_events"),
        _rate_many,
    ),
    Target("UsageState", (*_USAGE, "method"), _state),
    Target(
        "partition(current)",
        ("subscriptions", "events", "now", "taxes", "invalid_events"),
        _partition("current"),
    ),
    Target(
        "partition(past)",
        ("subscriptions", "events", "now", "taxes", "invalid_events"),
        _partition("past"),
    ),
    Target("aggregate", ("metric", "events", "period"), _aggregate),
    Target("plan_with_metrics", ("lago_plan", "metrics"), _joined),
    Target("projection_ratio", ("period", "now"), _ratio),
    Target("ceil_days", ("start", "end", "zone"), _ceil_days),
)
"""Every public entry point, UsageState's methods and the results' to_lago() among them."""


# --- the oracle ---------------------------------------------------------------------------

ROOTS = frozenset(
    {
        *(key for target in TARGETS for key in target.uses),
        "billable_metric",  # aggregate's metric argument
        "billable_metrics",  # plan_with_metrics' metrics argument
        "other",  # UsageState.merge's argument
        "amount",  # too large to compute where no one input is to blame (a tax total)
    }
)
"""The names an InvalidInput path may start with: the arguments of the entry points."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in the main thread when the block runs past ``seconds``."""

    def expire(signum: int, frame: Any) -> None:
        raise Hang(f"still running after {seconds} s")

    try:
        previous = signal.signal(signal.SIGALRM, expire)
    except ValueError:  # not the main thread: no alarm
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_invalid(error: InvalidInput) -> None:
    """InvalidInput names a path for every problem, renders, and survives pickling."""
    _expect(bool(error.errors), "InvalidInput without problems")
    for problem in error.errors:
        path, message = problem.path, problem.message
        _expect(isinstance(path, str) and bool(path), f"no path, message {message!r}")
        _expect(isinstance(message, str) and bool(message), f"no message at {path}")
        _expect("pydantic" not in message, f"pydantic's words at {path}: {message}")
        root = re.match(r"[a-z_]*", path).group()  # type: ignore[union-attr]
        _expect(root in ROOTS, f"the path {path!r} names no argument")
    _expect(bool(str(error)), "empty message")
    pickle.loads(pickle.dumps(error))


def judge(target: Target, inputs: dict[str, Any]) -> str:
    """``"ok"`` or ``"invalid"``; any other outcome raises (the defect itself)."""
    with time_limit(TIME_LIMIT), warnings.catch_warnings():
        warnings.simplefilter("ignore", UsageEngineWarning)
        try:
            target.run(inputs)
        except InvalidInput as error:
            check_invalid(error)
            return "invalid"
    return "ok"
