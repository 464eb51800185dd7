"""``count_agg``: the number of events in the window (spec 3.1)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ._base import Aggregation, Options, Window

__all__ = ["CountState"]


class CountState:
    """Counts the events of the window; count metrics are never recurring."""

    __slots__ = ("count", "first", "last", "window")

    def __init__(self, window: Window, options: Options) -> None:
        self.window = window
        # The bounds, read once per event: kept here to spare two attribute lookups.
        self.first, self.last = window.from_us, window.to_us
        self.count = 0

    def add(self, ts: int, key: str, value: Any, amount: Decimal | None = None) -> None:
        """Count one event if it lies in the window."""
        if self.first <= ts <= self.last:
            self.count += 1

    def retract(self, ts: int, key: str, value: Any, amount: Decimal | None = None) -> None:
        """Uncount one event."""
        if self.window.from_us <= ts <= self.window.to_us:
            self.count -= 1

    def merge(self, other: CountState) -> None:
        """Add another state's count."""
        self.count += other.count

    def result(self) -> Aggregation:
        """Units and events_count are both the count.

        >>> from usage_engine.aggregation._base import Options
        >>> from usage_engine.aggregation._testing import window
        >>> state = CountState(window(), Options())
        >>> state.result().units
        Decimal('0')
        """
        return Aggregation.plain(Decimal(self.count), self.count)
