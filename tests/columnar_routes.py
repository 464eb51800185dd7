"""The same events by every columnar route: pyarrow Table and RecordBatch, pandas, Polars, and
JSON Lines or Parquet files read back with :func:`usage_engine.arrow.read_columns`.

Columns hold one type each, so events are first made representable (:func:`representable`):
each property field's values are all integers, all text or all decimals of one exponent, and
the event mappings are given exactly those values too, so that every route must give the same
result as the mappings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from usage_engine._files import EventFile
from usage_engine._time import event_micros, from_micros
from usage_engine.arrow import ReadAgain, read_batches, read_columns

TOP: tuple[str, ...] = (
    "transaction_id",
    "external_subscription_id",
    "code",
    "timestamp",
    "properties",
    "precise_total_amount_cents",
)
INT64 = 2**63


def _number(value: Any) -> Any:
    # A float reads as the decimal of its repr, as the engine reads it.
    return Decimal(repr(value)) if isinstance(value, float) else value


def _all(values: Iterable[Any], kind: type) -> bool:
    return all(type(value) is kind for value in values)


def _column_values(values: list[Any], form: str) -> list[Any]:
    present = [value for value in values if value is not None]
    if _all(present, str) or _all(present, bool):
        return values
    if _all(present, int) and all(-INT64 <= value < INT64 for value in present) and form != "text":
        return values
    if form == "decimal" and all(type(value) in (int, Decimal) for value in present):
        exponent = min((Decimal(value).as_tuple().exponent for value in present), default=0)
        assert isinstance(exponent, int)
        quantum = Decimal(1).scaleb(exponent)
        return [None if value is None else Decimal(value).quantize(quantum) for value in values]
    # Text, as the engine reads text: plain decimal notation.
    return [
        None
        if value is None
        else value
        if type(value) is str
        else format(value, "f")
        if isinstance(value, Decimal)
        else str(value)
        for value in values
    ]


def representable(
    events: Sequence[dict[str, Any]], *, stamps: str, forms: Callable[[str], str]
) -> list[dict[str, Any]]:
    """``events`` with values columns can hold: timestamps as ``stamps`` says (``iso`` text,
    ``datetime`` objects, or ``seconds`` when every one is whole), each property field's
    values in the form ``forms(field)`` gives (``native``, ``text`` or ``decimal``).

    A timestamp or id left None (a malformed event) stays None.
    """
    instants = [
        None if event.get("timestamp") is None else _instant(event["timestamp"]) for event in events
    ]
    if any(isinstance(instant, str) for instant in instants):
        stamps = "iso"  # an unreadable timestamp is text: so must the column be
    whole = all(
        instant is None or isinstance(instant, str) or instant % 1_000_000 == 0
        for instant in instants
    )
    names = sorted({name for event in events for name in event.get("properties") or {}})
    columns = {}
    for name in names:
        values = [_number((event.get("properties") or {}).get(name)) for event in events]
        columns[name] = _column_values(values, forms(name))
    precise = [_number(event.get("precise_total_amount_cents")) for event in events]
    precise = _column_values(precise, forms("precise_total_amount_cents"))
    made = []
    for index, event in enumerate(events):
        item: dict[str, Any] = {
            name: event.get(name) for name in ("transaction_id", "external_subscription_id", "code")
        }
        instant = instants[index]
        if instant is None or isinstance(instant, str):
            item["timestamp"] = instant
        elif stamps == "seconds" and whole:
            item["timestamp"] = instant // 1_000_000
        elif stamps == "datetime":
            item["timestamp"] = from_micros(instant)
        else:
            item["timestamp"] = from_micros(instant).isoformat().replace("+00:00", "Z")
        item["properties"] = {
            name: columns[name][index] for name in names if columns[name][index] is not None
        }
        if precise[index] is not None:
            item["precise_total_amount_cents"] = precise[index]
        made.append(item)
    return made


def _instant(stamp: Any) -> int | str:
    # The µs of a readable timestamp; unreadable text stays as it is (a malformed event).
    try:
        return event_micros(stamp)
    except ValueError:
        return str(stamp)


def _arrow_type(pa: Any, values: list[Any]) -> Any:
    present = [value for value in values if value is not None]
    if not present:
        return pa.null()
    if _all(present, bool):
        return pa.bool_()
    if _all(present, int):
        return pa.int64()
    if _all(present, Decimal):
        exponent = present[0].as_tuple().exponent
        digits = max(len(value.as_tuple().digits) for value in present)
        scale = max(-exponent, 0)
        return pa.decimal128(max(digits, scale, 1), scale)
    if _all(present, datetime):
        return pa.timestamp("us", tz="UTC")
    return pa.string()


def table(events: Sequence[dict[str, Any]]) -> Any:
    """The events as a pyarrow Table with an explicit schema (properties a struct)."""
    import pyarrow as pa

    names = sorted({name for event in events for name in event.get("properties") or {}})
    fields = []
    for name in ("transaction_id", "external_subscription_id", "code", "timestamp"):
        fields.append(pa.field(name, _arrow_type(pa, [event.get(name) for event in events])))
    props = [
        pa.field(
            name, _arrow_type(pa, [(event.get("properties") or {}).get(name) for event in events])
        )
        for name in names
    ]
    # Parquet writes no struct without fields: no property at all is a column of nulls.
    fields.append(pa.field("properties", pa.struct(props) if props else pa.null()))
    precise = [event.get("precise_total_amount_cents") for event in events]
    fields.append(pa.field("precise_total_amount_cents", _arrow_type(pa, precise)))
    rows = [
        {
            **{name: event.get(name) for name in TOP[:4]},
            "properties": {name: (event.get("properties") or {}).get(name) for name in names}
            if names
            else None,
            "precise_total_amount_cents": event.get("precise_total_amount_cents"),
        }
        for event in events
    ]
    return pa.Table.from_pylist(rows, schema=pa.schema(fields))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    raise TypeError(type(value).__name__)


_MARK = "\u0000decimal:"


def _number_text(value: Any) -> Any:
    # Decimals are marked, then written as JSON numbers with their exact digits.
    if isinstance(value, Decimal):
        return f"{_MARK}{format(value, 'f')}{_MARK}"
    if isinstance(value, dict):
        return {key: _number_text(item) for key, item in value.items()}
    return value


_MARKED = re.compile(r'"\\u0000decimal:([-0-9.]+)\\u0000decimal:"')


def write_json_lines(events: Sequence[dict[str, Any]], path: Path) -> None:
    """The events as JSON Lines, decimals as JSON numbers with their exact digits."""
    with open(path, "w") as file:
        for event in events:
            text = json.dumps(_number_text(event), default=_json_default)
            file.write(_MARKED.sub(r"\1", text) + "\n")


def from_file(path: Path) -> tuple[str, Any]:
    """What the command line reads: columns when pyarrow keeps them exact, else the events."""
    found = read_columns(str(path))
    if found is not None:
        return "arrow", found
    return "python", list(EventFile(str(path), collect=True))


def from_file_in_batches(path: Path) -> Any:
    """The file read in small batches (several per file), or as the command line falls back."""
    found = read_batches(str(path), batch_bytes=512)
    if found is not None:
        try:
            list(found)  # read through once, as the command line learns it must read again
        except ReadAgain:
            found = None
        else:
            return read_batches(str(path), batch_bytes=512)
    return list(EventFile(str(path), collect=True))


def routes(events: Sequence[dict[str, Any]], folder: Path) -> dict[str, Any]:
    """Every columnar route of ``events`` (those whose library is installed). A stream of
    batches is read once: its route is a function making a fresh one."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    made: dict[str, Any] = {}
    the_table = table(events)
    made["pyarrow Table"] = the_table
    made["pyarrow RecordBatchReader"] = lambda: pa.RecordBatchReader.from_batches(
        the_table.schema, the_table.to_batches(max_chunksize=3)
    )
    made["pyarrow RecordBatch"] = pa.RecordBatch.from_pylist(
        the_table.to_pylist(), schema=the_table.schema
    )
    try:
        import pandas as pd
    except ImportError:
        pass
    else:
        made["pandas (from dicts)"] = pd.DataFrame([dict(event) for event in events], columns=TOP)
        made["pandas (from Arrow)"] = the_table.to_pandas()
    try:
        import polars as pl
    except ImportError:
        pass
    else:
        made["polars"] = pl.from_arrow(the_table)
    lines = folder / "events.jsonl"
    write_json_lines(events, lines)
    made["JSON Lines"] = from_file(lines)[1]
    made["JSON Lines in batches"] = lambda: from_file_in_batches(lines)
    parquet = folder / "events.parquet"
    pq.write_table(the_table, parquet)
    made["Parquet"] = read_columns(str(parquet))
    made["Parquet in batches"] = lambda: read_batches(str(parquet))
    return made
