"""Dask partitions as Arrow tables: read in C, shuffled as Arrow IPC, rated from columns.

A JSON Lines file pyarrow keeps exact, or a Parquet file, is one partition as a
``pyarrow.Table`` (:func:`usage_engine.arrow.read_columns`); other files are event mappings.
For ``layout="any"``, each partition is cut by destination bucket, and each part crosses the
shuffle as one payload: Arrow IPC bytes (tag ``A``) with each row's position in two columns,
or pickled ``(position, event)`` pairs (tag ``P``). A bucket's payloads become one table rated
from its columns in position order, or, when some came as mappings, pairs of mappings.

Needs pyarrow, which the ``distributed`` extra installs.
"""

from __future__ import annotations

import importlib
import pickle
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from .partition import bucket_key, piece_of
from .selection import id_text

__all__ = ["ARROW", "PICKLE", "arrow_payload", "bucketed_rows", "pairs_of", "table_of"]

ARROW: Final = b"A"
"""The tag of a payload of Arrow IPC bytes."""
PICKLE: Final = b"P"
"""The tag of a payload of pickled (position, event) pairs."""
_PARTITION: Final = "__usage_engine_partition"
_ROW: Final = "__usage_engine_row"


def _pa() -> Any:
    return importlib.import_module("pyarrow")


def bucketed_rows(table: Any, buckets: int, pieces: Mapping[str, int]) -> dict[int, list[int]]:
    """The rows of ``table`` by the bucket each is shuffled to: its subscription's (a split
    subscription's piece by transaction id); rows naming no subscription go to bucket 0.

    >>> import pyarrow as pa
    >>> table = pa.table({"external_subscription_id": ["sub_1", None, "sub_1"],
    ...                   "transaction_id": ["a", "b", "c"]})
    >>> bucketed_rows(table, 16, {})
    {3: [0, 2], 0: [1]}
    """
    subscriptions = table.column("external_subscription_id").to_pylist()
    transactions: list[Any] | None = None
    known: dict[Any, int] = {}
    rows: dict[int, list[int]] = {}
    for row, value in enumerate(subscriptions):
        bucket = known.get(value, -1)
        if bucket < 0:
            sub = id_text(value)
            if sub is None:
                bucket = 0  # names no subscription: reported by whichever partition gets it
            elif sub in pieces:
                if transactions is None:
                    transactions = table.column("transaction_id").to_pylist()
                piece = piece_of(sub, id_text(transactions[row]) or "", pieces[sub])
                bucket = bucket_key(sub, buckets, piece=piece)
            else:
                bucket = known[value] = bucket_key(sub, buckets)
        found = rows.get(bucket)
        if found is None:
            found = rows[bucket] = []
        found.append(row)
    return rows


def arrow_payload(table: Any, index: int, rows: Sequence[int]) -> bytes:
    """``rows`` of ``table`` (partition ``index``) as tagged Arrow IPC bytes, with their
    positions."""
    pa = _pa()
    part = table.take(pa.array(rows, pa.int64()))
    part = part.append_column(_PARTITION, pa.array([index] * len(rows), pa.int64()))
    part = part.append_column(_ROW, pa.array(rows, pa.int64()))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, part.schema) as writer:
        writer.write_table(part)
    return ARROW + bytes(sink.getvalue())


def _read(payload: bytes) -> Any:
    pa = _pa()
    return pa.ipc.open_stream(pa.py_buffer(payload[1:])).read_all()


def _positions(table: Any) -> list[tuple[int, int]]:
    partitions = table.column(_PARTITION).to_pylist()
    rows = table.column(_ROW).to_pylist()
    return list(zip(partitions, rows, strict=True))


def table_of(payloads: Sequence[bytes]) -> tuple[Any, list[tuple[int, int]]] | None:
    """The Arrow payloads of a bucket as one table and each row's position; None when some
    payload is pickled or the tables' columns cannot be put together (a property that is a
    number in one file and text in another)."""
    if not payloads or any(payload[:1] != ARROW for payload in payloads):
        return None
    pa = _pa()
    tables = [_read(payload) for payload in payloads]
    try:
        table = pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    # In position order already (sorted in C): the rating then reads the rows as they are.
    table = table.sort_by([(_PARTITION, "ascending"), (_ROW, "ascending")])
    positions = _positions(table)
    return table.drop_columns([_PARTITION, _ROW]), positions


def pairs_of(payloads: Sequence[bytes], rows_of: Callable[[Any], list[Any]]) -> list[Any]:
    """Every payload as ``(position, event)`` pairs: pickled pairs as they are, an Arrow
    table's rows as the mappings ``rows_of`` reads from it."""
    pairs: list[Any] = []
    for payload in payloads:
        if payload[:1] == PICKLE:
            pairs.extend(pickle.loads(payload[1:]))
            continue
        table = _read(payload)
        positions = _positions(table)
        events = rows_of(table.drop_columns([_PARTITION, _ROW]))
        pairs.extend(zip(positions, events, strict=True))
    return pairs
