"""Lago's response wrappers: ``{"plan": {...}}``, ``{"events": [...], "meta": {...}}``.

Lago's API answers with the object under its name (``GET /plans/{code}`` gives
``{"plan": {...}}``) and a list under its plural beside a ``meta`` object of pagination
(``GET /billable_metrics`` gives ``{"billable_metrics": [...], "meta": {...}}``). Every entry
point that takes the bare object takes it wrapped too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["unwrap", "unwrap_events"]

# What a list response carries beside its items: pagination only.
_META: Final = "meta"


def unwrap(value: Any, key: str | None) -> Any:
    """The object inside Lago's wrapper ``{key: object}`` (a ``meta`` beside it allowed).

    Anything else is returned unchanged: no Lago object has a field named after its own kind.

    >>> unwrap({"plan": {"code": "p"}}, "plan")
    {'code': 'p'}
    >>> unwrap({"billable_metrics": [], "meta": {"current_page": 1}}, "billable_metrics")
    []
    >>> unwrap({"code": "p", "plan": "x"}, "plan")
    {'code': 'p', 'plan': 'x'}
    """
    if (
        key is not None
        and isinstance(value, Mapping)
        and key in value
        and all(name in (key, _META) for name in value)
    ):
        return value[key]
    return value


def unwrap_events(events: Any) -> Any:
    """The events of a Lago payload: a batch body ``{"events": [...]}``, one ``{"event": {...}}``.

    ``POST /events/batch`` takes ``{"events": [...]}``, ``GET /events`` answers it with a
    ``meta``, and ``POST /events`` and ``GET /events/{transaction_id}`` wrap one event in
    ``{"event": {...}}``. Anything else, a lone bare event included, is returned unchanged.

    >>> unwrap_events({"events": [{"transaction_id": "t1"}]})
    [{'transaction_id': 't1'}]
    >>> unwrap_events({"event": {"transaction_id": "t1"}})
    ({'transaction_id': 't1'},)
    >>> unwrap_events({"transaction_id": "t1"})
    {'transaction_id': 't1'}
    """
    if not isinstance(events, Mapping):
        return events
    if "events" in events:
        return unwrap(events, "events")
    if len(events) == 1 and isinstance(events.get("event"), Mapping):
        return (events["event"],)
    return events
