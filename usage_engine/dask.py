"""Rating on Dask: every subscription's usage from a collection of events too large for one process.

Needs the ``distributed`` extra (``pip install 'usage-engine[distributed]'``: dask, distributed,
pandas and pyarrow). The work itself is :mod:`usage_engine.partition`, the engine-free core;
this module only wires it into a Dask graph:

- :func:`read_events` reads a folder (or glob, or list) of JSON Lines files, gzip included, one
  partition per file, numbers parsed as :class:`~decimal.Decimal` (never ``float``).
- :func:`simulate` runs :func:`usage_engine.simulate` over a bag of cohort members, each
  partition apart, and merges the parts into the one-process result.
- :func:`rate` rates a bag of events (or a dask DataFrame, or files) for many subscriptions and
  gives a :class:`Rated`: a bag of ``(subscription, usage)``, its Lago JSON, and a
  :meth:`Rated.digest` equal to the one process digest
  (:func:`usage_engine.partition.period_digest` of :func:`usage_engine.partition.rate_job`),
  and, with ``invalid_events="collect"``, the subscriptions too large to price
  (:attr:`Rated.failed`), every other one still priced.

Layouts: ``"by_subscription"`` when each input partition already holds every event of its
subscriptions (files written by subscription bucket: no shuffle); ``"any"`` otherwise (one
shuffle by subscription bucket, peer-to-peer on a distributed cluster, the heaviest
subscriptions cut into pieces by transaction id and merged after).
"""

from __future__ import annotations

import contextlib
import functools
import glob
import math
import os
import pickle
import re
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar

try:
    import dask
    import dask.bag as db
    import dask.dataframe as dd
    import numpy as np
    import pandas as pd
    from dask.base import compute
    from dask.delayed import Delayed, delayed
except ImportError as error:  # pragma: no cover - depends on the environment
    msg = "usage_engine.dask needs the 'distributed' extra: pip install 'usage-engine[distributed]'"
    raise ImportError(msg) from error

from ._columns import columnar
from ._dask_columns import PICKLE, arrow_payload, bucketed_rows, pairs_of, table_of
from ._dask_simulate import simulate
from ._files import read_json_lines
from ._gc import collector_paused
from ._inputs import InstantInput, SubscriptionsInput, TaxesInput
from ._time import event_micros
from .arrow import is_parquet, read_columns
from .batch import SubscriptionUsages
from .errors import InvalidInput, suggest
from .models.account import EventAccount
from .models.usage import RejectedEvents, Usage
from .partition import (
    Job,
    Kind,
    PartitionResult,
    bucket_key,
    finish_split,
    period_digest,
    piece_of,
    plan_job,
    rate_partition,
    subscription_of,
    transaction_of,
    usage_digest,
)
from .projection import Method
from .reading import JsonLines, loads, open_bytes
from .selection import MAX_REASONS, InvalidEvents, id_text

__all__ = ["Layout", "Order", "Rated", "Reader", "rate", "read_events", "simulate"]

Layout = Literal["by_subscription", "any"]
"""How the input is laid out: already by subscription (no shuffle), or any way (one shuffle)."""
Order = Literal["position", "ingested_at"]
"""What decides which copy of a re-sent event was ingested first."""

_LAYOUTS: Final = ("by_subscription", "any")
_ORDERS: Final = ("position", "ingested_at")
_SHUFFLES: Final = ("tasks", "p2p")
_SUFFIXES: Final = (
    ".jsonl",
    ".ndjson",
    ".json",
    ".jsonl.gz",
    ".ndjson.gz",
    ".json.gz",
    ".parquet",
)
Reader = Literal["auto", "python"]
"""How files are read: with pyarrow where it keeps the values exact, or as event mappings."""
_READERS: Final = ("auto", "python")
_EVENTS_PER_PIECE: Final = 2_000_000

T = TypeVar("T")
Position = tuple[Any, ...]
Pair = tuple[Position, Any]


# --- tasks ------------------------------------------------------------------------------------


def _without_gc(task: Callable[..., T]) -> Callable[..., T]:
    """Run a task with the cyclic garbage collector paused (see :mod:`usage_engine._gc`)."""

    @functools.wraps(task)
    def paused(*args: Any, **kwargs: Any) -> T:
        with collector_paused():
            return task(*args, **kwargs)

    return paused


# --- reading ----------------------------------------------------------------------------------


def _files(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[str]:
    if isinstance(paths, str | os.PathLike):
        name = os.fspath(paths)
        if os.path.isdir(name):
            found = sorted(
                os.path.join(name, entry)
                for entry in os.listdir(name)
                if entry.endswith(_SUFFIXES) and not entry.startswith(".")
            )
        elif any(char in name for char in "*?["):
            found = sorted(glob.glob(name))
        else:
            found = [name]
    else:
        found = [os.fspath(path) for path in paths]
    if not found:
        shown = os.fspath(paths) if isinstance(paths, str | os.PathLike) else list(paths)
        raise InvalidInput.at("events", "names no JSON Lines file", shown)
    for name in found:
        if not os.path.isfile(name):
            raise InvalidInput.at("events", "is not a file", name)
    return found


@_without_gc
def _read_file(name: str) -> list[Any]:
    # One file, one partition: the shared reader (JSON Lines, gzip by content, numbers exact).
    return read_json_lines(name)


@_without_gc
def _read_partition(name: str, reader: Reader) -> Any:
    # One file, one partition: a pyarrow Table when pyarrow reads it exactly (always for
    # Parquet), else the event mappings of the shared reader.
    if reader == "auto" or is_parquet(name):
        table = read_columns(name)
        if table is not None:
            return table
    return read_json_lines(name)


def _reason(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "nested too deep"
    return str(error).splitlines()[0][:200] if str(error) else type(error).__name__


def read_events(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> db.Bag:
    """A bag of the events of JSON Lines files, one partition per file.

    ``paths`` is a folder (its ``.jsonl``, ``.ndjson`` and ``.json`` files, gzipped or not,
    in name order), a glob pattern (in name order), or a list of files (in its order).
    Numbers with a fraction or exponent become ``Decimal``: a 30-digit amount stays exact.
    Files are read when the bag is computed.
    """
    return db.from_delayed([delayed(_read_file)(name) for name in _files(paths)])


def _plain(value: Any) -> Any:
    # A cell of a pandas frame as the engine reads it: NumPy scalars as Python ones, missing
    # values as None, and a properties column of JSON text parsed exactly.
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


@_without_gc
def _frame_events(frame: pd.DataFrame) -> list[dict[str, Any]]:
    events = []
    for row in frame.to_dict("records"):
        event = {key: _plain(value) for key, value in row.items()}
        properties = event.get("properties")
        if isinstance(properties, str | bytes):
            # Text that is not JSON is left as it is: event reading reports it as malformed.
            with contextlib.suppress(ValueError, RecursionError):
                text = properties.decode() if isinstance(properties, bytes) else properties
                event["properties"] = loads(text)
        events.append({key: value for key, value in event.items() if value is not None})
    return events


def _as_bag(events: Any) -> tuple[db.Bag, list[str] | None]:
    # The events as a bag, and the files they are read from, if they are.
    if isinstance(events, db.Bag):
        return events, None
    if isinstance(events, dd.DataFrame):
        parts = events.to_delayed(optimize_graph=False)
        return db.from_delayed([delayed(_frame_events)(part) for part in parts]), None
    if isinstance(events, str | os.PathLike) or (
        isinstance(events, Sequence) and all(isinstance(item, str | os.PathLike) for item in events)
    ):
        files = _files(events)
        return db.from_delayed([delayed(_read_file)(name) for name in files]), files
    msg = "must be a dask bag of events, a dask DataFrame of events, or JSON Lines files"
    raise InvalidInput.at("events", msg, type(events).__name__)


# --- positions and keys -----------------------------------------------------------------------


def _positioned(events: Iterable[Any], index: int, order: Order) -> list[Pair]:
    # The position of an event: (input partition, row), after its ingested_at if so ordered.
    if order == "position":
        return [((index, row), event) for row, event in enumerate(events)]
    pairs: list[Pair] = []
    for row, event in enumerate(events):
        stamp = event.get("ingested_at") if isinstance(event, Mapping) else None
        where = f"events[({index}, {row})].ingested_at"
        if stamp is None:
            raise InvalidInput.at(where, "is required with order='ingested_at'")
        try:
            # An instant, spelt as event timestamps are: compared in time, not as text.
            micros = event_micros(stamp)
        except ValueError as error:
            raise InvalidInput.at(where, str(error), stamp) from None
        pairs.append(((micros, index, row), event))
    return pairs


_subscription = subscription_of
_transaction = transaction_of


@_without_gc
def _keyed(
    events: Iterable[Any],
    indexes: Iterable[int],
    order: Order,
    buckets: int,
    pieces: Mapping[str, int],
) -> list[dict[str, Any]]:
    # The events of an input partition grouped by the bucket they are shuffled to, each group
    # one pickled row: no number goes through Arrow or float, and the shuffle moves a few large
    # rows instead of one row per event. (Events of other subscriptions are skipped after the
    # shuffle: the job is not hashed into the dataframe graph.)
    [index] = indexes
    groups: dict[int, list[Pair]] = {}
    known: dict[str, int] = {}  # the bucket of each whole subscription
    for pair in _positioned(events, index, order):
        sub = _subscription(pair[1])
        if sub is None:
            bucket = 0  # names no subscription: reported by whichever partition gets it
        elif sub in pieces:
            piece = piece_of(sub, _transaction(pair[1]), pieces[sub])
            bucket = bucket_key(sub, buckets, piece=piece)
        else:
            bucket = known.get(sub, -1)
            if bucket < 0:
                bucket = known[sub] = bucket_key(sub, buckets)
        group = groups.get(bucket)
        if group is None:
            group = groups[bucket] = []
        group.append(pair)
    return [{"bucket": key, "payload": _pickled(group)} for key, group in groups.items()]


@_without_gc
def _keyed_frame(
    events: Any, index: int, order: Order, buckets: int, pieces: Mapping[str, int]
) -> pd.DataFrame:
    # One file's partition cut by bucket: a table's parts as Arrow IPC, mappings pickled.
    if _is_table(events):
        rows = bucketed_rows(events, buckets, pieces)
        records = [
            {"bucket": bucket, "payload": arrow_payload(events, index, found)}
            for bucket, found in rows.items()
        ]
    else:
        records = _keyed(events, [index], order, buckets, pieces)
    return pd.DataFrame.from_records(records, columns=["bucket", "payload"]).astype(
        {"bucket": "int64", "payload": object}
    )


def _is_table(events: Any) -> bool:
    kind = type(events)
    return kind.__module__.partition(".")[0] == "pyarrow" and kind.__name__ == "Table"


def _event_rows(table: Any) -> list[Any]:
    # A table's rows as event mappings (when a bucket also holds events read as mappings).
    columns = columnar(table)
    assert columns is not None
    return [columns.row(row) for row in columns.rows]


def _pickled(group: list[Pair]) -> bytes:
    try:
        return PICKLE + pickle.dumps(group, pickle.HIGHEST_PROTOCOL)
    except Exception:
        pass
    for position, event in group:  # find the event that cannot travel, to name it
        try:
            pickle.dumps(event, pickle.HIGHEST_PROTOCOL)
        except Exception as error:
            where, msg = f"events[{position}]", f"cannot cross the shuffle: {_reason(error)}"
            raise InvalidInput.at(where, msg, None) from None
    raise AssertionError("unreachable: the group pickled piece by piece")  # pragma: no cover


_META: Final = pd.DataFrame(
    {"bucket": pd.array([], dtype="int64"), "payload": pd.Series([], dtype=object)}
)


# --- rating -----------------------------------------------------------------------------------


@_without_gc
def _rate_input(events: Any, index: int, job: Job, order: Order) -> PartitionResult:
    if _is_table(events):  # read in position order: order="ingested_at" reads mappings
        return rate_partition(events, job, positions=[(index, row) for row in range(len(events))])
    return rate_partition(_positioned(events, index, order), job)


def _shuffle_method(shuffle: Any) -> str:
    if shuffle not in _SHUFFLES:
        msg = suggest("must be 'tasks' or 'p2p'", shuffle, _SHUFFLES)
        raise InvalidInput.at("shuffle", msg, shuffle)
    return str(shuffle)


@_without_gc
def _rate_shuffled(frame: pd.DataFrame, job: Job, split: frozenset[str]) -> PartitionResult:
    payloads = frame["payload"].tolist()
    together = table_of(payloads)
    if together is not None:
        table, positions = together
        return rate_partition(table, job, split=split, positions=positions)
    return rate_partition(pairs_of(payloads, _event_rows), job, split=split)


def _whole(result: PartitionResult) -> list[tuple[str, Usage]]:
    return result.whole


def _partials(result: PartitionResult) -> list[tuple[str, Any]]:
    return result.partials


def _orphans(result: PartitionResult) -> RejectedEvents:
    return result.rejected


def _failures(result: PartitionResult) -> list[tuple[str, InvalidInput]]:
    return result.failed


def _subscriptions_seen(result: PartitionResult) -> list[str]:
    # A failed subscription was seen too: it must not be rated again from no events.
    found = (result.whole, result.partials, result.failed)
    return [sub for pairs in found for sub, _ in pairs]


def _rest(job: Job, split: frozenset[str], *seen: list[str]) -> PartitionResult:
    # Subscriptions no partition finished: the split ones (merged from their pieces elsewhere)
    # are not here; those with no event at all get their usage from no events.
    done = {sub for subs in seen for sub in subs}
    missing = [sub for sub in job.periods if sub not in done and sub not in split]
    return rate_partition([], job, owned=missing)


def _merged(job: Job, split: frozenset[str], *partials: list[tuple[str, Any]]) -> PartitionResult:
    return finish_split([pair for found in partials for pair in found], job, split=sorted(split))


def _failed(*found: list[tuple[str, InvalidInput]]) -> dict[str, InvalidInput]:
    failed: dict[str, InvalidInput] = {}
    for pairs in found:
        for sub, error in pairs:
            if sub in failed:
                msg = "appears in more than one input partition: use layout='any'"
                raise InvalidInput.at("layout", msg, sub)
            failed[sub] = error
    return failed


def _rejected(*found: RejectedEvents) -> RejectedEvents:
    count = sum(rejected.count for rejected in found)
    reasons = [reason for rejected in found for reason in rejected.reasons]
    return RejectedEvents(count=count, reasons=tuple(reasons[:MAX_REASONS]))


def _account(*results: PartitionResult) -> EventAccount:
    # The partitions' accounts add up: each event was read by exactly one partition.
    total = EventAccount()
    for result in results:
        total += result.account
    return total


def _digest_pairs(pairs: Iterable[tuple[str, Usage]]) -> list[tuple[str, str]]:
    return [(sub, usage_digest(usage)) for sub, usage in pairs]


def _lago(pair: tuple[str, Usage]) -> tuple[str, dict[str, Any]]:
    return pair[0], pair[1].to_lago()


@dataclass(frozen=True)
class Rated:
    """The usage of every subscription of a :func:`rate` call, not computed yet.

    ``usages`` is a bag of ``(external_subscription_id, usage)``, one per subscription priced;
    ``rejected`` the malformed events that name no subscription, and ``failed`` the
    subscriptions too large to price, ``{external_subscription_id: InvalidInput}`` (both only
    filled with ``invalid_events="collect"``: otherwise computing raises). ``account`` is the
    event account of the whole stream, the one process would give
    (``SubscriptionUsages.event_account``); :meth:`compute` brings it back with the usages.
    """

    usages: db.Bag
    rejected: Delayed
    failed: Delayed
    account: Delayed
    job: Job
    split: Mapping[str, int]
    """The subscriptions cut into pieces, and into how many."""
    whole_graph: bool = False
    """Compute without graph optimisation: a bag on top of a P2P shuffle needs it (Dask
    issue 11825); ``usages`` of a ``shuffle="p2p"`` run must be computed so too."""

    def to_lago(self) -> db.Bag:
        """A bag of ``(external_subscription_id, Lago JSON object)``."""
        return self.usages.map(_lago)

    def digest(self) -> str:
        """The period digest, computed on the cluster: only one digest per subscription comes
        back. Equal to ``period_digest`` of the same usages rated in one process, the failed
        subscriptions counted as failed (``period_digest(..., failed=...)``)."""
        pairs, failed = compute(
            self.usages.map_partitions(_digest_pairs),
            self.failed,
            optimize_graph=not self.whole_graph,
        )
        return period_digest(pairs, failed=failed)

    def compute(self) -> SubscriptionUsages:
        """Every usage, brought back: ``{external_subscription_id: usage}``, with the
        subscriptions too large to price in its ``failed`` (computed in the same pass)."""
        pairs, failed, account = compute(
            self.usages, self.failed, self.account, optimize_graph=not self.whole_graph
        )
        found = SubscriptionUsages()
        found.event_account = account
        for sub, usage in pairs:
            if sub in found or sub in failed:
                msg = "appears in more than one input partition: use layout='any'"
                raise InvalidInput.at("layout", msg, sub)
            found[sub] = usage
        found.failed.update(failed)
        return found


def _heavy(counts: Mapping[Any, int], partitions: int) -> dict[str, int]:
    # A subscription holding more than one partition's share of the events, and more than
    # one piece's worth, is cut into as many pieces as it holds shares, so that no partition
    # gets much more than its share. A piece is rated into a state that can be merged, which
    # costs about three times a plain rating per event: below _EVENTS_PER_PIECE, a partition
    # rates the whole subscription sooner than pieces would.
    total = sum(counts.values())
    share = max(math.ceil(total / max(partitions, 1)), _EVENTS_PER_PIECE, 1)
    return {
        sub: math.ceil(count / share)
        for sub, count in counts.items()
        if isinstance(sub, str) and count > share
    }


_SUBSCRIPTION_FIELD: Final = re.compile(rb'"external_subscription_id"\s*:\s*"((?:[^"\\]|\\.)*)"')


@_without_gc
def _count_file(name: str) -> Counter[str]:
    # Events per subscription, read off the text without parsing it: the count only decides
    # which subscriptions to split, never a result, so a rare miss costs balance, not exactness.
    if is_parquet(name):
        table = read_columns(name)
        values = table.column("external_subscription_id").to_pylist()
        return Counter(sub for sub in map(id_text, values) if sub is not None)
    counts: Counter[str] = Counter()
    search = _SUBSCRIPTION_FIELD.search
    try:
        with open_bytes(name) as stream:
            for _, line in JsonLines(stream):
                found = search(line)
                if found is None:
                    continue
                raw = found.group(1)
                if b"\\" in raw:
                    try:
                        text = loads(b'"' + raw + b'"')
                    except ValueError:
                        continue  # not an id the events can carry: the rating will say so
                else:
                    text = raw.decode("utf-8")
                counts[text] += 1
    except (ValueError, OSError, EOFError, zlib.error):
        return _read_counts(name)  # let the reading report what is wrong with the file
    return counts


def _read_counts(name: str) -> Counter[str]:
    return Counter(sub for sub in map(_subscription, _read_file(name)) if sub is not None)


def _counts(bag: db.Bag, files: list[str] | None) -> Mapping[Any, int]:
    if files is None:
        return dict(bag.map(_subscription).frequencies().compute())
    total: Counter[str] = Counter()
    for counts in compute(*[delayed(_count_file)(name) for name in files]):
        total.update(counts)
    return total


def _split_map(
    split_heavy: Any, bag: db.Bag, files: list[str] | None, partitions: int, job: Job
) -> dict[str, int]:
    if split_heavy is None:
        return {}
    if split_heavy == "auto":
        counts = _counts(bag, files)
        return _heavy({sub: n for sub, n in counts.items() if sub in job.periods}, partitions)
    if isinstance(split_heavy, Mapping):
        for sub, pieces in split_heavy.items():
            if not isinstance(sub, str) or type(pieces) is not int or pieces < 1:
                path = f"split_heavy[{sub!r}]"
                msg = "must map subscription ids to a number of pieces (1 or more)"
                raise InvalidInput.at(path, msg, pieces)
        return {
            sub: pieces for sub, pieces in split_heavy.items() if pieces > 1 and sub in job.periods
        }
    msg = "must be 'auto', None, or a mapping of subscription id to pieces"
    raise InvalidInput.at("split_heavy", msg, split_heavy)


def rate(
    events: Any,
    subscriptions: SubscriptionsInput,
    *,
    at: InstantInput,
    kind: Kind = "current",
    now: InstantInput | None = None,
    method: Method = "lago",
    taxes: TaxesInput = (),
    layout: Layout = "any",
    order: Order = "position",
    split_heavy: Literal["auto"] | Mapping[str, int] | None = "auto",
    npartitions: int | None = None,
    shuffle: Literal["tasks", "p2p"] = "tasks",
    invalid_events: InvalidEvents = "raise",
    reader: Reader = "auto",
) -> Rated:
    """Every subscription's usage from ``events`` on Dask: the same as one process, in pieces.

    ``events``: a dask bag of event mappings, a dask DataFrame of events (``properties`` as a
    mapping or JSON text), or JSON Lines files (see :func:`read_events`). ``subscriptions``:
    each carrying its plan, as for :func:`usage_engine.rate_subscriptions`. ``kind``, ``at``,
    ``now``, ``method``, ``taxes`` and ``invalid_events`` are those of
    :func:`usage_engine.partition.plan_job`.

    ``order="position"`` takes the input as ingested in order (partition by partition, row by
    row); ``order="ingested_at"`` reads each event's ``ingested_at`` first (an instant, as
    event timestamps are spelt). ``layout="any"`` shuffles once; ``split_heavy``
    cuts subscriptions holding more than one partition's share (``"auto"``, one counting pass)
    or those given. ``npartitions`` defaults to the input's.

    The rating runs when the result is computed (``rate(...).digest()``, ``.compute()``); only
    the counting pass of ``split_heavy="auto"`` runs at once. A subscription too large to price
    then raises :class:`InvalidInput` naming it, its charge and its event; with
    ``invalid_events="collect"`` it is in :attr:`Rated.failed` instead, the others priced.

    Files (JSON Lines or Parquet) are read with pyarrow when it keeps every value exact
    (``reader="auto"``, see :func:`usage_engine.arrow.read_columns`): such a partition is
    shuffled as Arrow IPC and rated from its columns. ``reader="python"`` reads JSON Lines
    as event mappings.
    """
    if layout not in _LAYOUTS:
        msg = suggest("must be 'by_subscription' or 'any'", layout, _LAYOUTS)
        raise InvalidInput.at("layout", msg, layout)
    if order not in _ORDERS:
        msg = suggest("must be 'position' or 'ingested_at'", order, _ORDERS)
        raise InvalidInput.at("order", msg, order)
    if npartitions is not None and (type(npartitions) is not int or npartitions < 1):
        raise InvalidInput.at("npartitions", "must be a positive integer", npartitions)
    shuffle_method = _shuffle_method(shuffle)
    job = plan_job(
        subscriptions,
        at=at,
        kind=kind,
        now=now,
        method=method,
        taxes=taxes,
        invalid_events=invalid_events,
    )
    if reader not in _READERS:
        msg = suggest("must be 'auto' or 'python'", reader, _READERS)
        raise InvalidInput.at("reader", msg, reader)
    bag, files = _as_bag(events)
    if bag.npartitions == 0:
        bag = db.from_sequence([], npartitions=1)  # nothing to read, every usage to give
    parts = bag.to_delayed(optimize_graph=False)
    if files is not None:
        # Files are read by the task that keys or rates them: a table where pyarrow reads
        # it exactly (mappings are needed for order="ingested_at").
        chosen: Reader = reader if order == "position" else "python"
        parts = [delayed(_read_partition)(name, chosen) for name in files]
    # One node holds the job, so that it travels to each worker once, not once per task.
    # Named, not hashed: hashing would pickle every plan and period once more on the client.
    the_job = delayed(job, name=f"usage-job-{uuid.uuid4().hex}", traverse=False)
    split: frozenset[str] = frozenset()
    pieces: dict[str, int] = {}
    if layout == "by_subscription":
        results = [
            delayed(_rate_input)(part, index, the_job, order) for index, part in enumerate(parts)
        ]
    else:
        buckets = npartitions or max(len(parts), 1)
        pieces = _split_map(split_heavy, bag, files, buckets, job)
        split = frozenset(pieces)
        # Payloads are bytes: never turned into Arrow strings.
        with dask.config.set({"dataframe.convert-string": False}):
            if files is None:
                indexes = db.range(bag.npartitions, npartitions=bag.npartitions)
                keyed = bag.map_partitions(_keyed, indexes, order, buckets, pieces).to_dataframe(
                    meta=_META
                )
            else:
                keyed = dd.from_delayed(
                    [
                        delayed(_keyed_frame)(part, index, order, buckets, pieces)
                        for index, part in enumerate(parts)
                    ],
                    meta=_META,
                    verify_meta=False,
                )
            shuffled = keyed.shuffle("bucket", npartitions=buckets, shuffle_method=shuffle_method)
            frames = shuffled.to_delayed()
        results = [delayed(_rate_shuffled)(frame, the_job, split) for frame in frames]
    seen = [delayed(_subscriptions_seen)(result) for result in results]
    rest = delayed(_rest)(the_job, split, *seen)
    merged = delayed(_merged)(the_job, split, *[delayed(_partials)(result) for result in results])
    finished = [*results, merged, rest]
    usages = db.from_delayed([delayed(_whole)(result) for result in finished])
    rejected = delayed(_rejected)(*[delayed(_orphans)(result) for result in results])
    failed = delayed(_failed)(*[delayed(_failures)(result) for result in finished])
    account = delayed(_account)(*results)
    return Rated(
        usages=usages,
        rejected=rejected,
        failed=failed,
        account=account,
        job=job,
        split=pieces,
        whole_graph=shuffle_method == "p2p",
    )
