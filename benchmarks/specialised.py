"""How fast a loop generated for the reference plan could be: a hand-specialised prototype.

``python -m benchmarks.specialised [--n 300000] [--subs 1000] [--rounds 3]``

:func:`specialised_pass` does, for ``benchmarks/plan.json`` only, the per-event work the engine's
core must do for that plan, written out as one function body, the way a loop generated per plan
would be: the cheap type checks of every field, deduplication per subscription, each
subscription's own period, and the plan's five aggregations inlined (a count, an exact sum, a
maximum, a unique count, and a sum routed to its filter bucket and pricing group through a
cache keyed by the routing values). No pricing and no results. It is timed, in one run and on the
same dicts, against :func:`benchmarks.floor.one_pass` (dedup, window, count or sum) and against
the engine's own core (:func:`usage_engine.rating.consume` over the same subscriptions, also
without pricing), so that the report says what is left between the engine and the floor once
the spec's per-event work is paid, and how much of it a generated loop could win back.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from decimal import Decimal
from typing import Any

from . import floor
from .peers.pricing import compile_plan
from .workload import NOW, PERIOD_FROM, PERIOD_TO, generate, load_plan, subscriptions

__all__ = ["specialised_pass"]

_MODELS = {"gpt-a": 0, "gpt-b": 1, "gpt-c": 2}


def _slot(model: Any, region: Any) -> tuple[int | None, Any]:
    # The tokens charge: one filter per model (gpt-a, gpt-b, gpt-c) and the default bucket for
    # any other model, each priced per region (its pricing group).
    return (_MODELS.get(model), region)


def _exact(value: Any) -> int | Decimal | None:
    if type(value) is int:
        return value
    if type(value) is str:
        try:
            return Decimal(value)
        except ArithmeticError:
            return None
    return None


def specialised_pass(
    events: list[dict[str, Any]], periods: dict[str, tuple[int, int]]
) -> dict[str, list[Any]]:
    """Per subscription: [seen, calls, gb, seats, users, tokens per (filter, region)].

    >>> events = [{"external_subscription_id": "s", "transaction_id": "t", "code": "tokens",
    ...            "timestamp": 5, "properties": {"tokens": 7, "model": "gpt-a",
    ...                                           "region": "eu"}}]
    >>> specialised_pass(events, {"s": (0, 10)})["s"][5]
    {(0, 'eu'): 7}
    >>> specialised_pass([{**events[0], "timestamp": 11}], {"s": (0, 10)})["s"][5]
    {}
    """
    states = {
        sub: [set(), 0, 0, None, set(), {}, low, high] for sub, (low, high) in periods.items()
    }
    find = states.get
    routes: dict[tuple[Any, Any], tuple[int | None, Any]] = {}
    route = routes.get
    for event in events:
        if type(event) is not dict:
            continue  # the engine's general path would name it
        state = find(event.get("external_subscription_id"))
        if state is None:
            continue
        key = event.get("transaction_id")
        code = event.get("code")
        stamp = event.get("timestamp")
        properties = event.get("properties")
        if (
            type(key) is not str
            or not key
            or type(code) is not str
            or type(stamp) is not int
            or type(properties) is not dict
        ):
            continue  # the general path
        seen = state[0]
        known = len(seen)
        seen.add(key)
        if len(seen) == known:
            continue
        if not state[6] <= stamp <= state[7]:
            continue
        if code == "api_calls":
            state[1] += 1
        elif code == "tokens":
            value = properties.get("tokens")
            if type(value) is not int:
                value = _exact(value)
                if value is None:
                    continue
            pair = (properties.get("model"), properties.get("region"))
            slot = route(pair)
            if slot is None:
                slot = routes[pair] = _slot(*pair)
            slots = state[5]
            slots[slot] = slots.get(slot, 0) + value
        elif code == "storage_gb":
            value = properties.get("gb")
            if type(value) is not int:
                value = _exact(value)
                if value is None:
                    continue
            state[2] += value
        elif code == "peak_seats":
            value = properties.get("seats")
            if type(value) is not int:
                value = _exact(value)
                if value is None:
                    continue
            if state[3] is None or value > state[3]:
                state[3] = value
        elif code == "unique_users":
            user = properties.get("user_id")
            if type(user) is str and properties.get("operation_type") != "remove":
                state[4].add(user)
    return states


def differences(states: dict[str, list[Any]], ratings: dict[str, Any]) -> list[str]:
    """Where the prototype's aggregates differ from the engine's units (empty: they agree)."""
    found = []
    for sub, rating in ratings.items():
        state = states[sub]
        calls, gb, seats, users, tokens = rating.results()[0]
        plain = [
            (calls, state[1]),
            (gb, state[2]),
            (seats, state[3] or 0),
            (users, len(state[4])),
        ]
        for charge, expected in plain:
            if charge.fees[0].units != expected:
                found.append(f"{sub} {charge.charge.code}: {charge.fees[0].units} != {expected}")
        for fee in tokens.fees:
            region = dict(fee.grouped_by).get("region")
            expected = state[5].get((fee.filter_index, region), 0)
            if fee.units != expected:
                found.append(f"{sub} tokens {fee.filter_index} {region}: {fee.units} != {expected}")
    return found


def _engine_core(events: list[dict[str, Any]], subs: list[dict[str, Any]]) -> Any:
    from usage_engine import billing_period
    from usage_engine.aggregation import Window
    from usage_engine.batch import checked_subscriptions
    from usage_engine.rating import Rating, View, consume
    from usage_engine.selection import Rejections

    ratings = {}
    layouts: dict[int, Any] = {}
    for sub, plan in checked_subscriptions(subs):
        period = billing_period(sub, NOW)
        ratings[sub.external_id] = Rating(
            plan, [View(Window.of(period))], Rejections(), layouts=layouts
        )
    consume(events, ratings, Rejections())
    return ratings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300_000)
    parser.add_argument("--subs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    events = generate(args.n, args.subs)
    subs = subscriptions(args.subs, load_plan())
    summed = floor.sum_fields(compile_plan(load_plan()))
    from usage_engine import billing_period
    from usage_engine._time import micros

    periods = {}
    for sub in subs:
        period = billing_period(sub, NOW)
        periods[sub["external_id"]] = (
            micros(period.charges_from_datetime) // 1_000_000,
            micros(period.charges_to_datetime) // 1_000_000,
        )
    mismatched = differences(specialised_pass(events, periods), _engine_core(events, subs))
    if mismatched:
        raise SystemExit("the prototype disagrees with the engine: " + "; ".join(mismatched[:5]))
    variants = {
        "floor (one pass)": lambda: floor.one_pass(events, summed, PERIOD_FROM, PERIOD_TO),
        "specialised prototype": lambda: specialised_pass(events, periods),
        "engine core (consume)": lambda: _engine_core(events, subs),
    }
    gc.collect()
    gc.freeze()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, run in variants.items():
            gc.disable()
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
            gc.enable()
    base = statistics.median(times["floor (one pass)"])
    print(f"{args.n:,} events, {args.subs:,} subscriptions, median of {args.rounds}")
    for name, measured in times.items():
        median = statistics.median(measured)
        print(
            f"{name:24s} {median:7.3f} s  {median / args.n * 1e6:5.2f} µs/event  "
            f"{median / base:4.2f} × floor"
        )


if __name__ == "__main__":
    main()
