"""``max_agg``: the greatest value in the window, 0 when there is none (Lago's ``max_agg``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ._base import Aggregation, Options, Window
from ._data import (
    STATE_VERSION,
    agree,
    check_version,
    count_of,
    fields_of,
    number_data,
    number_of,
    optional_number_of,
    refuse,
    text_of,
)

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

    def to_data(self) -> dict[str, Any]:
        """The state as plain data, for :meth:`from_data` (the window and options not included)."""
        values = self.values
        return {
            "version": STATE_VERSION,
            "maximum": None if self.maximum is None else number_data(self.maximum),
            "count": self.count,
            "values": None
            if values is None
            else {key: number_data(values[key]) for key in sorted(values)},
        }

    @classmethod
    def from_data(
        cls, window: Window, options: Options, data: Any, path: str = "state"
    ) -> MaxState:
        """The state :meth:`to_data` wrote, checked: InvalidInput names what is malformed.

        A retractable state keeps every value, and its maximum is theirs:

        >>> from usage_engine.aggregation._testing import window
        >>> data = {"version": 1, "maximum": 99, "count": 1, "values": {"t": 3}}
        >>> MaxState.from_data(window(), Options(retractable=True), data)
        Traceback (most recent call last):
        ...
        usage_engine.errors.InvalidInput: state.maximum: does not match the state's values: \
expected 3 (got 99)
        """
        fields = fields_of(data, path, ("version", "maximum", "count", "values"))
        check_version(fields, path)
        state = cls(window, options)
        state.maximum = optional_number_of(fields["maximum"], f"{path}.maximum")
        state.count = count_of(fields["count"], f"{path}.count")
        kept = fields["values"]
        if options.retractable:
            if not isinstance(kept, dict):
                msg = "must be an object of values by transaction_id"
                refuse(f"{path}.values", msg, kept)
            values = {
                text_of(key, f"{path}.values"): number_of(value, f"{path}.values[{key!r}]")
                for key, value in kept.items()
            }
            agree(state.count, len(values), f"{path}.count", "the state's values")
            source, maximum = "the state's values", max(values.values(), default=None)
        else:
            if kept is not None:
                msg = "must be null: this state keeps no values"
                refuse(f"{path}.values", msg, kept)
            values = None
            source = "the state's count of events"
            maximum = state.maximum if state.count else None
        agree(state.maximum, maximum, f"{path}.maximum", source)
        if state.count and state.maximum is None:
            refuse(f"{path}.maximum", "must be a number: the state has events")
        state.values = values
        return state
