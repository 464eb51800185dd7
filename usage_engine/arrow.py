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

:func:`read_batches` reads the same files in bounded batches (a ``pyarrow.RecordBatchReader``,
read once): a long file is rated in the memory of one batch. Its types are found from the
first batch; a later batch that would not be read exactly the same way raises
:class:`ReadAgain`, and the file must then be read by the pure-Python reader.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any, Final

from ._files import UnreadableFile, shown_name
from .errors import InvalidInput, UsageEngineError
from .reading import MAX_DEPTH

__all__ = ["BATCH_BYTES", "ReadAgain", "is_parquet", "read_batches", "read_columns"]

BATCH_BYTES: Final = 1 << 20
"""How much of a JSON Lines file :func:`read_batches` parses at a time (1 MiB of text, about
6,000 events): larger batches cost more memory and save no time."""
_PARQUET_ROWS: Final = 1 << 17
"""Rows of a Parquet file per batch of :func:`read_batches`."""


class ReadAgain(UsageEngineError):
    """A batch of :func:`read_batches` that pyarrow cannot read as the first one was read (a
    number with a fraction, a new property, a field of another kind): read the file again
    with the pure-Python reader, which reads every event exactly.

    >>> str(ReadAgain("events.jsonl: a later batch is read otherwise"))
    'events.jsonl: a later batch is read otherwise'
    """


_PARQUET_MAGIC: Final = b"PAR1"
_GZIP_MAGIC: Final = b"\x1f\x8b"
_IDS: Final = ("transaction_id", "external_subscription_id")
_REQUIRED: Final = (*_IDS, "code", "timestamp")


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def is_parquet(path: str) -> bool:
    """Whether the file at ``path`` is Parquet (by its magic); False when it cannot be read.

    >>> is_parquet("-"), is_parquet("no-such-file.parquet")
    (False, False)
    """
    if path == "-":
        return False
    try:
        with open(path, "rb") as file:
            return file.read(4) == _PARQUET_MAGIC
    except OSError:
        return False


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
    return _read_file(
        path,
        lambda pa, name: _parquet(path, name),
        lambda pa, opened, name: _json_lines(pa, opened),
    )


def read_batches(path: str, *, batch_bytes: int | None = None) -> Any:
    """The events of the file at ``path`` as a ``pyarrow.RecordBatchReader``, or None.

    As :func:`read_columns`, but read in batches (about ``batch_bytes`` of JSON text, by
    default :data:`BATCH_BYTES`, or
    131,072 Parquet rows, at a time), so that a long file takes the memory of one batch. The
    reader is read once, by any function taking events. The types are those of the first
    batch: when a later batch holds a value pyarrow would read otherwise (a decimal number, a
    new property, text where a number was), reading it raises :class:`ReadAgain`; read the
    file with the pure-Python reader then (nothing was priced from a part of it).

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
    >>> event = ('{"transaction_id": "t%d", "code": "gb", "external_subscription_id": "s", '
    ...          '"timestamp": 1700000000, "properties": {"gb": "%s"}}\\n')
    >>> _ = path.write_text("".join(event % (index, index) for index in range(3)))
    >>> [batch.num_rows for batch in read_batches(str(path), batch_bytes=150)]
    [1, 1, 1]
    >>> _ = path.write_text(event % (0, 1) + event.replace('"%s"', "%s") % (1, 0.5))
    >>> list(read_batches(str(path), batch_bytes=200))
    Traceback (most recent call last):
    ...
    usage_engine.arrow.ReadAgain: ...: a later batch cannot be read as the first: ...
    """
    size = BATCH_BYTES if batch_bytes is None else batch_bytes
    if type(size) is not int or size < 1:
        raise InvalidInput.at("batch_bytes", "must be a positive integer", batch_bytes)
    return _read_file(
        path,
        lambda pa, name: _parquet_batches(pa, path, name),
        lambda pa, opened, name: _json_batches(pa, opened, name, size),
    )


def _read_file(
    path: str,
    parquet: Callable[[Any, str], Any],
    json_lines: Callable[[Any, Callable[[], Any], str], Any],
) -> Any:
    # Parquet (told by its magic) or JSON Lines (gzip by its magic) handed to its reader;
    # None without pyarrow or for stdin, which is read once: the pure-Python reader streams it.
    pa = _module("pyarrow")
    if pa is None or path == "-":
        return None
    name = shown_name(path)
    try:
        with open(path, "rb") as file:
            magic = file.read(4)
        if magic == _PARQUET_MAGIC:
            return parquet(pa, name)
        compression = "gzip" if magic[:2] == _GZIP_MAGIC else None
        return json_lines(pa, lambda: pa.input_stream(path, compression=compression), name)
    except OSError as error:
        msg = f"{name}: cannot read the file: {error.strerror or error}"
        raise UnreadableFile(msg) from None


def _parquet_batches(pa: Any, path: str, name: str) -> Any:
    parquet = _module("pyarrow.parquet")
    try:
        opened = parquet.ParquetFile(path)
    except Exception as error:  # pyarrow's errors for a damaged file are of several kinds
        msg = f"{name}: not a readable Parquet file ({error})"
        raise UnreadableFile(msg) from None
    batches = opened.iter_batches(batch_size=_PARQUET_ROWS)
    return pa.RecordBatchReader.from_batches(opened.schema_arrow, batches)


def _json_batches(pa: Any, opened: Callable[[], Any], name: str, batch_bytes: int) -> Any:
    json = importlib.import_module("pyarrow.json")
    # One thread: pyarrow's threaded reader reads far ahead (hundreds of MB for a long file),
    # and a reader must never outlive its stream.
    read_options = json.ReadOptions(block_size=batch_bytes, use_threads=False)
    if not _starts_with_an_object(pa, opened):
        return None
    stream = opened()
    try:
        reader = json.open_json(stream, read_options=read_options)
        widened = _stamps_in_micros(pa, reader.schema)
        explicit = _kept_as_text(pa, widened) or (None if widened is reader.schema else widened)
        if explicit is not None:
            # Read again with the types the first batch's values need (see _kept_as_text).
            del reader
            stream.close()
            stream = opened()
            options = json.ParseOptions(explicit_schema=explicit)
            reader = json.open_json(stream, read_options=read_options, parse_options=options)
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError):
        stream.close()
        return None  # as read_columns: the pure-Python reader says what the file is
    if not _exact(pa, reader.schema):
        del reader
        stream.close()
        return None

    def batches() -> Iterator[Any]:
        with stream:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as error:
                    text = str(error).splitlines()[0]
                    msg = f"{name}: a later batch cannot be read as the first: {text}"
                    raise ReadAgain(msg) from None
                yield batch

    return pa.RecordBatchReader.from_batches(reader.schema, batches())


def _parquet(path: str, name: str) -> Any:
    parquet = _module("pyarrow.parquet")
    try:
        return parquet.read_table(path)
    except Exception as error:  # pyarrow's errors for a damaged file are of several kinds
        msg = f"{name}: not a readable Parquet file ({error})"
        raise UnreadableFile(msg) from None


def _starts_with_an_object(pa: Any, opened: Callable[[], Any]) -> bool:
    # Whether the first value of the file is an object: pyarrow's JSON readers crash the
    # process on a file whose first value is null (pyarrow 26), and anything but an object
    # is not JSON Lines of events anyway.
    try:
        with opened() as stream:
            start = stream.read(1 << 16).lstrip()
    except (pa.ArrowInvalid, OSError):
        return False
    return bool(start.startswith(b"{"))


def _json_lines(pa: Any, opened: Callable[[], Any]) -> Any:
    json = importlib.import_module("pyarrow.json")
    if not _starts_with_an_object(pa, opened):
        return None
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
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError):
        # Not JSON Lines of objects, or a field of two kinds: the pure-Python reader says
        # what it is, exactly.
        return None
    return table if _exact(pa, table.schema) else None


def _stamps_in_micros(pa: Any, schema: Any) -> Any:
    # Timestamps inferred from a first batch in whole seconds: later ones may have fractions.
    if "timestamp" not in schema.names:
        return schema
    kind = schema.field("timestamp").type
    if not pa.types.is_timestamp(kind) or kind.unit in ("us", "ns"):
        return schema
    index = schema.get_field_index("timestamp")
    return schema.set(index, pa.field("timestamp", pa.timestamp("us", kind.tz)))


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
