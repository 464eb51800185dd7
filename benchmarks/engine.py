"""The engine side of the comparison: validated inputs, and its results in the peers' shape."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from usage_engine import Subscription, Usage
from usage_engine._coerce import as_plan, as_subscription

from .peers.pricing import ChargeTotal, Result, canon

__all__ = ["engine_result", "subscription_models"]


def subscription_models(subscriptions: Iterable[Mapping[str, Any]]) -> list[Subscription]:
    """Validate the subscriptions once, sharing one Plan model between equal plans.

    The timed runs take models, as the peers take their compiled plan: validation is measured
    on its own (``test_bench_coerce.py``).
    """
    plans: dict[int, Any] = {}
    models = []
    for item in subscriptions:
        plan = item["plan"]
        shared = plans.get(id(plan))
        if shared is None:
            shared = plans[id(plan)] = as_plan(plan)
        models.append(as_subscription({**item, "plan": shared}))
    return models


def engine_result(usages: Mapping[str, Usage]) -> Result:
    """``{subscription: {charge code: (amount_cents, units, events_count)}}``."""
    result: Result = {}
    for sub, usage in usages.items():
        result[sub] = {
            str(item.charge.code): ChargeTotal(
                item.amount_cents, canon(item.units), item.events_count
            )
            for item in usage.charges_usage
        }
    return result
