"""``max_agg``: the greatest value in the window, 0 when there is none (spec 3.3)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ._base import Aggregation, Options, Window

__all__ = ["MaxState"]


class MaxState:
    """Keeps the greatest value and the number of events; max metrics are never recurring."""

    __slots__ = ("count", "maximum", "values", "window")

    def __init__(self, window: Window, options: Options) -> None:
        self.window = window
        self.maximum: int | Decimal | None = None
        self.count = 0
        # Every value by transaction_id, only when events may be taken back out.
        self.values: dict[str, int | Decimal] | None = {} if options.retractable else None

    def add(self, ts: int, key: str, value: Any, amount: Decimal | None = None) -> None:
        """Fold in one event's value if it lies in the window."""
        if self.window.from_us <= ts <= self.window.to_us:
            self.count += 1
            if self.maximum is None or value > self.maximum:
                self.maximum = value
            if self.values is not None:
                self.values[key] = value

    def retract(self, ts: int, key: str, value: Any, amount: Decimal | None = None) -> None:
        """Take one event back out (the state must be retractable)."""
        if not self.window.from_us <= ts <= self.window.to_us:
            return
        assert self.values is not None, "built without Options(retractable=True)"
        self.count -= 1
        del self.values[key]
        self.maximum = max(self.values.values(), default=None)

    def merge(self, other: MaxState) -> None:
        """Keep the greater maximum, add the counts."""
        self.count += other.count
        if self.values is not None and other.values is not None:
            self.values.update(other.values)
        if other.maximum is not None and (self.maximum is None or other.maximum > self.maximum):
            self.maximum = other.maximum

    def result(self) -> Aggregation:
        """The maximum (negative values are kept; pricing zeroes a negative bucket).

        >>> from usage_engine.aggregation._base import Options
        >>> from usage_engine.aggregation._testing import window, inside
        >>> state = MaxState(window(), Options())
        >>> for value in (5, 20, 3):
        ...     state.add(inside(), "t", value)
        >>> state.result().units, state.result().events_count
        (Decimal('20'), 3)
        """
        units = Decimal(self.maximum) if self.maximum is not None else Decimal(0)
        return Aggregation.plain(units, self.count)
