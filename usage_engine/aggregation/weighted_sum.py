"""``weighted_sum_agg``: the time-weighted level over the period (Lago's ``weighted_sum_agg``).

Each event is a change of level. The level is held until the next change, and the period
value is the area under the level divided by the period length:

    units = Σ level_i × Δt_i / (duration_days × 86 400 s)

Summed by event, the area is ``Σ delta × (end − t)`` plus ``initial × (end − from)``, which is
linear in the events: states merge by adding, and the order of events does not matter.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from ..money import EXACT, add, ceil_places, divide, multiply
from ._base import Aggregation, Options, Window
from ._data import STATE_VERSION, agree, check_version, count_of, fields_of, number_data, number_of

__all__ = ["PRECISION", "WeightedSumState"]

PRECISION: Final = 20
"""Decimal places of weighted-sum units, rounded up (Lago's ``ceil(…, 20)``).

See docs/lago-differences.md, Q12.
"""


class WeightedSumState:
    """Keeps the initial level, the sum of changes and the sum of change × instant."""

    __slots__ = ("count", "delta", "delta_time", "initial", "options", "window")

    def __init__(self, window: Window, options: Options) -> None:
        self.window = window
        self.options = options
        self.initial: int | Decimal = 0  # carried level of a recurring metric
        self.delta: int | Decimal = 0
        self.delta_time: int | Decimal = 0  # Σ delta × timestamp (µs)
        self.count = 0

    def add(self, ts: int, key: str, value: Any, amount: Decimal | None = None) -> None:
        """Fold in one change of level."""
        window = self.window
        if ts > window.to_us:
            return
        if ts >= window.from_us:
            self.delta = add(self.delta, value)
            self.delta_time = add(self.delta_time, multiply(value, ts))
            self.count += 1
        elif self.options.recurring and ts >= window.started_us:
            # Lago reads this level from the previous billing run; it is the level that run
            # ended with, the sum of the subscription's earlier changes.
            self.initial = add(self.initial, value)

    def retract(self, ts: int, key: str, value: Any, amount: Decimal | None = None) -> None:
        """Take one change of level back out."""
        window = self.window
        if ts > window.to_us:
            return
        if ts >= window.from_us:
            self.delta = add(self.delta, multiply(value, -1))
            self.delta_time = add(self.delta_time, multiply(multiply(value, ts), -1))
            self.count -= 1
        elif self.options.recurring and ts >= window.started_us:
            self.initial = add(self.initial, multiply(value, -1))

    def merge(self, other: WeightedSumState) -> None:
        """Add another state's sums."""
        self.initial = add(self.initial, other.initial)
        self.delta = add(self.delta, other.delta)
        self.delta_time = add(self.delta_time, other.delta_time)
        self.count += other.count

    def result(self) -> Aggregation:
        """The weighted level, rounded up to 20 decimals; ``total_aggregated_units`` the end level.

        A level of 1000 held from the first instant for the whole period weighs 1000:

        >>> from usage_engine.aggregation._base import Options
        >>> from usage_engine.aggregation._testing import window, inside
        >>> state = WeightedSumState(window(), Options())
        >>> state.add(inside(), "t", 1000)
        >>> state.result().units, state.result().total_aggregated_units
        (Decimal('1000.00000000000000000000'), Decimal('1000'))
        """
        window = self.window
        end = window.end_us
        area = EXACT.add(
            EXACT.multiply(Decimal(self.initial), Decimal(end - window.from_us)),
            EXACT.subtract(EXACT.multiply(Decimal(self.delta), end), self.delta_time),
        )
        units = ceil_places(divide(area, window.duration_micros), PRECISION)
        level = EXACT.add(Decimal(self.initial), self.delta)
        return Aggregation(units, self.count, units, level)

    def to_data(self) -> dict[str, Any]:
        """The state as plain data, for :meth:`from_data` (the window and options not included)."""
        return {
            "version": STATE_VERSION,
            "initial": number_data(self.initial),
            "delta": number_data(self.delta),
            "delta_time": number_data(self.delta_time),
            "count": self.count,
        }

    @classmethod
    def from_data(
        cls, window: Window, options: Options, data: Any, path: str = "state"
    ) -> WeightedSumState:
        """The state :meth:`to_data` wrote, checked: InvalidInput names what is malformed.

        Only a recurring metric carries a level over from before the window:

        >>> from usage_engine.aggregation._testing import window
        >>> data = {"version": 1, "initial": 5, "delta": 0, "delta_time": 0, "count": 0}
        >>> WeightedSumState.from_data(window(), Options(), data)
        Traceback (most recent call last):
        ...
        usage_engine.errors.InvalidInput: state.initial: does not match the metric, not \
recurring: expected 0 (got 5)
        """
        fields = fields_of(data, path, ("version", "initial", "delta", "delta_time", "count"))
        check_version(fields, path)
        state = cls(window, options)
        state.initial = number_of(fields["initial"], f"{path}.initial")
        state.delta = number_of(fields["delta"], f"{path}.delta")
        state.delta_time = number_of(fields["delta_time"], f"{path}.delta_time")
        state.count = count_of(fields["count"], f"{path}.count")
        if not options.recurring:
            agree(state.initial, 0, f"{path}.initial", "the metric, not recurring")
        if not state.count:
            for name in ("delta", "delta_time"):
                agree(getattr(state, name), 0, f"{path}.{name}", "the state's count of events")
        return state
