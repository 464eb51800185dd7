"""The plain-data form of a recording rating: its receipts and its states, checked when read.

A :class:`~usage_engine.state.UsageState` keeps, for each transaction_id, where the event went
(its receipts) and, per charge, the aggregation states those events built. Read back, both
are checked: every receipt must fit the plan (an event of one metric, in every rater whose
window it reaches, to slots of the charge's buckets), and the states must be what replaying
the receipts gives, so that no total can be set by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from decimal import Decimal
from typing import Any, Final

from .aggregation import AggregationState, new_state, state_from_data
from .aggregation._data import (
    bool_of,
    items_of,
    number_data,
    number_of,
    refuse,
    text_of,
    timestamp_of,
)
from .errors import shown
from .models import AggregationType
from .rating import ChargeRater, Rating, Receipt, Slot

__all__ = ["read_receipts", "read_states", "receipts_data", "replay_check", "states_data"]

_RECEIPTS: Final = "state.receipts"
_STATES: Final = "state.states"


def _slot_order(slot: Slot) -> tuple[Any, ...]:
    index, group = slot
    return (index is not None, index or 0, tuple((v is not None, v or "") for v in group))


def _slot_data(slot: Slot) -> list[Any]:
    return [slot[0], list(slot[1])]


def _value_data(rater: ChargeRater, value: Any) -> Any:
    kind = rater.metric.aggregation_type
    if kind is AggregationType.COUNT_AGG:
        return True
    if kind is AggregationType.UNIQUE_COUNT_AGG:
        text, is_add = value
        return [text, is_add]
    return number_data(value)


def receipts_data(rating: Rating) -> dict[str, list[list[Any]]]:
    """Each transaction_id's receipts: ``[rater, slots (null: the single one), µs, value,
    precise amount]``."""
    receipts = rating.receipts
    assert receipts is not None
    raters = rating.raters
    return {
        key: [
            [
                position,
                None if slots is None else [_slot_data(slot) for slot in slots],
                ts,
                _value_data(raters[position], value),
                None if amount is None else number_data(amount),
            ]
            for position, slots, ts, value, amount in kept
        ]
        for key, kept in receipts.items()
    }


def states_data(rating: Rating) -> list[list[list[Any]]]:
    """Each rater's states as ``[slot, state data]`` pairs, in slot order."""
    return [
        [
            [_slot_data(slot), rater.states[slot].to_data()]
            for slot in sorted(rater.states, key=_slot_order)
        ]
        for rater in rating.raters
    ]


def _slot_of(data: Any, path: str, rater: ChargeRater) -> Slot:
    index, group = items_of(data, path, 2)
    if index not in rater.by_index or type(index) is bool:
        msg = f"must name a bucket of the charge: one of {sorted(rater.by_index, key=str)}"
        refuse(f"{path}[0]", msg, index)
    keys = rater.group_keys[index]
    values = items_of(group, f"{path}[1]", len(keys))
    for place, value in enumerate(values):
        if value is not None:
            text_of(value, f"{path}[1][{place}]")
    return (index, tuple(values))


def _value_of(data: Any, path: str, rater: ChargeRater) -> Any:
    kind = rater.metric.aggregation_type
    if kind is AggregationType.COUNT_AGG:
        if data is not True:
            refuse(path, "must be true: a count reads no value", data)
        return True
    if kind is AggregationType.UNIQUE_COUNT_AGG:
        text, is_add = items_of(data, path, 2)
        return (text_of(text, f"{path}[0]"), bool_of(is_add, f"{path}[1]"))
    return number_of(data, path)


def _receipt_of(data: Any, path: str, raters: Sequence[ChargeRater]) -> Receipt:
    position, slots, ts, value, amount = items_of(data, path, 5)
    if type(position) is not int or not 0 <= position < len(raters):
        refuse(f"{path}[0]", f"must be the position of a rater, 0 to {len(raters) - 1}", position)
    rater = raters[position]
    where = f"{path}[1]"
    kept: list[Slot] | None = None
    if rater.single is not None:
        if slots is not None:
            refuse(where, "must be null: the charge has neither filters nor groups", slots)
    else:
        kept = [
            _slot_of(slot, f"{where}[{i}]", rater) for i, slot in enumerate(items_of(slots, where))
        ]
        if len(set(kept)) != len(kept):
            refuse(where, "must not name a slot twice", slots)
    instant = timestamp_of(ts, f"{path}[2]")
    if instant > rater.window.to_us:
        refuse(f"{path}[2]", "lies after the window of the rater, which takes no such event", ts)
    precise: Decimal | None = None
    if rater.options.precise_amounts:
        precise = Decimal(number_of(amount, f"{path}[4]"))
    elif amount is not None:
        refuse(f"{path}[4]", "must be null: the charge sums no precise amounts", amount)
    return (position, kept, instant, _value_of(value, f"{path}[3]", rater), precise)


def read_receipts(data: Any, rating: Rating) -> dict[str, list[Receipt]]:
    """The receipts :func:`receipts_data` wrote for ``rating``'s plan and views, checked."""
    if not isinstance(data, Mapping):
        refuse(_RECEIPTS, "must be an object of receipts by transaction_id", data)
    raters = rating.raters
    receipts: dict[str, list[Receipt]] = {}
    for key, items in data.items():
        path = f"{_RECEIPTS}[{key!r}]"
        if not text_of(key, _RECEIPTS):
            refuse(_RECEIPTS, "must not hold an empty transaction_id", key)
        kept = [
            _receipt_of(item, f"{path}[{i}]", raters)
            for i, item in enumerate(items_of(items, path))
        ]
        if kept:
            # One event: one metric, one instant, and every rater of the metric it reaches.
            first, ts = raters[kept[0][0]], kept[0][2]
            spans = rating.spans  # the bounds of the events each rater takes, as rating reads them
            expected = [
                position
                for position, _ in rating.by_code[first.metric.code]
                if spans[position][0] <= ts <= spans[position][1]
            ]
            if [receipt[0] for receipt in kept] != expected or any(r[2] != ts for r in kept):
                msg = f"must be one event's receipts: at {ts}, the raters {expected} in order"
                refuse(path, msg, [receipt[0] for receipt in kept])
        receipts[key] = kept
    return receipts


def read_states(data: Any, rating: Rating) -> list[dict[Slot, AggregationState]]:
    """The states :func:`states_data` wrote for ``rating``'s plan and views, checked."""
    raters = rating.raters
    items = items_of(data, _STATES, len(raters))
    result: list[dict[Slot, AggregationState]] = []
    for position, (rater, pairs) in enumerate(zip(raters, items, strict=True)):
        path = f"{_STATES}[{position}]"
        states: dict[Slot, AggregationState] = {}
        for index, pair in enumerate(items_of(pairs, path)):
            where = f"{path}[{index}]"
            slot_data, state_data = items_of(pair, where, 2)
            if rater.single is not None:
                if slot_data != [None, []]:
                    refuse(f"{where}[0]", "must be [null, []]: the charge has one slot", slot_data)
                slot: Slot = (None, ())
            else:
                slot = _slot_of(slot_data, f"{where}[0]", rater)
            if slot in states:
                refuse(f"{where}[0]", "must not name a slot twice", slot_data)
            states[slot] = state_from_data(
                rater.metric, rater.window, rater.options, state_data, f"{where}[1]"
            )
        result.append(states)
    return result


def replay_check(
    receipts: Mapping[str, list[Receipt]],
    states: Sequence[Mapping[Slot, AggregationState]],
    scratch: Rating,
) -> None:
    """Refuse states that differ from what replaying the receipts into ``scratch`` (an empty
    rating of the same plan and views) gives: every total must come from recorded events."""
    raters = scratch.raters
    for key, kept in receipts.items():
        for position, slots, ts, value, amount in kept:
            raters[position].add_at(slots, ts, key, value, amount)
    for position, (rater, stored) in enumerate(zip(raters, states, strict=True)):
        order = list(stored)
        for slot in sorted(stored.keys() | rater.states.keys(), key=_slot_order):
            empty = new_state(rater.metric, rater.window, rater.options)
            found = stored.get(slot, empty).result()
            expected = rater.states.get(slot, empty).result()
            if found == expected:
                continue
            name = next(
                f.name for f in fields(found) if getattr(found, f.name) != getattr(expected, f.name)
            )
            where = f"{_STATES}[{position}]"
            if slot in stored:
                where += f"[{order.index(slot)}]"
            msg = (
                f"does not match the events recorded in {_RECEIPTS}: its {name} is "
                f"{shown(getattr(found, name))}, the events give {shown(getattr(expected, name))}"
            )
            refuse(where, msg, _slot_data(slot))
