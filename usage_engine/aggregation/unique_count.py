"""``unique_count_agg``: distinct values whose last operation is an add.

An event adds (``operation_type`` absent or ``add``) or removes its value. Only a change of
state is effective, starting from "removed", so a value's final state is that of its last
event: the count needs only each value's last event, unless the charge is prorated or paid in
advance, where every change matters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from .._time import local_date
from ..errors import InvalidInput
from ..money import EXACT, ceil_places, divide
from ._base import Aggregation, Options, Window
from ._data import (
    STATE_VERSION,
    agree,
    bool_of,
    check_version,
    fields_of,
    items_of,
    refuse,
    text_of,
    timestamp_of,
)

__all__ = ["Change", "UniqueCountState"]


ZERO = Decimal(0)
_ONE_DAY = timedelta(days=1)


class Change(NamedTuple):
    """One add or remove of a value, ordered by timestamp then transaction_id."""

    ts: int
    key: str
    is_add: bool


NewChange = Callable[[type[Change], tuple[int, str, bool]], Change]
# Builds a Change without NamedTuple's Python-level __new__ (its fields are given in order).
_new_change: NewChange = tuple.__new__


class UniqueCountState:
    """Per distinct value: its last change, or all its changes when their order matters."""

    __slots__ = ("first_us", "history", "keeps", "last", "last_us", "options", "present", "window")

    def __init__(self, window: Window, options: Options) -> None:
        self.window = window
        # Read once per event: the bounds (a recurring count reaches back to any earlier
        # change) and whether every change is kept.
        self.first_us = None if options.recurring else window.from_us
        self.last_us = window.to_us
        self.keeps = (
            options.prorated or options.pay_in_advance or options.keep_events or options.retractable
        )
        self.options = options
        self.last: dict[str, Change] = {}
        self.history: dict[str, list[Change]] = {}
        self.present = 0  # values whose last change is an add, kept as ``last`` changes

    def _set_last(self, text: str, change: Change | None) -> None:
        known = self.last.get(text)
        if known is not None and known.is_add:
            self.present -= 1
        if change is None:
            self.last.pop(text, None)
            return
        self.last[text] = change
        if change.is_add:
            self.present += 1

    @property
    def _keeps_history(self) -> bool:
        return self.keeps

    def add(self, ts: int, key: str, value: Any, amount: Decimal | None = None) -> None:
        """Fold in one change: ``value`` is ``(text, is_add)``."""
        first = self.first_us
        if ts > self.last_us or (first is not None and ts < first):
            return
        text, is_add = value
        change = _new_change(Change, (ts, key, is_add))
        if self.keeps:
            self.history.setdefault(text, []).append(change)
        last = self.last
        known = last.get(text)
        if known is None:
            last[text] = change
            if is_add:
                self.present += 1
        elif change > known:
            # The later change wins; the count moves only when add/remove flips (_set_last's
            # rule, inlined: this runs once per event).
            last[text] = change
            if is_add is not known[2]:
                self.present += 1 if is_add else -1

    def retract(self, ts: int, key: str, value: Any, amount: Decimal | None = None) -> None:
        """Take one change back out (the state must keep its history)."""
        window = self.window
        if ts > window.to_us or (ts < window.from_us and not self.options.recurring):
            return
        text, is_add = value
        changes = self.history[text]
        changes.remove(Change(ts, key, is_add))
        if changes:
            self._set_last(text, max(changes))
        else:
            del self.history[text]
            self._set_last(text, None)

    def merge(self, other: UniqueCountState) -> None:
        """Keep each value's later last change; join the histories."""
        last = self.last
        for text, change in other.last.items():
            known = last.get(text)
            if known is None or change > known:
                self._set_last(text, change)
        for text, changes in other.history.items():
            self.history.setdefault(text, []).extend(changes)

    def result(self) -> Aggregation:
        """The number of values present at the end; events_count is that number too.

        A leading remove is a no-op, and an add after a remove brings the value back:

        >>> from usage_engine.aggregation._base import Options
        >>> from usage_engine.aggregation._testing import window, inside
        >>> state = UniqueCountState(window(), Options())
        >>> state.add(inside(1), "a", ("seat_1", False))
        >>> state.add(inside(2), "b", ("seat_2", True))
        >>> state.add(inside(3), "c", ("seat_2", False))
        >>> state.add(inside(4), "d", ("seat_2", True))
        >>> state.result().units
        Decimal('1')
        """
        present = self.present
        units = Decimal(present)
        if self.options.pay_in_advance:
            return self._in_advance(units)
        if self.options.prorated:
            prorated = self._prorated_units()
            return Aggregation(
                units=prorated,
                events_count=present,
                current_units=units,
                total_aggregated_units=units,
                full_units=units,
                prorated_entries=self._prorated_entries() if self.options.keep_events else (),
            )
        return Aggregation.plain(units, present)

    def _effective(self, changes: list[Change]) -> list[Change]:
        # Only a change of state counts; the state starts as "removed".
        effective: list[Change] = []
        state = False
        for change in sorted(changes):
            if change.is_add != state:
                effective.append(change)
                state = change.is_add
        return effective

    def _in_advance(self, present: Decimal) -> Aggregation:
        # As in Lago, the amount follows the highest number of values reached in the period.
        window = self.window
        held = 0
        timeline: list[tuple[int, str, int]] = []
        for changes in self.history.values():
            for change in self._effective(changes):
                step = 1 if change.is_add else -1
                if change.ts < window.from_us:
                    held += step
                else:
                    timeline.append((change.ts, change.key, step))
        timeline.sort()
        level = peak = 0
        prorated_peak = ZERO
        for ts, _key, step in timeline:
            level += step
            if level > peak:
                if self.options.prorated:
                    share = divide((level - peak) * window.days_to_end(ts), window.duration_days)
                    prorated_peak = EXACT.add(prorated_peak, ceil_places(share, 5))
                peak = level
        if self.options.prorated:
            carried = ceil_places(divide(held * window.prorated_days, window.duration_days), 5)
            units = EXACT.add(carried, prorated_peak)
            full: Decimal | None = present
        else:
            units = Decimal(held + peak)
            full = None
        return Aggregation(
            units=units,
            events_count=int(present),
            current_units=max(Decimal(held + level), ZERO),
            total_aggregated_units=present,
            full_units=full,
        )

    def _presence_days(self, changes: list[Change]) -> int:
        # Lago's rule: local days present in the window, both ends inclusive; a remove followed
        # the same day by an add does not interrupt presence.
        window = self.window
        days = 0
        opened: date | None = None
        for change in _drop_same_day_readds(self._effective(changes), window.zone):
            day = local_date(change.ts, window.zone)
            if change.is_add:
                opened = max(day, window.first_date)
            elif opened is not None:
                days += max((min(day, window.last_date) - opened).days + 1, 0)
                opened = None
        if opened is not None:
            days += max((window.last_date - opened).days + 1, 0)
        return days

    def _prorated_units(self) -> Decimal:
        total_days = sum(self._presence_days(changes) for changes in self.history.values())
        return ceil_places(divide(total_days, self.window.duration_days), 5)

    def _prorated_entries(self) -> tuple[tuple[Decimal, Decimal], ...]:
        # Prorated unique counts as Lago invoices them: every effective add is an entry (+1, its
        # prorated days), every effective remove (−1, 0); rows in (timestamp, value) order.
        window = self.window
        tz = window.zone
        rows: list[tuple[int, str, Decimal, Decimal]] = []
        for text, changes in self.history.items():
            effective = _drop_same_day_readds(self._effective(changes), tz)
            for index, change in enumerate(effective):
                if not change.is_add:
                    rows.append((change.ts, text, Decimal(-1), ZERO))
                    continue
                start = max(local_date(change.ts, tz), window.first_date)
                if index + 1 < len(effective):
                    end = local_date(effective[index + 1].ts, tz) + _ONE_DAY
                    end = max(end, window.first_date)
                else:
                    end = window.last_date + _ONE_DAY
                days = max((end - start).days, 0)
                share = ceil_places(divide(days, window.duration_days), 5)
                rows.append((change.ts, text, Decimal(1), share))
        rows.sort(key=lambda row: (row[0], row[1]))
        return tuple((full, share) for _ts, _text, full, share in rows)

    def to_data(self) -> dict[str, Any]:
        """The state as plain data, for :meth:`from_data` (the window and options not included).

        Each value maps to its last change, and to all its changes when the state keeps them;
        a change is ``[µs, transaction_id, is_add]``.
        """
        last, history = self.last, self.history
        return {
            "version": STATE_VERSION,
            "last": {text: list(last[text]) for text in sorted(last)},
            "history": {
                text: [list(change) for change in sorted(history[text])] for text in sorted(history)
            },
        }

    @classmethod
    def from_data(
        cls, window: Window, options: Options, data: Any, path: str = "state"
    ) -> UniqueCountState:
        """The state :meth:`to_data` wrote, checked: InvalidInput names what is malformed.

        A value's last change is the latest of its history, when the state keeps one:

        >>> from usage_engine.aggregation._testing import window, inside
        >>> data = {"version": 1, "last": {"seat": [inside(1), "a", True]},
        ...     "history": {"seat": [[inside(1), "a", True], [inside(2), "b", False]]}}
        >>> try:
        ...     UniqueCountState.from_data(window(), Options(retractable=True), data)
        ... except InvalidInput as error:
        ...     print(error.path, error.value.key)
        state.last['seat'] a
        """
        fields = fields_of(data, path, ("version", "last", "history"))
        check_version(fields, path)
        state = cls(window, options)
        last = _mapping(fields["last"], f"{path}.last")
        for text, item in last.items():
            state._set_last(text, _change(item, f"{path}.last[{text!r}]", state))
        history = _mapping(fields["history"], f"{path}.history")
        if not state._keeps_history:
            if history:
                msg = "must be empty: this state keeps only each value's last change"
                refuse(f"{path}.history", msg, len(history))
            return state
        for text, item in history.items():
            where = f"{path}.history[{text!r}]"
            changes = [
                _change(change, f"{where}[{index}]", state)
                for index, change in enumerate(items_of(item, where))
            ]
            if not changes:
                raise InvalidInput.at(where, "must not be empty: a value has one change at least")
            state.history[text] = changes
        for text in state.last.keys() | state.history.keys():
            changes = state.history.get(text, [])
            expected = max(changes) if changes else None
            agree(state.last.get(text), expected, f"{path}.last[{text!r}]", "the state's history")
        return state


def _mapping(data: Any, path: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput.at(path, "must be an object by value", data)
    for key in data:
        text_of(key, path)
    return data


def _change(data: Any, path: str, state: UniqueCountState) -> Change:
    ts, key, is_add = items_of(data, path, 3)
    change = Change(
        timestamp_of(ts, f"{path}[0]"), text_of(key, f"{path}[1]"), bool_of(is_add, f"{path}[2]")
    )
    window = state.window
    if change.ts > window.to_us or (change.ts < window.from_us and not state.options.recurring):
        msg = "lies outside the window of the state, where no change is kept"
        refuse(f"{path}[0]", msg, ts)
    return change


def _drop_same_day_readds(effective: list[Change], tz: ZoneInfo) -> list[Change]:
    kept: list[Change] = []
    index = 0
    while index < len(effective):
        change = effective[index]
        following = effective[index + 1] if index + 1 < len(effective) else None
        if (
            not change.is_add
            and following is not None
            and local_date(following.ts, tz) == local_date(change.ts, tz)
        ):
            index += 2  # the remove and the re-add cancel: presence continues
            continue
        kept.append(change)
        index += 1
    return kept
