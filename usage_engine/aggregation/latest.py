"""``latest_agg``: the value of the last event, floored at 0 (spec 3.4)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ._base import Aggregation, Options, Window

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
