"""Reading events: one pass over any iterable, cheap checks instead of a model per event.

Events arrive as plain mappings (or :class:`~usage_engine.models.Event` models) from any
iterable, read once. Each is checked with a few cheap tests; a malformed one raises
:class:`~usage_engine.errors.InvalidInput` naming its position and ``transaction_id``, or, with
``invalid_events="collect"``, is set aside and reported. Deduplication and metric expressions
are the consumer's (:class:`usage_engine.rating.Rating`), which knows the plan.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from itertools import chain
from typing import Any, Final, Literal

from ._columns import column_batches, columnar
from ._inputs import EventSource
from ._time import EARLIEST_SECONDS, LATEST_SECONDS, event_micros
from ._wrappers import unwrap_events
from .account import MALFORMED, OTHER_SUBSCRIPTION, Tally
from .errors import InvalidInput, shown
from .models import BillableMetric, Event
from .models.usage import RejectedEvents

__all__ = [
    "InvalidEvents",
    "RawEvent",
    "Rejections",
    "Unreadable",
    "apply_expression",
    "id_text",
    "iterate_events",
    "numbered",
    "read_events",
]

InvalidEvents = Literal["raise", "collect"]
"""What to do with a malformed event: raise InvalidInput, or collect and report it."""


class Unreadable:
    """What a file reader gives in place of an event it could not read (a line that is not
    JSON): the rating sets it aside as malformed, with ``problem`` as the reason, so that
    every line read is accounted for.

    >>> Unreadable("line 3 column 2: invalid JSON (Expecting value)").problem
    'line 3 column 2: invalid JSON (Expecting value)'
    """

    __slots__ = ("problem",)

    def __init__(self, problem: str) -> None:
        self.problem = problem

    def __repr__(self) -> str:
        return f"Unreadable({self.problem!r})"


RawEvent = tuple[str, Any, str, str, int, Mapping[str, Any], Any]
"""A well-formed event: (subscription, position, transaction_id, code, µs, properties, precise).

The position is the event's index in its input, or the position its caller gave it."""

MAX_REASONS: Final = 10
_MAX_ID_BITS: Final = 4096
"""Longest integer id read as text (about 1200 digits; Python refuses to print past 4300)."""
_EVENTS: Final = "events"
_INVALID_EVENTS: Final = "invalid_events"
_NO_PROPERTIES: Final[Mapping[str, Any]] = {}


class Rejections:
    """Where events go that are not rated: malformed ones raised at once, or counted with
    their first reasons, and every event set aside tallied for the event account."""

    __slots__ = ("count", "mode", "reasons", "tally")

    def __init__(
        self, mode: InvalidEvents = "raise", *, strict: bool = False, tally: Tally | None = None
    ) -> None:
        if mode not in ("raise", "collect"):
            msg = "must be 'raise' or 'collect'"
            raise InvalidInput.at(_INVALID_EVENTS, msg, mode)
        if not isinstance(strict, bool):
            raise InvalidInput.at("strict", "must be True or False", strict)
        self.mode = mode
        self.count = 0
        self.reasons: list[str] = []
        self.tally = Tally(strict=strict) if tally is None else tally

    def reject(self, position: object, transaction_id: object, reason: str) -> None:
        """Raise, or record, the event at ``position`` as malformed for ``reason``."""
        where = f"events[{position}]"
        if transaction_id is not None:
            where += f" (transaction_id {shown(transaction_id)})"
        self.record(where, reason, transaction_id if type(transaction_id) is str else None)

    def record(
        self, where: str, reason: str, transaction_id: str | None = None, *, tallied: bool = True
    ) -> None:
        """Raise, or record, a malformed event already located (``events[3] (...)``).

        ``tallied=False`` reports it without counting it in the event account (an event that
        names no subscription is reported to each, and accounted for once).
        """
        if self.mode == "raise" or self.tally.strict:
            raise InvalidInput.at(where, reason)
        self.count += 1
        if len(self.reasons) < MAX_REASONS:
            self.reasons.append(f"{where}: {reason}")
        if tallied:
            self.tally.add(MALFORMED, transaction_id)

    def report(self) -> RejectedEvents:
        """The malformed events collected so far."""
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


def id_text(value: Any) -> str | None:
    """An event id as text: a string, or an integer as Lago's API takes it; else None.

    >>> id_text("sub_1"), id_text(42), id_text(True), id_text(["sub_1"])
    ('sub_1', '42', None, None)
    """
    if type(value) is str:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if value.bit_length() <= _MAX_ID_BITS else None
    return None


def iterate_events(events: EventSource) -> Iterator[Any]:
    """An iterator over ``events``; InvalidInput if it is a single value or not iterable.

    Columnar input (a pyarrow Table, a pandas or Polars DataFrame) gives its rows, each a
    mapping read from the columns (:class:`usage_engine._columns.EventRow`).
    """
    batches = column_batches(events)
    if batches is not None:
        return chain.from_iterable(map(columns.row, columns.rows) for columns in batches)
    columns = columnar(events)
    if columns is not None:
        return map(columns.row, columns.rows)
    unwrapped: Any = unwrap_events(events)  # Lago's {"events": [...]} and {"event": {...}}
    if isinstance(unwrapped, Mapping | str | bytes):
        msg = "must be an iterable of events (a list or a generator), not a single value"
        raise InvalidInput.at(_EVENTS, msg, type(unwrapped).__name__)
    try:
        return iter(unwrapped)
    except TypeError:
        msg = "must be an iterable of events"
        raise InvalidInput.at(_EVENTS, msg, unwrapped) from None


def numbered(
    events: EventSource, first_position: int = 0, positions: Iterable[Any] | None = None
) -> Iterator[tuple[Any, Any]]:
    """``(position, event)`` pairs: the index of each event, or the position given for it."""
    if positions is None:
        return enumerate(iterate_events(events), first_position)
    return zip(positions, iterate_events(events), strict=True)


def read_events(
    events: EventSource,
    subscriptions: Container[str],
    rejections: Rejections,
    *,
    progress: Callable[[int], None] | None = None,
    first_position: int = 0,
    positions: Iterable[Any] | None = None,
) -> Iterator[RawEvent]:
    """Yield the well-formed events of the given subscriptions, in input order.

    Events of other subscriptions are skipped without further checks. ``positions``, when
    given, names each event (in errors and rejections) instead of its index in ``events``.
    """
    reject = rejections.reject
    position: Any = -1
    for position, raw in numbered(events, first_position, positions):
        event = raw if type(raw) is dict else _fields(raw)
        if event is None:
            problem = (
                raw.problem
                if isinstance(raw, Unreadable)
                else f"must be a mapping, not {type(raw).__name__}"
            )
            reject(position, None, problem)
            continue
        get = event.get
        raw_subscription = get("external_subscription_id")
        subscription = id_text(raw_subscription)
        if subscription is None:
            key = id_text(get("transaction_id"))
            if raw_subscription is None:
                reject(position, key, "external_subscription_id is required")
            else:
                reason = (
                    f"external_subscription_id must be a string (got {shown(raw_subscription)})"
                )
                reject(position, key, reason)
            continue
        if subscription not in subscriptions:
            rejections.tally.add(OTHER_SUBSCRIPTION, id_text(get("transaction_id")), position)
            continue
        raw_key = get("transaction_id")
        transaction_id = id_text(raw_key)
        if not transaction_id:
            if raw_key is None or raw_key == "" or isinstance(raw_key, bool):
                reject(position, None, "transaction_id is required")
            else:
                reject(position, None, f"transaction_id must be a string (got {shown(raw_key)})")
            continue
        code = get("code")
        if type(code) is not str or not code:
            reject(position, transaction_id, f"code must be a non-empty string (got {shown(code)})")
            continue
        stamp = get("timestamp")
        if type(stamp) is int and EARLIEST_SECONDS <= stamp < LATEST_SECONDS:
            ts = stamp * 1_000_000
        else:
            try:
                ts = event_micros(stamp)
            except ValueError as error:
                reject(position, transaction_id, str(error))
                continue
        properties = get("properties")
        if properties is None:
            properties = _NO_PROPERTIES
        elif type(properties) is not dict and not isinstance(properties, Mapping):
            reason = f"properties must be a mapping (got {type(properties).__name__})"
            reject(position, transaction_id, reason)
            continue
        if progress is not None and not position & 0x3FFF:  # positions are indexes here
            progress(position)
        yield (
            subscription,
            position,
            transaction_id,
            code,
            ts,
            properties,
            get("precise_total_amount_cents"),
        )
    if progress is not None:
        progress(position + 1)


def apply_expression(
    metric: BillableMetric, ts: int, properties: Mapping[str, Any]
) -> Mapping[str, Any] | str:
    """The event's properties with the metric's expression evaluated into its field.

    Returns the reason instead when the evaluation fails: Lago rejects such an event.
    """
    from .expression import EvaluationError

    try:
        value = metric.parsed_expression.evaluate(metric.code, ts // 1_000_000, properties)
    except EvaluationError as error:
        return f"expression of metric {metric.code!r} failed: {error}"
    # Lago writes the result into the metric's field, over any value the client sent.
    assert metric.field_name is not None
    return {**properties, metric.field_name: value}
