"""The plain-data form of aggregation states: JSON-compatible values, checked when read back.

Integers stay JSON integers and decimals travel as their exact text (``"2.50"`` keeps its
trailing zero); every reader names the path inside the payload and the value it refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Final, NoReturn

from ..errors import NO_VALUE, InvalidInput, shown
from ..money import within_numeric_range
from ._base import TimedValue, Window

__all__ = [
    "STATE_VERSION",
    "agree",
    "bool_of",
    "check_version",
    "count_of",
    "fields_of",
    "items_of",
    "number_data",
    "number_of",
    "optional_number_of",
    "refuse",
    "text_of",
    "timed_data",
    "timed_of",
    "timestamp_of",
]

STATE_VERSION: Final = 1
"""The version of the plain-data form of every aggregation state (``to_data``/``from_data``)."""

# Longer integers travel as decimal text: Python refuses to print or parse one past 4300 digits.
_MAX_INT_BITS: Final = 4096


def refuse(path: str, message: str, value: Any = NO_VALUE) -> NoReturn:
    """Raise the InvalidInput of one malformed field of a state's data."""
    raise InvalidInput.at(path, message, value)


def number_data(value: int | Decimal) -> int | str:
    """A number as plain data: an integer as it is, a decimal as its exact text.

    >>> number_data(12), number_data(Decimal("2.50")), number_data(2**5000)[:5]
    (12, '2.50', '14124')
    """
    if type(value) is int:
        return value if value.bit_length() <= _MAX_INT_BITS else format(Decimal(value), "f")
    return str(value)


def number_of(data: Any, path: str) -> int | Decimal:
    """The number :func:`number_data` wrote; InvalidInput naming ``path`` for anything else.

    >>> number_of("2.50", "x"), number_of(7, "x")
    (Decimal('2.50'), 7)
    >>> number_of("NaN", "state.in_total")
    Traceback (most recent call last):
    ...
    usage_engine.errors.InvalidInput: state.in_total: must be an integer or a finite decimal \
written as text, such as 12 or '2.50' (got 'NaN')
    """
    if type(data) is int:
        return data
    if type(data) is str:
        try:
            number = Decimal(data)
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite() and within_numeric_range(number):
            return number
    msg = "must be an integer or a finite decimal written as text, such as 12 or '2.50'"
    raise InvalidInput.at(path, msg, data)


def optional_number_of(data: Any, path: str) -> int | Decimal | None:
    """:func:`number_of`, or None for a JSON null."""
    return None if data is None else number_of(data, path)


def count_of(data: Any, path: str) -> int:
    """A count: a whole number, never negative."""
    if type(data) is not int or data < 0:
        raise InvalidInput.at(path, "must be a whole number, not negative", data)
    return data


def timestamp_of(data: Any, path: str) -> int:
    """An instant in microseconds since the epoch."""
    if type(data) is not int:
        raise InvalidInput.at(path, "must be an instant in whole microseconds", data)
    return data


def text_of(data: Any, path: str) -> str:
    """A text (a transaction_id, a property value)."""
    if type(data) is not str:
        raise InvalidInput.at(path, "must be a string", data)
    return data


def bool_of(data: Any, path: str) -> bool:
    """True or False."""
    if type(data) is not bool:
        raise InvalidInput.at(path, "must be true or false", data)
    return data


def items_of(data: Any, path: str, size: int | None = None) -> Sequence[Any]:
    """A list (of ``size`` items when given)."""
    if type(data) is not list:
        raise InvalidInput.at(path, "must be a list", data)
    if size is not None and len(data) != size:
        raise InvalidInput.at(path, f"must be a list of {size} items", data)
    return data


def fields_of(data: Any, path: str, names: Sequence[str]) -> Mapping[str, Any]:
    """A mapping with exactly the keys ``names``: none missing, none unknown."""
    if not isinstance(data, Mapping):
        raise InvalidInput.at(path, "must be an object (a mapping)", data)
    for name in names:
        if name not in data:
            refuse(f"{path}.{name}", "is required")
    unknown = [key for key in data if key not in names]
    if unknown:
        msg = f"is not a field here; the fields are {', '.join(names)}"
        refuse(f"{path}.{unknown[0]}", msg, data[unknown[0]])
    return data


def agree(found: Any, expected: Any, path: str, source: str) -> None:
    """Refuse a value that differs from what the rest of the state gives (``source``).

    Numbers compare by value: ``Decimal("5.0")`` agrees with ``5``.

    >>> agree(Decimal("5.0"), 5, "state.in_total", "its events")
    >>> agree(10**9, 5, "state.in_total", "its events")
    Traceback (most recent call last):
    ...
    usage_engine.errors.InvalidInput: state.in_total: does not match its events: expected 5 \
(got 1000000000)
    """
    if found != expected:
        msg = f"does not match {source}: expected {shown(expected)}"
        raise InvalidInput.at(path, msg, found)


def check_version(data: Mapping[str, Any], path: str) -> None:
    """Refuse a state written in another version of the plain-data form."""
    version = data["version"]
    if version != STATE_VERSION or type(version) is not int:
        msg = f"is version {version!r}; this version of usage_engine reads version {STATE_VERSION}"
        refuse(f"{path}.version", msg, version)


def timed_data(event: TimedValue) -> list[Any]:
    """A kept event as plain data: ``[µs, transaction_id, value]``."""
    return [event.ts, event.key, number_data(event.value)]


def timed_of(data: Any, path: str, window: Window, *, earlier: bool) -> TimedValue:
    """A kept event :func:`timed_data` wrote, inside ``window`` (or before it if ``earlier``)."""
    ts, key, value = items_of(data, path, 3)
    event = TimedValue(
        timestamp_of(ts, f"{path}[0]"), text_of(key, f"{path}[1]"), number_of(value, f"{path}[2]")
    )
    if event.ts > window.to_us or (event.ts < window.from_us and not earlier):
        msg = "lies outside the window of the state, where no event is kept"
        refuse(f"{path}[0]", msg, ts)
    return event
