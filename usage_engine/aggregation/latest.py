"""``latest_agg``: the value of the last event, floored at 0 (Lago's ``latest_agg``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ._base import Aggregation, Options, TimedValue, Window
from ._data import (
    STATE_VERSION,
    agree,
    check_version,
    count_of,
    fields_of,
    items_of,
    refuse,
    timed_data,
    timed_of,
)

__all__ = ["LatestState"]


class LatestState:
    """Keeps the event with the greatest (timestamp, transaction_id).

    Lago breaks timestamp ties by ingestion time; the engine uses the transaction_id so that
    the result never depends on the order events are given in.
    """

    __slots__ = ("count", "entries", "latest", "window")

    def __init__(self, window: Window, options: Options) -> None:
        self.window = window
        self.latest: tuple[int, str, int | Decimal] | None = None
        self.count = 0
        # Every event, only when events may be taken back out.
        self.entries: set[tuple[int, str, int | Decimal]] | None = (
            set() if options.retractable else None
        )

    def add(self, ts: int, key: str, value: Any, amount: Decimal | None = None) -> None:
        """Fold in one event if it lies in the window."""
        if self.window.from_us <= ts <= self.window.to_us:
            self.count += 1
            if self.latest is None or (ts, key) > self.latest[:2]:
                self.latest = (ts, key, value)
            if self.entries is not None:
                self.entries.add((ts, key, value))

    def retract(self, ts: int, key: str, value: Any, amount: Decimal | None = None) -> None:
        """Take one event back out (the state must be retractable)."""
        if not self.window.from_us <= ts <= self.window.to_us:
            return
        assert self.entries is not None, "built without Options(retractable=True)"
        self.count -= 1
        self.entries.discard((ts, key, value))
        self.latest = max(self.entries, key=lambda entry: entry[:2], default=None)

    def merge(self, other: LatestState) -> None:
        """Keep the later of the two latest events."""
        self.count += other.count
        if self.entries is not None and other.entries is not None:
            self.entries |= other.entries
        if other.latest is not None and (self.latest is None or other.latest[:2] > self.latest[:2]):
            self.latest = other.latest

    def result(self) -> Aggregation:
        """The latest value; a negative one counts as 0.

        >>> from usage_engine.aggregation._base import Options
        >>> from usage_engine.aggregation._testing import window, inside
        >>> state = LatestState(window(), Options())
        >>> state.add(inside(1), "a", 10)
        >>> state.add(inside(2), "b", -3)
        >>> state.result().units
        Decimal('0')
        """
        if self.latest is None:
            return Aggregation.plain(Decimal(0), self.count)
        return Aggregation.plain(max(Decimal(self.latest[2]), Decimal(0)), self.count)

    def to_data(self) -> dict[str, Any]:
        """The state as plain data, for :meth:`from_data` (the window and options not included)."""
        entries = self.entries
        return {
            "version": STATE_VERSION,
            "latest": None if self.latest is None else timed_data(TimedValue(*self.latest)),
            "count": self.count,
            "entries": None
            if entries is None
            else [timed_data(TimedValue(*entry)) for entry in sorted(entries, key=_order)],
        }

    @classmethod
    def from_data(
        cls, window: Window, options: Options, data: Any, path: str = "state"
    ) -> LatestState:
        """The state :meth:`to_data` wrote, checked: InvalidInput names what is malformed.

        Events counted, a latest one:

        >>> from usage_engine.aggregation._testing import window
        >>> data = {"version": 1, "latest": None, "count": 2, "entries": None}
        >>> LatestState.from_data(window(), Options(), data)
        Traceback (most recent call last):
        ...
        usage_engine.errors.InvalidInput: state.latest: must be an event: the state counts events
        """
        fields = fields_of(data, path, ("version", "latest", "count", "entries"))
        check_version(fields, path)
        state = cls(window, options)
        state.count = count_of(fields["count"], f"{path}.count")
        latest = fields["latest"]
        if latest is not None:
            event = timed_of(latest, f"{path}.latest", window, earlier=False)
            state.latest = (event.ts, event.key, event.value)
        if state.latest is None and state.count:
            refuse(f"{path}.latest", "must be an event: the state counts events")
        kept = fields["entries"]
        if options.retractable:
            items = items_of(kept, f"{path}.entries")
            entries = set()
            for index, item in enumerate(items):
                event = timed_of(item, f"{path}.entries[{index}]", window, earlier=False)
                entries.add((event.ts, event.key, event.value))
            agree(state.count, len(entries), f"{path}.count", "the state's entries")
            last = max(entries, key=_order, default=None)
            agree(state.latest, last, f"{path}.latest", "the state's entries")
            state.entries = entries
        elif kept is not None:
            msg = "must be null: this state keeps no entries"
            refuse(f"{path}.entries", msg, kept)
        elif not state.count:
            agree(state.latest, None, f"{path}.latest", "the state's count of events")
        return state


def _order(entry: tuple[int, str, Any]) -> tuple[int, str]:
    return (entry[0], entry[1])
