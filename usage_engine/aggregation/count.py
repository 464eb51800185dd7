"""``count_agg``: the number of events in the window (Lago's ``count_agg``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ._base import Aggregation, Options, Window
from ._data import STATE_VERSION, check_version, count_of, fields_of

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

    def to_data(self) -> dict[str, Any]:
        """The state as plain data, for :meth:`from_data` (the window and options not included)."""
        return {"version": STATE_VERSION, "count": self.count}

    @classmethod
    def from_data(
        cls, window: Window, options: Options, data: Any, path: str = "state"
    ) -> CountState:
        """The state :meth:`to_data` wrote, checked: InvalidInput names what is malformed.

        >>> from usage_engine.aggregation._testing import window
        >>> CountState.from_data(window(), Options(), {"version": 1, "count": -5})
        Traceback (most recent call last):
        ...
        usage_engine.errors.InvalidInput: state.count: must be a whole number, not negative (got -5)
        """
        fields = fields_of(data, path, ("version", "count"))
        check_version(fields, path)
        state = cls(window, options)
        state.count = count_of(fields["count"], f"{path}.count")
        return state
