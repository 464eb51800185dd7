"""Scenario (d): one subscription's current usage, alone and with its projection.

The subscription is the first of the workload's (calendar monthly, UTC) with ``n`` generated
events of its own (the same shape as the workload's: 1 % outside the period, 0.5 % re-sent).
The plan is validated once beforehand, as the peers get their compiled plan; the events stay
dicts. ``current_and_projected_usage`` gives both figures from one call; where the installed
engine has no such function, :func:`together` falls back to ``current_usage`` then
``projected_usage`` and says so in its label.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .workload import NOW, generate, load_plan, subscriptions

__all__ = ["Single", "current_alone", "single_workload", "together", "together_function"]


@dataclass(frozen=True)
class Single:
    """One subscription's inputs: its id, validated plan, billing period and event dicts."""

    sub_id: str
    plan: Any
    period: Any
    events: list[dict[str, Any]]


def single_workload(n: int, *, seed: int = 42) -> Single:
    """``n`` events of one subscription, and what the engine needs to rate them.

    >>> single = single_workload(200)
    >>> single.sub_id, len(single.events), str(single.period.from_datetime)
    ('sub_000000', 200, '2026-10-01 00:00:00+00:00')
    """
    from usage_engine import billing_period
    from usage_engine._coerce import as_plan

    plan = as_plan(load_plan())
    subscription = dict(subscriptions(1, seed=seed)[0], plan=plan)
    return Single(
        sub_id=subscription["external_id"],
        plan=plan,
        period=billing_period(subscription, NOW),
        events=generate(n, 1, seed=seed),
    )


def together_function() -> Callable[..., Any] | None:
    """``usage_engine.current_and_projected_usage``, or None where this engine lacks it."""
    import usage_engine

    function: Callable[..., Any] | None = getattr(usage_engine, "current_and_projected_usage", None)
    return function


def current_alone(single: Single) -> Any:
    """``current_usage`` of the subscription: a ``Usage``."""
    from usage_engine import current_usage

    return current_usage(single.plan, single.events, single.period, now=NOW)


def together(single: Single, *, fallback: bool = False) -> tuple[Any, Any]:
    """Current and projected usage: ``(Usage, ProjectedUsage)``.

    With ``current_and_projected_usage`` when the engine has it (unless ``fallback``), else
    ``current_usage`` then ``projected_usage``, each rating the events on its own.
    """
    function = None if fallback else together_function()
    if function is not None:
        both = function(single.plan, single.events, single.period, now=NOW)
        return both.current, both.projected
    from usage_engine import projected_usage

    current = current_alone(single)
    return current, projected_usage(single.plan, single.events, single.period, now=NOW)
