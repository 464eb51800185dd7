"""Event selection: read raw events once, keep one subscription's, drop duplicates (spec 2).

Events arrive as plain mappings (or :class:`~usage_engine.models.Event` models) from any
iterable, read once. Each is checked with a few cheap tests instead of a pydantic model; a
malformed one raises :class:`~usage_engine.errors.InvalidInput` naming its position and
``transaction_id``, or, with ``invalid_events="collect"``, is set aside and reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from ._time import event_micros
from .errors import InvalidInput
from .models import BillableMetric, Event
from .models.usage import RejectedEvents

__all__ = ["EventReader", "InvalidEvents", "RejectedEvents", "SelectedEvent"]

InvalidEvents = Literal["raise", "collect"]
"""What to do with a malformed event: raise InvalidInput, or collect and report it."""

MAX_REASONS: Final = 10
_EVENTS: Final = "events"
_INVALID_EVENTS: Final = "invalid_events"


@dataclass(frozen=True, slots=True)
class SelectedEvent:
    """An event of the subscription, read and deduplicated, its expression applied."""

    ts: int
    transaction_id: str
    code: str
    properties: Mapping[str, Any]
    precise_total_amount_cents: Any


class _Rejections:
    __slots__ = ("count", "mode", "reasons")

    def __init__(self, mode: InvalidEvents) -> None:
        if mode not in ("raise", "collect"):
            msg = "must be 'raise' or 'collect'"
            raise InvalidInput.at(_INVALID_EVENTS, msg, mode)
        self.mode = mode
        self.count = 0
        self.reasons: list[str] = []

    def reject(self, position: int, transaction_id: object, reason: str) -> None:
        where = f"events[{position}]"
        if transaction_id is not None:
            where += f" (transaction_id {transaction_id!r})"
        if self.mode == "raise":
            raise InvalidInput.at(where, reason)
        self.count += 1
        if len(self.reasons) < MAX_REASONS:
            self.reasons.append(f"{where}: {reason}")

    def report(self) -> RejectedEvents:
        return RejectedEvents(count=self.count, reasons=tuple(self.reasons))


def _fields(event: Any) -> Mapping[str, Any] | None:
    if isinstance(event, Mapping):
        return event
    if isinstance(event, Event):
        return {
            "transaction_id": event.transaction_id,
            "external_subscription_id": event.external_subscription_id,
            "code": event.code,
            "timestamp": event.timestamp,
            "properties": event.properties,
            "precise_total_amount_cents": event.precise_total_amount_cents,
        }
    return None


class EventReader:
    """Selects the events of one subscription whose code is in ``metrics``, once each.

    Duplicates of a ``transaction_id`` are dropped whatever their code, the first occurrence in
    input order winning (Lago's PostgreSQL store). A metric's expression is evaluated into its
    field; an event whose expression fails is malformed (Lago rejects it at ingestion).
    ``rejected`` reports the malformed events collected so far.
    """

    def __init__(
        self,
        subscription_id: str,
        metrics: Mapping[str, BillableMetric],
        *,
        invalid_events: InvalidEvents = "raise",
    ) -> None:
        self.subscription_id = subscription_id
        self.metrics = metrics
        self._rejections = _Rejections(invalid_events)

    def read(self, events: Iterable[Any]) -> Iterator[SelectedEvent]:
        """Yield the selected events of ``events`` (read once, in order)."""
        return _select(events, self.subscription_id, self.metrics, self._rejections)

    @property
    def rejected(self) -> RejectedEvents:
        """The malformed events collected so far."""
        return self._rejections.report()


def _select(
    events: Iterable[Any],
    subscription_id: str,
    metrics: Mapping[str, BillableMetric],
    rejections: _Rejections,
) -> Iterator[SelectedEvent]:
    if isinstance(events, Mapping | str | bytes):
        msg = "must be an iterable of events (a list or a generator), not a single value"
        raise InvalidInput.at(_EVENTS, msg, type(events).__name__)
    try:
        iterator = iter(events)
    except TypeError:
        msg = "must be an iterable of events"
        raise InvalidInput.at(_EVENTS, msg, events) from None
    seen: set[str] = set()
    for position, raw in enumerate(iterator):
        event = raw if type(raw) is dict else _fields(raw)
        if event is None:
            rejections.reject(position, None, f"must be a mapping, not {type(raw).__name__}")
            continue
        transaction_id = event.get("transaction_id")
        subscription = event.get("external_subscription_id")
        if subscription is None:
            rejections.reject(position, transaction_id, "external_subscription_id is required")
            continue
        if subscription != subscription_id and str(subscription) != subscription_id:
            continue
        if transaction_id is None or transaction_id == "":
            rejections.reject(position, None, "transaction_id is required")
            continue
        key = transaction_id if type(transaction_id) is str else str(transaction_id)
        code = event.get("code")
        if type(code) is not str or not code:
            rejections.reject(position, key, f"code must be a non-empty string (got {code!r})")
            continue
        try:
            ts = event_micros(event.get("timestamp"))
        except ValueError as error:
            rejections.reject(position, key, str(error))
            continue
        properties = event.get("properties")
        if properties is None:
            properties = {}
        elif not isinstance(properties, Mapping):
            rejections.reject(
                position, key, f"properties must be a mapping (got {type(properties).__name__})"
            )
            continue
        metric = metrics.get(code)
        if metric is not None and metric.expression is not None:
            properties = _evaluate(metric, code, ts, properties, position, key, rejections)
            if properties is None:
                continue
        if key in seen:
            continue
        seen.add(key)
        if metric is None:
            continue
        yield SelectedEvent(ts, key, code, properties, event.get("precise_total_amount_cents"))


def _evaluate(
    metric: BillableMetric,
    code: str,
    ts: int,
    properties: Mapping[str, Any],
    position: int,
    key: str,
    rejections: _Rejections,
) -> Mapping[str, Any] | None:
    from .expression import EvaluationError

    try:
        value = metric.parsed_expression.evaluate(code, ts // 1_000_000, properties)
    except EvaluationError as error:
        rejections.reject(position, key, f"expression of metric {metric.code!r} failed: {error}")
        return None
    # Lago writes the result into the metric's field, over any value the client sent.
    assert metric.field_name is not None
    return {**properties, metric.field_name: value}
