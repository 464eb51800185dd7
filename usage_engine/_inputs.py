"""What the public functions accept: a model, or a mapping in Lago's JSON shape.

Every public function validates its inputs at the boundary, so a mapping straight from
``json.loads`` is as good as a model; these aliases say so to a type checker, which then
refuses ``current_usage(123, 456, "nope")`` before it runs. They are exported by
:mod:`usage_engine`.

Instants (``now``, ``at``) are an aware :class:`~datetime.datetime`, ISO 8601 text (naive text
means UTC) or unix seconds. A bare :class:`~datetime.date` is refused, with a message naming the
datetime to pass: a day starts at a different instant in every timezone, and guessing one would
move events between periods without a word.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, TypeAlias

from .models import BillableMetric, BillingPeriod, Event, Plan, Subscription, Tax

__all__ = [
    "ColumnarEvents",
    "EventInput",
    "EventSource",
    "EventsInput",
    "InstantInput",
    "MetricInput",
    "PeriodInput",
    "PlanInput",
    "SubscriptionInput",
    "SubscriptionsInput",
    "TaxInput",
    "TaxesInput",
]

PlanInput: TypeAlias = Plan | Mapping[str, Any]
"""A :class:`~usage_engine.Plan`, or a plan mapping in Lago's JSON shape."""

PeriodInput: TypeAlias = BillingPeriod | Mapping[str, Any]
"""A :class:`~usage_engine.BillingPeriod`, or a mapping with ``external_subscription_id``,
``from_datetime`` and ``to_datetime`` (and optionally the ``charges_*`` bounds, ``timezone``)."""

SubscriptionInput: TypeAlias = Subscription | Mapping[str, Any]
"""A :class:`~usage_engine.Subscription`, or a subscription mapping in Lago's JSON shape."""

SubscriptionsInput: TypeAlias = Iterable[SubscriptionInput]
"""Subscriptions, each carrying its ``plan``; any iterable but a single mapping."""

MetricInput: TypeAlias = BillableMetric | Mapping[str, Any]
"""A :class:`~usage_engine.BillableMetric`, or a billable metric mapping in Lago's shape."""

TaxInput: TypeAlias = Tax | Mapping[str, Any]
"""A :class:`~usage_engine.Tax`, or a mapping such as ``{"code": "vat", "rate": "20"}``."""

TaxesInput: TypeAlias = Iterable[TaxInput]
"""The customer's taxes: any iterable of taxes (a list, a tuple), possibly empty."""

EventInput: TypeAlias = Event | Mapping[str, Any]
"""An :class:`~usage_engine.Event`, or an event mapping as sent to Lago's events endpoint."""


class ColumnarEvents(Protocol):
    """Events as columns: a pyarrow ``Table`` or ``RecordBatch``, a pandas or a Polars
    ``DataFrame``, with the columns ``transaction_id``, ``external_subscription_id``,
    ``code``, ``timestamp``, and optionally ``properties`` and ``precise_total_amount_cents``
    (see ``docs/columnar.md``)."""

    @property
    def columns(self) -> Any:
        """The columns (each library names them its own way)."""
        ...


EventsInput: TypeAlias = Iterable[EventInput] | ColumnarEvents
"""Events: any iterable (a list, a generator), read once, or columns (:class:`ColumnarEvents`)."""

EventSource: TypeAlias = Iterable[Any] | ColumnarEvents
"""What event reading takes: any iterable of anything (each item checked), or columns."""

InstantInput: TypeAlias = datetime | str | int | float | Decimal
"""An instant: an aware datetime, ISO 8601 text (naive means UTC) or unix seconds.

Not a :class:`~datetime.date`: refused, with the datetime to pass in the message."""
