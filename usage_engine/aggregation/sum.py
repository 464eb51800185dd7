"""``sum_agg``: the sum of a field, recurring, prorated or paid in advance (Lago's ``sum_agg``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..money import EXACT, add, ceil_places, divide, multiply
from ._base import Aggregation, Options, TimedValue, Window
from ._data import (
    STATE_VERSION,
    agree,
    check_version,
    count_of,
    fields_of,
    items_of,
    number_data,
    number_of,
    refuse,
    timed_data,
    timed_of,
)

__all__ = ["SumState"]

ZERO = Decimal(0)


class SumState:
    """Sums the window's values; a recurring sum also carries every earlier event over.

    Everything kept is a sum (or a list of events where order matters), so states merge by
    adding.
    """

    __slots__ = (
        "events",
        "first",
        "in_count",
        "in_total",
        "last",
        "options",
        "plain",
        "pre_count",
        "pre_total",
        "precise",
        "prorated_numerator",
        "window",
    )

    def __init__(self, window: Window, options: Options) -> None:
        self.window = window
        self.options = options
        self.first, self.last = window.from_us, window.to_us
        # Which extra bookkeeping add() does, decided once.
        self.plain = not (
            options.prorated or options.recurring or options.keep_events or options.pay_in_advance
        )
        self.in_total: int | Decimal = 0
        self.in_count = 0
        self.pre_total: int | Decimal = 0  # H: the carried-over balance of a recurring sum
        self.pre_count = 0
        self.prorated_numerator: int | Decimal = 0  # Σ value × days to the end of the window
        self.precise = ZERO
        self.events: list[TimedValue] = []

    def add(self, ts: int, key: str, value: Any, amount: Decimal | None = None) -> None:
        """Fold in one event's numeric value."""
        if self.plain and amount is None:
            # The common case: a non-recurring sum without per-event needs.
            if self.first <= ts <= self.last:
                total = self.in_total
                self.in_total = (
                    total + value
                    if type(value) is int and type(total) is int
                    else EXACT.add(total, value)
                )
                self.in_count += 1
            return
        window = self.window
        if ts > window.to_us:
            return
        options = self.options
        if ts >= window.from_us:
            self.in_total = add(self.in_total, value)
            self.in_count += 1
            if options.prorated:
                self.prorated_numerator = add(
                    self.prorated_numerator, multiply(value, window.days_to_end(ts))
                )
        elif options.recurring:
            self.pre_total = add(self.pre_total, value)
            self.pre_count += 1
        else:
            return
        if amount is not None:
            self.precise = EXACT.add(self.precise, amount)
        if options.keep_events or options.pay_in_advance:
            self.events.append(TimedValue(ts, key, value))

    def retract(self, ts: int, key: str, value: Any, amount: Decimal | None = None) -> None:
        """Take one event back out: subtract what :meth:`add` added."""
        window, options = self.window, self.options
        if ts > window.to_us:
            return
        if ts >= window.from_us:
            self.in_total = add(self.in_total, multiply(value, -1))
            self.in_count -= 1
            if options.prorated:
                share = multiply(value, window.days_to_end(ts))
                self.prorated_numerator = add(self.prorated_numerator, multiply(share, -1))
        elif options.recurring:
            self.pre_total = add(self.pre_total, multiply(value, -1))
            self.pre_count -= 1
        else:
            return
        if amount is not None:
            self.precise = EXACT.subtract(self.precise, amount)
        if options.keep_events or options.pay_in_advance:
            self.events.remove(TimedValue(ts, key, value))

    def merge(self, other: SumState) -> None:
        """Add another state's sums and events."""
        self.in_total = add(self.in_total, other.in_total)
        self.in_count += other.in_count
        self.pre_total = add(self.pre_total, other.pre_total)
        self.pre_count += other.pre_count
        self.prorated_numerator = add(self.prorated_numerator, other.prorated_numerator)
        self.precise = EXACT.add(self.precise, other.precise)
        self.events.extend(other.events)

    def result(self) -> Aggregation:
        """The sum, with the prorated and pay-in-advance rules applied when the charge has them.

        >>> from usage_engine.aggregation._base import Options
        >>> from usage_engine.aggregation._testing import window, inside
        >>> state = SumState(window(), Options())
        >>> for value in (12, 12, 12, Decimal("12.434")):
        ...     state.add(inside(), "t", value)
        >>> state.result().units
        Decimal('48.434')
        """
        options = self.options
        events = tuple(sorted(self.events, key=_order)) if self.events else ()
        count = self.in_count + self.pre_count
        held = Decimal(self.pre_total)
        full = EXACT.add(held, self.in_total)
        if options.pay_in_advance:
            return self._in_advance(held, events, count)
        if options.prorated:
            window = self.window
            numerator = EXACT.add(
                EXACT.multiply(held, Decimal(window.prorated_days)),
                Decimal(self.prorated_numerator),
            )
            prorated = ceil_places(divide(numerator, window.duration_days), 5)
            return Aggregation(
                units=prorated if options.invoicing else max(prorated, ZERO),
                events_count=count,
                current_units=max(full, ZERO),
                total_aggregated_units=full,
                full_units=full,
                events=events,
                prorated_entries=self._prorated_entries(held, events),
                precise_total_amount_cents=self.precise,
            )
        return Aggregation(
            units=full,
            events_count=count,
            current_units=full,
            total_aggregated_units=full,
            events=events,
            precise_total_amount_cents=self.precise,
        )

    def _in_advance(self, held: Decimal, events: tuple[TimedValue, ...], count: int) -> Aggregation:
        # Lago bills each event as it arrives and never refunds: the amount follows the highest
        # level reached in the period, the displayed units the current level
        # (docs/lago-differences.md, Q7).
        window = self.window
        level: int | Decimal = 0
        peak: int | Decimal = 0
        prorated_peak = ZERO
        for event in events:
            if event.ts < window.from_us:
                continue
            level = add(level, event.value)
            if level > peak:
                if self.options.prorated:
                    share = divide(
                        multiply(EXACT.subtract(level, peak), window.days_to_end(event.ts)),
                        window.duration_days,
                    )
                    prorated_peak = EXACT.add(prorated_peak, ceil_places(share, 5))
                peak = level
        current = max(EXACT.add(held, level), ZERO)
        if self.options.prorated:
            carried = ceil_places(
                divide(EXACT.multiply(held, Decimal(window.prorated_days)), window.duration_days),
                5,
            )
            units = EXACT.add(carried, prorated_peak)
            full: Decimal | None = EXACT.add(held, self.in_total)
        else:
            units = EXACT.add(held, peak)
            full = None
        return Aggregation(
            units=units,
            events_count=count,
            current_units=current,
            total_aggregated_units=current,
            full_units=full,
            events=events,
            precise_total_amount_cents=self.precise,
        )

    def _prorated_entries(
        self, held: Decimal, events: tuple[TimedValue, ...]
    ) -> tuple[tuple[Decimal, Decimal], ...]:
        # The (full, prorated) pairs prorated graduated walks, only when the events were kept.
        if not self.options.keep_events:
            return ()
        window = self.window
        entries: list[tuple[Decimal, Decimal]] = []
        if held:
            ratio = divide(window.prorated_days, window.duration_days)
            entries.append((held, EXACT.multiply(held, ratio)))
        for event in events:
            if event.ts >= window.from_us:
                value = Decimal(event.value)
                share = divide(
                    EXACT.multiply(value, Decimal(window.days_to_end(event.ts))),
                    window.duration_days,
                )
                entries.append((value, share))
        return tuple(entries)

    def to_data(self) -> dict[str, Any]:
        """The state as plain data, for :meth:`from_data` (the window and options not included)."""
        return {
            "version": STATE_VERSION,
            "in_total": number_data(self.in_total),
            "in_count": self.in_count,
            "pre_total": number_data(self.pre_total),
            "pre_count": self.pre_count,
            "prorated_numerator": number_data(self.prorated_numerator),
            "precise": number_data(self.precise),
            "events": [timed_data(event) for event in sorted(self.events, key=_order)],
        }

    @classmethod
    def from_data(
        cls, window: Window, options: Options, data: Any, path: str = "state"
    ) -> SumState:
        """The state :meth:`to_data` wrote, checked: InvalidInput names what is malformed.

        Totals the kept events determine must match them; without events, no total without a
        count:

        >>> from usage_engine.aggregation._testing import window
        >>> data = SumState(window(), Options()).to_data()
        >>> SumState.from_data(window(), Options(), {**data, "in_total": 10**9})
        Traceback (most recent call last):
        ...
        usage_engine.errors.InvalidInput: state.in_total: does not match the state's count of \
events: expected 0 (got 1000000000)
        """
        fields = fields_of(data, path, _FIELDS)
        check_version(fields, path)
        state = cls(window, options)
        state.in_total = number_of(fields["in_total"], f"{path}.in_total")
        state.in_count = count_of(fields["in_count"], f"{path}.in_count")
        state.pre_total = number_of(fields["pre_total"], f"{path}.pre_total")
        state.pre_count = count_of(fields["pre_count"], f"{path}.pre_count")
        numerator = number_of(fields["prorated_numerator"], f"{path}.prorated_numerator")
        state.prorated_numerator = numerator
        state.precise = Decimal(number_of(fields["precise"], f"{path}.precise"))
        events = items_of(fields["events"], f"{path}.events")
        state.events = [
            timed_of(item, f"{path}.events[{index}]", window, earlier=options.recurring)
            for index, item in enumerate(events)
        ]
        state._check(path)
        return state

    def _check(self, path: str) -> None:
        # What the state keeps must tell one story: recompute what the rest determines.
        options = self.options
        if options.keep_events or options.pay_in_advance:
            rebuilt = SumState(self.window, Options(recurring=True, prorated=options.prorated))
            for event in self.events:
                rebuilt.add(event.ts, event.key, event.value)
            source = "the state's events"
        else:
            if self.events:
                msg = "must be empty: this charge keeps no events"
                refuse(f"{path}.events", msg, len(self.events))
            # Without events, only this: no total without events, no carried-over balance
            # unless recurring, no prorated numerator unless prorated.
            rebuilt = SumState(self.window, options)
            rebuilt.in_count = self.in_count
            rebuilt.pre_count = self.pre_count if options.recurring else 0
            if self.in_count:
                rebuilt.in_total = self.in_total
                if options.prorated:
                    rebuilt.prorated_numerator = self.prorated_numerator
            if rebuilt.pre_count:
                rebuilt.pre_total = self.pre_total
            source = "the state's count of events"
        for name in ("in_count", "pre_count", "in_total", "pre_total", "prorated_numerator"):
            agree(getattr(self, name), getattr(rebuilt, name), f"{path}.{name}", source)
        if self.precise and not (options.precise_amounts and self.in_count + self.pre_count):
            msg = "must be 0: no event of this state has a precise amount"
            refuse(f"{path}.precise", msg, self.precise)


_FIELDS = (
    "version",
    "in_total",
    "in_count",
    "pre_total",
    "pre_count",
    "prorated_numerator",
    "precise",
    "events",
)


def _order(event: TimedValue) -> tuple[int, str]:
    return (event.ts, event.key)
