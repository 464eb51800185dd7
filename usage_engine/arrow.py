"""Event files read into columns with pyarrow (the ``arrow`` extra), exactly.

:func:`read_columns` reads JSON Lines (gzip too) and Parquet into a ``pyarrow.Table`` that
every function taking events rates from its columns (see ``docs/columnar.md``). A JSON number
must reach the engine as the ``Decimal`` the pure-Python reader gives (``0.1`` is
``Decimal('0.1')``, never a binary float), and pyarrow's JSON reader keeps only some numbers
exact: integers within 64 bits. A fraction, an exponent or a longer integer is read as a
binary float, and a decimal type would fix the number of places (``0.1`` would read
``0.10000``, and its text, which a unique count compares, would change). So a JSON file is
read by pyarrow only when every value it holds is text, a 64-bit integer, a boolean or an
object of those; any other file (a decimal number, a field that is a number in one event and
text in another, a line that is not an event, a JSON array) is left to the pure-Python reader,
which reads everything exactly, and :func:`read_columns` says so by returning None.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Final

from ._files import UnreadableFile, shown_name
from .reading import MAX_DEPTH

__all__ = ["read_columns"]

_PARQUET_MAGIC: Final = b"PAR1"
_GZIP_MAGIC: Final = b"\x1f\x8b"
_IDS: Final = ("transaction_id", "external_subscription_id")
_REQUIRED: Final = (*_IDS, "code", "timestamp")


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def read_columns(path: str) -> Any:
    """The events of the file at ``path`` as a ``pyarrow.Table``, or None to read it otherwise.

    A Parquet file (told by its magic) is read as it is: its column types say what its values
    are, and a floating-point column is refused when the events are rated. A JSON Lines file
    (gzip accepted) is read with pyarrow when that keeps every value exact (see the module's
    documentation). None means the pure-Python reader must read the file: pyarrow is not
    installed, the file is stdin (``-``, read once and streamed), it holds a value pyarrow
    would not keep exact, or it is not JSON Lines of events. A file that cannot be opened is
    an :class:`~usage_engine._files.UnreadableFile`.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
    >>> event = ('{"transaction_id": "t1", "code": "gb", "external_subscription_id": "s", '
    ...          '"timestamp": 1700000000, "properties": {"gb": %s}}\\n')
    >>> _ = path.write_text(event % '"0.1"')
    >>> read_columns(str(path)).column("properties").to_pylist()
    [{'gb': '0.1'}]
    >>> _ = path.write_text(event % "0.1")
    >>> read_columns(str(path)) is None
    True
    """
    pa = _module("pyarrow")
    if pa is None or path == "-":  # stdin is read once: the pure-Python reader streams it
        return None
    name = shown_name(path)
    try:
        with open(path, "rb") as file:
            magic = file.read(4)
        if magic == _PARQUET_MAGIC:
            return _parquet(path, name)
        compression = "gzip" if magic[:2] == _GZIP_MAGIC else None
        return _json_lines(pa, lambda: pa.input_stream(path, compression=compression))
    except OSError as error:
        msg = f"{name}: cannot read the file: {error.strerror or error}"
        raise UnreadableFile(msg) from None


def _parquet(path: str, name: str) -> Any:
    parquet = _module("pyarrow.parquet")
    try:
        return parquet.read_table(path)
    except Exception as error:  # pyarrow's errors for a damaged file are of several kinds
        msg = f"{name}: not a readable Parquet file ({error})"
        raise UnreadableFile(msg) from None


def _json_lines(pa: Any, opened: Callable[[], Any]) -> Any:
    json = importlib.import_module("pyarrow.json")
    try:
        with opened() as stream:
            table = json.read_json(stream)
        schema = _kept_as_text(pa, table.schema)
        if schema is not None:
            # Text that looks like a date (a property "2024-03-05") was read as a timestamp:
            # read again with it as text, which is what it is.
            options = json.ParseOptions(explicit_schema=schema)
            with opened() as stream:
                table = json.read_json(stream, parse_options=options)
    except (pa.ArrowInvalid, UnicodeDecodeError):
        # Not JSON Lines of objects, or a field of two kinds: the pure-Python reader says
        # what it is, exactly.
        return None
    return table if _exact(pa, table.schema) else None


def _kept_as_text(pa: Any, schema: Any) -> Any:
    # The schema with every timestamp but the events' own read as text; None when none is.
    changed = False

    def as_text(kind: Any) -> Any:
        nonlocal changed
        if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
            changed = True
            return pa.string()
        if pa.types.is_struct(kind):
            fields = [kind.field(index) for index in range(kind.num_fields)]
            return pa.struct([pa.field(item.name, as_text(item.type)) for item in fields])
        return kind

    fields = [
        field if field.name == "timestamp" else pa.field(field.name, as_text(field.type))
        for field in schema
    ]
    return pa.schema(fields) if changed else None


def _exact(pa: Any, schema: Any) -> bool:
    # Whether every column the engine reads holds what the pure-Python reader would give.
    types = pa.types
    if not all(name in schema.names for name in _REQUIRED):
        return False  # no events (an empty file), or not events: the pure-Python reader says
    for field in schema:
        kind = field.type
        if field.name in _IDS:
            ok = types.is_string(kind) or types.is_integer(kind) or types.is_null(kind)
        elif field.name == "code":
            ok = types.is_string(kind) or types.is_null(kind)
        elif field.name == "timestamp":
            ok = (
                types.is_string(kind)
                or types.is_integer(kind)
                or types.is_timestamp(kind)
                or types.is_null(kind)
            )
        elif field.name == "properties":
            ok = types.is_null(kind) or (types.is_struct(kind) and _exact_value(pa, kind, 1))
        elif field.name == "precise_total_amount_cents":
            ok = types.is_string(kind) or types.is_integer(kind) or types.is_null(kind)
        else:
            ok = True  # not read
        if not ok:
            return False
    return True


def _exact_value(pa: Any, kind: Any, depth: int) -> bool:
    types = pa.types
    if types.is_struct(kind):
        # The pure-Python reader refuses deeper nesting: so must this one.
        return depth < MAX_DEPTH and all(
            _exact_value(pa, kind.field(index).type, depth + 1) for index in range(kind.num_fields)
        )
    return bool(
        types.is_string(kind)
        or types.is_integer(kind)
        or types.is_boolean(kind)
        or types.is_null(kind)
    )
