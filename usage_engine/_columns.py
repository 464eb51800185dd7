"""Columnar events: a pyarrow Table or RecordBatch, a pandas or a Polars DataFrame.

The columns are ``transaction_id``, ``external_subscription_id``, ``code``, ``timestamp``,
optionally ``properties`` (a struct column, JSON text, or in pandas an object column of
mappings) and ``precise_total_amount_cents``. Each column is pulled once as Python values and
the rating reads every event from them (:func:`usage_engine.rating.consume`): no event dict is
built. A row the fast reading cannot take as it is (a null id, a timestamp that is not an
instant) is handed to the same full checks as an event mapping, through :class:`EventRow`, so
every rule about events keeps one definition.

Values stay exact: integers are ``int``, decimal columns ``Decimal`` (with the column's scale),
text is text. A binary floating-point column is refused: it cannot hold ``0.1``. pyarrow,
pandas and Polars are imported only when such an input is given; a DataFrame is read through
pyarrow (the ``arrow`` extra), except the object columns of pandas, taken as they are.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final

from ._time import EARLIEST_SECONDS, LATEST_SECONDS, event_micros, iso_micros
from .errors import InvalidInput
from .reading import UnreadableJSON, loads

__all__ = [
    "COLUMNAR",
    "Columns",
    "EventRow",
    "RowProperties",
    "column_batches",
    "columnar",
    "kept_events",
]

_EVENTS: Final = "events"
REQUIRED: Final = ("transaction_id", "external_subscription_id", "code", "timestamp")
"""The columns every columnar input must have (they may hold nulls: such rows are malformed)."""
_OPTIONAL: Final = ("properties", "precise_total_amount_cents")
_MICROS: Final = 1_000_000
_UNIT_DIGITS: Final = {"s": 0, "ms": 3, "us": 6, "ns": 9}
_FLOAT_HINT: Final = (
    "binary floating point cannot hold decimal values such as 0.1 exactly; give the values as "
    "decimals (a pyarrow decimal128 column, a Polars Decimal column, Decimal objects in a "
    "pandas object column) or as text"
)
_LIST_HINT: Final = (
    "nested lists are not read from columns; give the properties as JSON text (a string "
    "column) to keep them"
)


class _Columnar:
    """The type of :data:`COLUMNAR`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "COLUMNAR"


COLUMNAR: Final[Any] = _Columnar()
"""A row's properties when they are read from the property columns (:attr:`Columns.fields`)."""


class _Fields(dict[str, list[Any]]):
    """The property columns by name; a name without a column reads as a column of nulls.

    ``pending`` columns are pulled as Python values when first read: a property no metric,
    filter or group reads costs nothing.
    """

    __slots__ = ("names", "nulls", "pending")

    def __init__(
        self,
        columns: Mapping[str, list[Any]],
        size: int,
        pending: Mapping[str, Callable[[], list[Any]]] | None = None,
    ) -> None:
        super().__init__(columns)
        self.nulls: list[Any] = [None] * size if size else []
        self.pending = dict(pending or {})
        self.names = (*columns, *self.pending)

    def __missing__(self, name: str) -> list[Any]:
        pull = self.pending.pop(name, None)
        # Kept once found: a name read for every event (operation_type) is looked up once.
        values = self[name] = self.nulls if pull is None else pull()
        return values

    def pulled(self) -> list[tuple[str, list[Any]]]:
        """Every property column, pulled."""
        return [(name, self[name]) for name in self.names]


class Columns:
    """Columnar events, each column pulled once as a list of Python values.

    ``micros`` holds each row's instant in µs as event reading reads its ``timestamp``, or
    None when it is not one (the row then goes through the full checks, which say why).
    ``properties`` holds, per row, :data:`COLUMNAR` (read from ``fields``) or the row's own
    value (a mapping from pandas or parsed JSON text, or anything else, which the checks
    refuse).

    >>> columns = Columns.of({"transaction_id": ["t1"], "external_subscription_id": ["sub"],
    ...                       "code": ["calls"], "timestamp": [1700000000]},
    ...                      fields={"region": ["eu"]})
    >>> columns.micros, dict(columns.row(0)["properties"])
    ([1700000000000000], {'region': 'eu'})
    """

    __slots__ = (
        "codes",
        "fields",
        "keys",
        "micros",
        "precise",
        "properties",
        "selected",
        "size",
        "stamp_digits",
        "stamps",
        "subscriptions",
    )

    def __init__(
        self,
        subscriptions: list[Any],
        keys: list[Any],
        codes: list[Any],
        stamps: list[Any],
        micros: list[int | None],
        properties: list[Any],
        fields: _Fields,
        precise: list[Any] | None,
        stamp_digits: int | None = None,
    ) -> None:
        self.size = len(keys)
        self.subscriptions = subscriptions
        self.keys = keys
        self.codes = codes
        self.stamps = stamps
        # Digits of the unit of an Arrow timestamp column (stamps are then integers in it).
        self.stamp_digits = stamp_digits
        self.micros = micros
        self.properties = properties
        self.fields = fields
        self.precise = precise
        self.selected: Sequence[int] = range(self.size)

    @classmethod
    def of(
        cls,
        columns: Mapping[str, Sequence[Any]],
        *,
        fields: Mapping[str, Sequence[Any]] | None = None,
    ) -> Columns:
        """Columns from lists of Python values (``properties`` as per-row values, or
        ``fields`` as property columns)."""
        size = len(columns["transaction_id"])
        stamps = list(columns["timestamp"])
        given = columns.get("properties")
        precise = columns.get("precise_total_amount_cents")
        return cls(
            list(columns["external_subscription_id"]),
            list(columns["transaction_id"]),
            list(columns["code"]),
            stamps,
            [_micros(stamp) for stamp in stamps],
            [COLUMNAR] * size if given is None else [_own(item) for item in given],
            _Fields({name: list(values) for name, values in (fields or {}).items()}, size),
            None if precise is None else list(precise),
        )

    @property
    def rows(self) -> Sequence[int]:
        """The indexes of the rows to read, in order (every row unless :meth:`select` chose)."""
        return self.selected

    def select(self, rows: Sequence[int]) -> Columns:
        """The same columns (shared, not copied), reading only ``rows``.

        >>> columns = Columns.of({"transaction_id": ["a", "b", "c"], "code": ["x"] * 3,
        ...     "external_subscription_id": ["s"] * 3, "timestamp": [1700000000] * 3})
        >>> [row["transaction_id"] for row in map(columns.row, columns.select([2, 0]).rows)]
        ['c', 'a']
        """
        chosen = copy.copy(self)
        chosen.selected = rows
        return chosen

    def stamp(self, index: int) -> Any:
        """The row's timestamp as given (unix seconds for an Arrow timestamp column)."""
        stamp = self.stamps[index]
        digits = self.stamp_digits
        if digits is None or stamp is None:
            return stamp
        from decimal import Decimal

        return Decimal(stamp).scaleb(-digits)

    def properties_at(self, index: int) -> Any:
        """The row's properties: a mapping read from the property columns, or its own value."""
        own = self.properties[index]
        return RowProperties(self.fields, index) if own is COLUMNAR else own

    def precise_at(self, index: int) -> Any:
        """The row's ``precise_total_amount_cents`` (None when there is no such column)."""
        precise = self.precise
        return None if precise is None else precise[index]

    def row(self, index: int) -> EventRow:
        """The event at ``index``, as a mapping (read from the columns, not copied)."""
        return EventRow(self, index)

    def value(self, name: str, index: int) -> Any:
        """The value of the event field ``name`` at ``index`` (None when null or absent)."""
        if name == "transaction_id":
            return self.keys[index]
        if name == "external_subscription_id":
            return self.subscriptions[index]
        if name == "code":
            return self.codes[index]
        if name == "timestamp":
            return self.stamp(index)
        if name == "properties":
            return self.properties_at(index)
        if name == "precise_total_amount_cents":
            return self.precise_at(index)
        return None


_EVENT_FIELDS: Final = (*REQUIRED, *_OPTIONAL)


class EventRow(Mapping[str, Any]):
    """One row of :class:`Columns` as an event mapping; a null reads as an absent field.

    >>> columns = Columns.of({"transaction_id": ["t1"], "external_subscription_id": [None],
    ...                       "code": ["calls"], "timestamp": ["2024-03-05T00:00:00Z"]})
    >>> row = columns.row(0)
    >>> row.get("external_subscription_id"), sorted(row)
    (None, ['code', 'properties', 'timestamp', 'transaction_id'])
    """

    __slots__ = ("_columns", "_index")

    def __init__(self, columns: Columns, index: int) -> None:
        self._columns = columns
        self._index = index

    def __getitem__(self, name: str) -> Any:
        value = self._columns.value(name, self._index)
        if value is None:
            raise KeyError(name)
        return value

    def get(self, name: str, default: Any = None) -> Any:
        value = self._columns.value(name, self._index)
        return default if value is None else value

    def __iter__(self) -> Iterator[str]:
        columns, index = self._columns, self._index
        return (name for name in _EVENT_FIELDS if columns.value(name, index) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"EventRow({dict(self)!r})"


class RowProperties(Mapping[str, Any]):
    """The properties of one row, read from the property columns; a null reads as absent.

    >>> properties = RowProperties(_Fields({"gb": ["1.5", None]}, 2), 1)
    >>> properties.get("gb"), "gb" in properties, len(properties)
    (None, False, 0)
    """

    __slots__ = ("_fields", "_index")

    def __init__(self, fields: _Fields, index: int) -> None:
        self._fields = fields
        self._index = index

    def __getitem__(self, name: str) -> Any:
        # A name without a column reads as nulls (_Fields.__missing__).
        value = self._fields[name][self._index]
        if value is None:
            raise KeyError(name)
        return value

    def get(self, name: str, default: Any = None) -> Any:
        value = self._fields[name][self._index]
        return default if value is None else value

    def __iter__(self) -> Iterator[str]:
        index = self._index
        return (name for name, column in self._fields.pulled() if column[index] is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"RowProperties({dict(self)!r})"


def _micros(stamp: Any) -> int | None:
    # The instant event reading reads from ``stamp``, or None when it reads none (the full
    # checks then say why).
    if type(stamp) is str:
        found = iso_micros(stamp)
        if found is not None:
            return found
    if stamp is None:
        return None
    try:
        return event_micros(stamp)
    except ValueError:
        return None


_EMPTY: Final[Mapping[str, Any]] = {}


def _own(value: Any) -> Any:
    # A row's own properties value: null reads as none, JSON text as what it holds.
    if value is None:
        return _EMPTY
    if type(value) is str:
        try:
            return loads(value)
        except (ValueError, UnreadableJSON):
            return value  # not JSON: the checks refuse it as not a mapping
    return value


def columnar(events: Any) -> Columns | None:
    """``events`` as :class:`Columns` when it is columnar input, None otherwise.

    A pyarrow ``Table``, ``RecordBatch`` or ``RecordBatchReader`` (read whole), a pandas or a
    Polars ``DataFrame`` (told by its type's module, so that none of them is imported for
    other input).

    >>> columnar([{"transaction_id": "t1"}]) is None
    True
    """
    if isinstance(events, Columns):
        return events
    kind = type(events)
    module = kind.__module__.partition(".")[0]
    name = kind.__name__
    if module == "pyarrow" and name in ("Table", "RecordBatch"):
        return _from_arrow(events)
    if module == "pyarrow" and name == "RecordBatchReader":
        return _from_arrow(events.read_all())  # wanted whole here: see column_batches
    if module == "pandas" and name == "DataFrame":
        return _from_pandas(events)
    if module == "polars" and name == "DataFrame":
        return _from_polars(events)
    return None


def column_batches(events: Any) -> Iterator[Columns] | None:
    """The batches of a ``pyarrow.RecordBatchReader`` as :class:`Columns`, one at a time (a
    long stream is rated in the memory of one batch); None for any other input.

    >>> column_batches([{"transaction_id": "t1"}]) is None
    True
    """
    kind = type(events)
    if kind.__module__.partition(".")[0] != "pyarrow" or kind.__name__ != "RecordBatchReader":
        return None
    return (_from_arrow(batch) for batch in events)


def kept_events(events: Any) -> Columns | list[Any]:
    """``events`` kept to be read more than once: columns as they are, or a list of events."""
    from .selection import iterate_events

    columns = columnar(events)
    return columns if columns is not None else list(iterate_events(events))


# ----------------------------------------------------------------------------------- pyarrow
def _pyarrow(what: str) -> Any:
    try:
        return importlib.import_module("pyarrow")
    except ImportError:
        msg = f"{what} is read through pyarrow: install it (pip install 'usage-engine[arrow]')"
        raise InvalidInput.at(_EVENTS, msg, what) from None


def _column_error(path: str, message: str) -> InvalidInput:
    return InvalidInput.at(f"{_EVENTS}.{path}", message)


def _refuse(path: str, kind: Any, expected: str) -> InvalidInput:
    return _column_error(path, f"must hold {expected} (got a {kind} column)")


def _unexact(path: str, kind: Any) -> InvalidInput:
    return _column_error(path, f"is a {kind} column: {_FLOAT_HINT}")


def _names(names: Sequence[Any]) -> list[str]:
    found = [str(name) for name in names]
    missing = [name for name in REQUIRED if name not in found]
    if missing:
        shown = ", ".join(found) or "none"
        msg = f"has no column {missing[0]!r} (its columns: {shown})"
        raise InvalidInput.at(_EVENTS, msg, missing[0])
    return found


def _from_arrow(table: Any) -> Columns:
    pa = _pyarrow("a pyarrow table")
    names = _names(table.schema.names)
    column = table.column
    return _arrow_columns(pa, {name: column(name) for name in names}, table.num_rows)


def _arrow_columns(pa: Any, columns: Mapping[str, Any], size: int) -> Columns:
    # Every column of ``columns`` is a pyarrow Array or ChunkedArray, or a list of Python
    # values (a pandas object column).
    stamps, micros, digits = _stamps(pa, columns["timestamp"], size)
    given = columns.get("properties")
    pending: dict[str, Callable[[], list[Any]]] = {}
    if given is None or (not isinstance(given, list) and pa.types.is_null(given.type)):
        properties = [COLUMNAR] * size
    elif isinstance(given, list):
        properties = [_own(value) for value in given]
    else:
        given = _decoded(pa, given)
        kind = given.type
        if pa.types.is_struct(kind):
            properties = [COLUMNAR] * size
            for name, child in _children(pa, given):
                pending[name] = _property_values(pa, child, f"properties.{name}")
        elif _is_text(pa, kind):
            properties = [_own(value) for value in given.to_pylist()]
        else:
            raise _refuse("properties", kind, "a struct of property columns or JSON text")
    precise = columns.get("precise_total_amount_cents")
    return Columns(
        _ids(pa, columns["external_subscription_id"], "external_subscription_id", size),
        _ids(pa, columns["transaction_id"], "transaction_id", size),
        _texts(pa, columns["code"], "code", size),
        stamps,
        micros,
        properties,
        _Fields({}, size, pending),
        None if precise is None else _precise(pa, precise),
        digits,
    )


def _pulled(values: Any) -> list[Any]:
    # What to_pylist gives: a list (pyarrow is untyped).
    assert isinstance(values, list)
    return values


def _decoded(pa: Any, column: Any) -> Any:
    # A dictionary-encoded column (pandas categories, Polars categoricals) as plain values.
    kind = column.type
    return column.cast(kind.value_type) if pa.types.is_dictionary(kind) else column


def _is_text(pa: Any, kind: Any) -> bool:
    types = pa.types
    return bool(
        types.is_string(kind)
        or types.is_large_string(kind)
        or (hasattr(types, "is_string_view") and types.is_string_view(kind))
    )


def _ids(pa: Any, column: Any, name: str, size: int) -> list[Any]:
    if not isinstance(column, list):
        column = _decoded(pa, column)
        if pa.types.is_integer(column.type):
            # Lago's API takes integer ids; they read as their decimal text.
            column = column.cast(pa.string())
    return _texts(pa, column, name, size, expected="text (or integers)")


def _texts(pa: Any, column: Any, name: str, size: int, *, expected: str = "text") -> list[Any]:
    if isinstance(column, list):
        return column
    column = _decoded(pa, column)
    kind = column.type
    if _is_text(pa, kind):
        return _pulled(column.to_pylist())
    if pa.types.is_null(kind):
        return [None] * size
    raise _refuse(name, kind, expected)


def _stamps(pa: Any, column: Any, size: int) -> tuple[list[Any], list[int | None], int | None]:
    # The timestamps as given, their instants in µs (None: not one), and the digits of an
    # Arrow timestamp column's unit.
    if isinstance(column, list):
        return column, [_micros(stamp) for stamp in column], None
    column = _decoded(pa, column)
    kind = column.type
    types = pa.types
    if types.is_integer(kind):
        # Unix seconds, as event reading takes an integer: in range, in C.
        compute = importlib.import_module("pyarrow.compute")
        inside = compute.and_(
            compute.greater_equal(column, EARLIEST_SECONDS), compute.less(column, LATEST_SECONDS)
        )
        seconds = compute.if_else(inside, column, None).cast(pa.int64())
        micros = compute.multiply(seconds, _MICROS).to_pylist()
        return column.to_pylist(), micros, None
    if types.is_timestamp(kind):
        digits = _UNIT_DIGITS[kind.unit]
        raw = column.cast(pa.int64()).to_pylist()
        low, high = EARLIEST_SECONDS * _MICROS, LATEST_SECONDS * _MICROS
        if digits <= 6:
            scale = 10 ** (6 - digits)
            found = [None if value is None else value * scale for value in raw]
        else:
            # Sub-microsecond digits are dropped, as for a timestamp with more digits.
            found = [None if value is None else value // 1000 for value in raw]
        micros = [value if value is not None and low <= value < high else None for value in found]
        return raw, micros, digits
    if _is_text(pa, kind) or types.is_decimal(kind):
        stamps = column.to_pylist()
        return stamps, [_micros(stamp) for stamp in stamps], None
    if types.is_null(kind):
        return [None] * size, [None] * size, None
    if types.is_floating(kind):
        raise _unexact("timestamp", kind)
    raise _refuse("timestamp", kind, "unix seconds (integers), ISO 8601 text or timestamps")


def _children(pa: Any, column: Any) -> list[tuple[str, Any]]:
    # The fields of a struct column, a null struct making each of its fields null.
    kind = column.type
    names = [kind.field(index).name for index in range(kind.num_fields)]
    if isinstance(column, pa.ChunkedArray):
        pieces = [chunk.flatten() for chunk in column.chunks]
        return [
            (
                name,
                pa.chunked_array([piece[index] for piece in pieces], type=kind.field(index).type),
            )
            for index, name in enumerate(names)
        ]
    return list(zip(names, column.flatten(), strict=True))


def _property_values(pa: Any, column: Any, path: str) -> Callable[[], list[Any]]:
    # The column's type is checked now; its values are pulled when first read.
    column = _decoded(pa, column)
    _check_value_type(pa, column.type, path)
    return column.to_pylist  # type: ignore[no-any-return]


def _check_value_type(pa: Any, kind: Any, path: str) -> None:
    types = pa.types
    if (
        types.is_integer(kind)
        or types.is_decimal(kind)
        or types.is_boolean(kind)
        or types.is_null(kind)
        or _is_text(pa, kind)
    ):
        return
    if types.is_dictionary(kind):
        _check_value_type(pa, kind.value_type, path)
        return
    if types.is_struct(kind):
        for index in range(kind.num_fields):
            field = kind.field(index)
            _check_value_type(pa, field.type, f"{path}.{field.name}")
        return
    if types.is_floating(kind):
        raise _unexact(path, kind)
    if types.is_list(kind) or types.is_large_list(kind) or types.is_fixed_size_list(kind):
        raise _column_error(path, f"is a {kind} column: {_LIST_HINT}")
    raise _refuse(path, kind, "integers, decimals, text, booleans or structs of them")


def _precise(pa: Any, column: Any) -> list[Any]:
    if isinstance(column, list):
        return column
    column = _decoded(pa, column)
    kind = column.type
    path = "precise_total_amount_cents"
    if _is_exact(pa, kind):
        return _pulled(column.to_pylist())
    if pa.types.is_floating(kind):
        raise _unexact(path, kind)
    raise _refuse(path, kind, "integers, decimals or text")


def _is_exact(pa: Any, kind: Any) -> bool:
    types = pa.types
    return bool(
        types.is_integer(kind) or types.is_decimal(kind) or types.is_null(kind)
    ) or _is_text(pa, kind)


# ------------------------------------------------------------------------------------ pandas
def _from_pandas(frame: Any) -> Columns:
    names = _names(list(frame.columns))
    if len(set(names)) != len(names):
        msg = "has two columns of the same name"
        raise InvalidInput.at(_EVENTS, msg, names)
    size = len(frame)
    columns: dict[str, Any] = {}
    pa: Any = None
    for name in (*REQUIRED, *_OPTIONAL):
        if name not in names:
            continue
        series = frame[name]
        if series.dtype == object or series.isna().all():
            # Python values, as an event mapping would hold them; a missing value is a null
            # (a column of missing values only is one of floats, NaN, in pandas).
            columns[name] = _python_values(series)
            continue
        if pa is None:
            pa = _pyarrow("a pandas DataFrame")
        kind = series.dtype.kind
        if kind == "f":
            raise _unexact(name, series.dtype)
        try:
            columns[name] = pa.Array.from_pandas(series)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
            msg = f"cannot be read as an Arrow column ({error})"
            raise _column_error(name, msg) from None
    if pa is None:
        pa = _pyarrow("a pandas DataFrame")
    return _arrow_columns(pa, columns, size)


def _python_values(series: Any) -> list[Any]:
    values: list[Any] = series.tolist()
    missing = series.isna().to_numpy().nonzero()[0]
    for index in missing.tolist():
        values[index] = None
    return values


# ------------------------------------------------------------------------------------ polars
def _from_polars(frame: Any) -> Columns:
    pa = _pyarrow("a Polars DataFrame")
    _names(frame.columns)
    try:
        table = frame.to_arrow()
    except Exception as error:  # Polars raises its own errors for columns Arrow cannot hold
        msg = f"cannot be read as Arrow columns ({error})"
        raise InvalidInput.at(_EVENTS, msg) from None
    assert isinstance(table, pa.Table)
    return _from_arrow(table)
