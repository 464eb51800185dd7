"""A measured prototype of vectorised rating: a pyarrow Table rated with ``pyarrow.compute``
alone, against the engine over the same Table and DuckDB over its in-memory table.

    python -m benchmarks.vectorised --n 1000000 --subs 1000 --rounds 3

The prototype (:func:`rate_table`) does what the peers do, without a Python step per event:
deduplicate by (``external_subscription_id``, ``transaction_id``), the first row in table
order winning; keep the rows inside each subscription's charges window (the engine's
``billing_period`` at ``now``); count, sum, max or count the unique values per (subscription,
charge, filter bucket, pricing group); then price the aggregated rows with the peers' Decimal
code (:func:`benchmarks.peers.pricing.charge_totals`), so that its output compares with the
plain Python peer's. It times its stages separately (:class:`Stages`).

Scenarios, with :mod:`benchmarks.columnar`'s discipline (every variant checked untimed against
the plain Python peer, then interleaved rounds, each output checked again):

- **(a') 10^6 events as a Table, 1,000 subscriptions**: the engine's ``rate_subscriptions``,
  the prototype, DuckDB over its in-memory table;
- **(d') one subscription's 10^5 events as a Table**: the engine's ``current_usage``, the
  prototype.

The report goes to ``benchmarks/results/<date>-vectorised.md`` (and ``.json``). Needs the
``arrow`` and ``bench`` extras.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from .engine import engine_result
from .peers import naive
from .peers.pricing import (
    DEFAULT_BUCKET,
    AggRow,
    Charge,
    Result,
    charge_totals,
    compile_plan,
)
from .run import (
    RESULTS,
    Scenario,
    Variant,
    _say,
    _source,
    check_then_time,
    key_ratios,
    load_workload,
    machine,
    report_json,
    scenario_table,
    summary,
)
from .workload import NOW, load_plan

__all__ = [
    "PROTOTYPE",
    "STAGES",
    "Stages",
    "Window",
    "main",
    "rate_subscriptions_table",
    "rate_table",
    "windows",
]

STAGES: Final = ("periods", "dedup", "window", "aggregation", "pricing")
"""The prototype's stages, in order: the subscriptions' charges windows (Python, one
``billing_period`` per subscription), deduplication, the window and metric-code filter, the
group-by aggregations (filter buckets and pricing groups included), then reading the
aggregated rows out and pricing them in Decimal."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROS: Final = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": None}
_PLAIN_DECIMAL: Final = r"^-?[0-9]+(\.[0-9]+)?$"
_INT64_MAX: Final = 2**63 - 1


@dataclass
class Stages:
    """Seconds spent per stage, one entry per rated call (when ``on``)."""

    on: bool = True
    seconds: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STAGES})
    # What the prototype did to the value columns (casts), in the order it met them.
    notes: list[str] = field(default_factory=list)

    def add(self, stage: str, seconds: float) -> None:
        """Record one stage's time."""
        if self.on:
            self.seconds[stage].append(seconds)

    def note(self, text: str) -> None:
        """Remember what was done to a column (once)."""
        if text not in self.notes:
            self.notes.append(text)

    def clear(self) -> None:
        """Forget the times (those of the untimed check, before the rounds)."""
        self.seconds = {stage: [] for stage in STAGES}

    def medians(self) -> dict[str, float]:
        """The median seconds of each stage that ran."""
        return {s: statistics.median(t) for s, t in self.seconds.items() if t}


@dataclass(frozen=True)
class Window:
    """A subscription's charges window in integer microseconds, inclusive on both sides:
    ``charges_from_datetime`` truncated to the millisecond (as the engine does) to
    ``charges_to_datetime``."""

    from_us: int
    to_us: int

    @classmethod
    def of(cls, period: Any) -> Window:
        """The window of a ``BillingPeriod``.

        A subscription started within a second: its charges start at that instant, whose
        microseconds the window drops.

        >>> from usage_engine import billing_period
        >>> from benchmarks.workload import subscriptions
        >>> sub = dict(subscriptions(1)[0], subscription_at="2026-10-05T10:20:30.123456Z")
        >>> Window.of(billing_period(sub, "2026-10-20T12:00:00Z"))
        Window(from_us=1791195630123000, to_us=1793491199999999)
        """
        return cls(_micros(period.charges_from_datetime) // 1000 * 1000,
                   _micros(period.charges_to_datetime))  # fmt: skip


def _micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def windows(subscriptions: Iterable[Any], now: Any) -> dict[str, Window]:
    """Each subscription's charges window at ``now``: its billing period's, as the engine's.

    >>> from benchmarks.workload import subscriptions as some
    >>> windows(some(1), "2026-10-31T23:59:59Z")
    {'sub_000000': Window(from_us=1790812800000000, to_us=1793491199999999)}
    """
    from usage_engine import billing_period

    found = {}
    for subscription in subscriptions:
        sub_id = subscription["external_id"] if isinstance(subscription, Mapping) else None
        sub_id = sub_id or subscription.external_id
        found[str(sub_id)] = Window.of(billing_period(subscription, now))
    return found


# ------------------------------------------------------------------------------- prototype
def rate_table(
    table: Any,
    charges: Sequence[Charge],
    windows_by_sub: Mapping[str, Window],
    stages: Stages | None = None,
) -> Result:
    """Rate ``table``'s events for the subscriptions of ``windows_by_sub`` in pyarrow.compute.

    The same figures as the plain Python peer (:func:`benchmarks.peers.naive.rate`): the
    first of two rows with the same subscription and ``transaction_id`` wins, even when it
    falls outside the window and a later copy inside it:

    >>> import pyarrow as pa
    >>> window = Window(from_us=1_000_000_000, to_us=1_999_999_999)
    >>> rows = [{"transaction_id": "t", "external_subscription_id": "s", "code": "api_calls",
    ...          "timestamp": stamp, "properties": {"gb": "0.5"}} for stamp in (999, 1000)]
    >>> charges = compile_plan(load_plan())
    >>> rate_table(pa.Table.from_pylist(rows), charges, {"s": window})["s"]["api_calls_standard"]
    ChargeTotal(amount_cents=0, units='0', events=0)
    >>> rows.reverse()
    >>> rate_table(pa.Table.from_pylist(rows), charges, {"s": window})["s"]["api_calls_standard"]
    ChargeTotal(amount_cents=0, units='1', events=1)

    A value whose text is not a plain decimal counts neither in the sum nor in the events:

    >>> rows = [{"transaction_id": f"t{gb}", "external_subscription_id": "s",
    ...          "code": "storage_gb", "timestamp": 1500, "properties": {"gb": gb}}
    ...         for gb in ("0.5", "1e3", "2.25")]
    >>> rate_table(pa.Table.from_pylist(rows), charges, {"s": window})["s"]["storage_graduated"]
    ChargeTotal(amount_cents=114, units='2.75', events=2)
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    stages = stages or Stages(on=False)
    sub_ids = list(windows_by_sub)
    started = time.perf_counter()

    # Dedup. Rows of subscriptions not rated are dropped first (the engine ignores them).
    sub_index = pc.index_in(table.column("external_subscription_id"), value_set=pa.array(sub_ids))
    sub_index = sub_index.combine_chunks() if isinstance(sub_index, pa.ChunkedArray) else sub_index
    first = _first_rows(pa, pc, sub_index, table.column("transaction_id"))
    after_dedup = time.perf_counter()
    stages.add("dedup", after_dedup - started)

    # Window: the timestamp in microseconds against its subscription's bounds.
    stamps = _stamps_us(pa, pc, table.column("timestamp"))
    codes = sorted({charge.metric_code for charge in charges})
    # Each row's metric as an index (null for a code no charge reads): one lookup per row,
    # then integer comparisons per charge instead of text ones.
    code_index = pc.index_in(table.column("code"), value_set=pa.array(codes))
    low = pa.array([windows_by_sub[sub].from_us for sub in sub_ids], pa.int64())
    high = pa.array([windows_by_sub[sub].to_us for sub in sub_ids], pa.int64())
    keep = pc.and_(
        first,
        pc.and_(
            pc.greater_equal(stamps, pc.take(low, sub_index)),
            pc.less_equal(stamps, pc.take(high, sub_index)),
        ),
    )
    keep = pc.fill_null(pc.and_(keep, pc.is_valid(code_index)), False)
    after_window = time.perf_counter()
    stages.add("window", after_window - after_dedup)

    # Aggregation: one group-by per charge over its metric's kept rows.
    properties = table.column("properties")
    grouped = []
    for charge in charges:
        mask = pc.and_(keep, pc.equal(code_index, codes.index(charge.metric_code)))
        grouped.append(_aggregate(pa, pc, charge, mask, sub_index, properties, stages))
    after_aggregation = time.perf_counter()
    stages.add("aggregation", after_aggregation - after_window)

    # Pricing: read the aggregated rows out, price them in Decimal, roll them up per charge.
    rows = [row for charge, out in zip(charges, grouped, strict=True)
            for row in _agg_rows(charge, out, sub_ids)]  # fmt: skip
    result = charge_totals(list(charges), rows, sub_ids)
    stages.add("pricing", time.perf_counter() - after_aggregation)
    return result


def _first_rows(pa: Any, pc: Any, sub_index: Any, transaction_ids: Any) -> Any:
    """Whether each row is the first of its (subscription, transaction_id) in table order.

    Hashing 10^6 transaction ids as text costs more than the rest of the stage, so a cheap
    64-bit key (the subscription's index mixed with the id's last 8 bytes) finds the rows
    that may repeat an earlier one; only those, and the rows sharing their cheap key, are
    compared by their full ids. Equal ids give equal cheap keys, so the result is exact.
    """
    ids = transaction_ids.combine_chunks()
    if len(ids) == 0:
        return pa.array([], pa.bool_())
    if ids.null_count:
        msg = "transaction_id: the prototype needs one on every event"
        raise NotImplementedError(msg)
    tail = pc.binary_slice(ids.cast(pa.binary()), -8)
    if (pc.min(pc.binary_length(ids)).as_py() or 0) < 8:  # pad the short ones with zeros
        padded = pc.binary_join_element_wise(pa.scalar(b"\0" * 8), tail, pa.scalar(b""))
        tail = pc.binary_slice(padded, -8)
    fixed = tail.cast(pa.binary(8))
    tails = pa.Array.from_buffers(pa.int64(), len(fixed), [None, fixed.buffers()[1]], 0, 0)
    subs = pc.cast(pc.fill_null(sub_index, -1), pa.int64())
    cheap = pc.bit_wise_xor(tails, pc.multiply_checked(subs, 0x9E3779B1))
    code = cheap.dictionary_encode().indices
    # Codes are numbered in order of first appearance: a row is a first appearance exactly
    # when the running maximum of the codes rises at it.
    running = pc.cumulative_max(code)
    before = pa.concat_arrays([pa.array([-1], running.type), running.slice(0, len(running) - 1)])
    new_cheap = pc.greater(running, before)
    repeats = pc.filter(code, pc.invert(new_cheap))
    if len(repeats) == 0:
        return new_cheap
    # Rows whose cheap key appears more than once: compare their full keys, in table order.
    suspect = pc.indices_nonzero(pc.is_in(code, value_set=pc.unique(repeats)))
    small = pa.table(
        {
            "s": pc.take(subs, suspect),
            "t": pc.take(ids, suspect),
            "row": suspect,
        }
    )
    firsts = small.group_by(["s", "t"], use_threads=False).aggregate([("row", "min")])
    losers = pc.filter(suspect, pc.invert(pc.is_in(suspect, value_set=firsts["row_min"])))
    # False at the losers' positions, null elsewhere: one write per loser, not a pass per row.
    dropped = pc.scatter(
        pa.nulls(len(losers), pa.bool_()).fill_null(False),
        pc.cast(losers, pa.int64()),
        max_index=len(code) - 1,
    )
    return pc.fill_null(dropped, True)


def _stamps_us(pa: Any, pc: Any, column: Any) -> Any:
    kind = column.type
    if pa.types.is_integer(kind):
        return pc.multiply_checked(pc.cast(column, pa.int64()), 1_000_000)
    if pa.types.is_timestamp(kind) and _MICROS[kind.unit] is not None:
        return pc.multiply_checked(pc.cast(column, pa.int64()), _MICROS[kind.unit])
    msg = f"timestamp: the prototype reads unix seconds or a timestamp column, not {kind}"
    raise NotImplementedError(msg)


def _values(pa: Any, pc: Any, charge: Charge, column: Any, stages: Stages) -> tuple[Any, Any]:
    """The field's values, in a type whose sum and max are exact, and which rows hold a
    number (None: all of them).

    Lago counts an event for a sum or a max only when its value's text is a plain decimal
    (``-?digits(.digits)?``, see Lago's documentation of metric fields): text that is not
    is left out, from the units and from the events count.
    """
    kind = column.type
    name = f"{charge.metric_code}.{charge.field}"
    if pa.types.is_decimal(kind):
        stages.note(f"`{name}`: {kind}, summed as it is")
        return column, None
    if pa.types.is_integer(kind):
        if charge.aggregation == "sum_agg":
            # An int64 sum wraps silently past 2^63: widen when it could get there.
            largest = pc.max(pc.abs_checked(pc.cast(column, pa.int64()))).as_py() or 0
            if largest * len(column) > _INT64_MAX:
                stages.note(f"`{name}`: {kind}, summed as decimal128(38, 0) (could overflow)")
                return pc.cast(column, pa.decimal128(38, 0)), None
        stages.note(f"`{name}`: {kind}, exact as it is")
        return column, None
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        ok = pc.match_substring_regex(column, _PLAIN_DECIMAL)
        if pc.all(ok).as_py():
            ok = None
        else:
            column = pc.filter(column, ok)
        dot = pc.find_substring(column, ".")
        places = pc.if_else(
            pc.less(dot, 0), 0, pc.subtract(pc.subtract(pc.utf8_length(column), dot), 1)
        )
        scale = pc.max(places).as_py() or 0
        if scale > 18:
            msg = f"{name}: {scale} decimal places; the prototype sums in decimal128(38, 18)"
            raise NotImplementedError(msg)
        stages.note(
            f"`{name}`: text, cast to decimal128(38, {scale}) (scale = the most decimal places "
            "in the column; pyarrow refuses a cast that would lose a digit)"
        )
        return pc.cast(column, pa.decimal128(38, scale)), ok
    msg = f"{name}: the prototype sums and compares integers, decimals and decimal text, not {kind}"
    raise NotImplementedError(msg)


def _field(pa: Any, pc: Any, rows: Any, key: str, kind: Any) -> Any:
    """A property of each row; all null where no event has it (``kind`` then)."""
    struct = rows.type
    if pa.types.is_struct(struct) and struct.get_field_index(key) >= 0:
        return pc.struct_field(rows, key)
    return pa.nulls(len(rows), kind)


def _bucket(pa: Any, pc: Any, charge: Charge, kept: Callable[[str, Any], Any]) -> Any:
    """Each row's filter bucket: the first filter all of whose keys match, else the default."""
    if not charge.filters:
        return None
    conditions = []
    for _, values, _ in charge.filters:
        matches = [pc.is_in(kept(key, pa.string()),
                            value_set=pa.array(sorted(allowed)))
                   for key, allowed in values.items()]  # fmt: skip
        condition = matches[0]
        for more in matches[1:]:
            condition = pc.and_(condition, more)
        conditions.append(pc.fill_null(condition, False))
    names = [f"c{index}" for index in range(len(conditions))]
    return pc.case_when(
        pc.make_struct(*conditions, field_names=names),
        *[pa.scalar(index, pa.int32()) for index in range(len(conditions))],
        pa.scalar(DEFAULT_BUCKET, pa.int32()),
    )


def _aggregate(
    pa: Any,
    pc: Any,
    charge: Charge,
    mask: Any,
    sub_index: Any,
    properties: Any,
    stages: Stages,
) -> Any:
    """Group the charge's kept rows by (subscription, bucket, groups): units and events."""
    measured = charge.aggregation in ("sum_agg", "max_agg")
    if measured:
        # A sum or a max counts only the events that have the field.
        assert charge.field is not None
        mask = pc.and_(mask, pc.is_valid(_field(pa, pc, properties, charge.field, pa.int64())))
    columns = {"s": pc.filter(sub_index, mask)}
    fields: dict[str, Any] = {}

    def kept(key: str, kind: Any) -> Any:
        # Only the properties the charge reads are filtered, each once: filtering the whole
        # struct would copy every property of every kept event.
        if key not in fields:
            fields[key] = pc.filter(_field(pa, pc, properties, key, kind), mask)
        return fields[key]

    bucket = _bucket(pa, pc, charge, kept)
    if bucket is not None:
        columns["b"] = bucket
    for index, key in enumerate(charge.group_keys):
        columns[f"g{index}"] = kept(key, pa.string())
    aggregations: list[Any] = [([], "count_all")]
    if charge.aggregation != "count_agg":
        assert charge.field is not None
        values = kept(charge.field, pa.int64())
        if charge.aggregation == "unique_count_agg":
            aggregations.append(("v", "count_distinct", pc.CountOptions(mode="only_valid")))
        elif charge.aggregation == "sum_agg":
            aggregations.append(("v", "sum", pc.ScalarAggregateOptions(min_count=0)))
        elif charge.aggregation == "max_agg":
            aggregations.append(("v", "max"))
        else:
            raise NotImplementedError(charge.aggregation)
        if measured:
            values, ok = _values(pa, pc, charge, values, stages)
            if ok is not None:  # text that is not a number: those events do not count
                columns = {name: pc.filter(column, ok) for name, column in columns.items()}
        columns["v"] = values
    keys = [name for name in columns if name != "v"]
    return pa.table(columns).group_by(keys, use_threads=False).aggregate(aggregations)


def _agg_rows(charge: Charge, grouped: Any, sub_ids: list[str]) -> Iterator[AggRow]:
    """The grouped table as the peers' rows."""
    subs = grouped.column("s").to_pylist()
    events = grouped.column("count_all").to_pylist()
    n = len(subs)
    names = grouped.column_names
    buckets = grouped.column("b").to_pylist() if "b" in names else [DEFAULT_BUCKET] * n
    groups = list(
        zip(*(grouped.column(f"g{i}").to_pylist() for i in range(len(charge.group_keys))),
            strict=True)
    ) if charge.group_keys else [()] * n  # fmt: skip
    unit_column = next((name for name in names if name.startswith("v_")), None)
    units = grouped.column(unit_column).to_pylist() if unit_column else events
    for index in range(n):
        yield AggRow(
            sub_ids[subs[index]],
            charge.index,
            buckets[index],
            groups[index],
            0 if units[index] is None else units[index],
            events[index],
        )


def rate_subscriptions_table(
    table: Any,
    charges: Sequence[Charge],
    subscriptions: Sequence[Any],
    now: Any,
    stages: Stages | None = None,
) -> Result:
    """The subscriptions' windows at ``now`` (timed as the stage ``periods``), then
    :func:`rate_table`."""
    started = time.perf_counter()
    found = windows(subscriptions, now)
    if stages is not None:
        stages.add("periods", time.perf_counter() - started)
    return rate_table(table, charges, found, stages)


# ------------------------------------------------------------------------------- scenarios
PROTOTYPE: Final = "prototype, pyarrow.compute"


def scenario_table_in_memory(w: Any, expected: Result, duck: Any, table: Any,
                             stages: Stages) -> Scenario:  # fmt: skip
    """(a') the workload as a Table in memory: the engine, the prototype, DuckDB."""
    from .columnar import _engine
    from .peers import duckdb_ref

    engine_name, duck_name = "engine rate_subscriptions, pyarrow Table", "DuckDB, in-memory table"
    return Scenario(
        key="a'",
        title=f"{w.n:,} events as a pyarrow Table in memory, {w.subs:,} subscriptions",
        note=(
            "The Table is read from the JSON Lines file by `usage_engine.arrow.read_columns` "
            "before the rounds (untimed), as DuckDB's table is loaded. The prototype computes "
            "the subscriptions' windows (`billing_period` at `now`, in Python) inside its timed "
            "call, as the engine does; DuckDB's SQL has the period as constants."
        ),
        events=w.n,
        expected=expected,
        variants=[
            Variant(engine_name, "engine", lambda _: _engine(w.models, table),
                    result=engine_result),
            Variant(PROTOTYPE, "prototype",
                    lambda _: rate_subscriptions_table(table, w.charges, w.models, NOW, stages)),
            Variant(duck_name, "duckdb",
                    lambda _: duckdb_ref.rate_table(duck, w.charges, w.sub_ids)),
        ],
        ratios=[
            ("(a') prototype ÷ DuckDB", PROTOTYPE, duck_name),
            ("(a') engine over the Table ÷ prototype", engine_name, PROTOTYPE),
            ("(a') engine over the Table ÷ DuckDB (target ≤ 1.25)", engine_name, duck_name),
        ],
    )  # fmt: skip


def scenario_single_table(n: int, seed: int, stages: Stages) -> Scenario:
    """(d') one subscription's ``n`` events as a Table: the engine's current usage and the
    prototype, both given the billing period."""
    import pyarrow as pa

    from usage_engine import current_usage

    from .single import single_workload

    one = single_workload(n, seed=seed)
    charges = compile_plan(load_plan())
    expected = naive.rate(charges, one.events, [one.sub_id])
    table = pa.Table.from_pylist(one.events)
    window = {one.sub_id: Window.of(one.period)}

    def result(usage: Any) -> Result:
        return engine_result({one.sub_id: usage})

    engine_name = "engine current_usage, pyarrow Table"
    return Scenario(
        key="d'",
        title=f"one subscription, {n:,} events as a pyarrow Table: current usage",
        note=(
            "Both are given the validated plan and the billing period; building the Table is "
            "not timed. The target for the engine is 30 ms."
        ),
        events=n,
        expected=expected,
        variants=[
            Variant(engine_name, "engine",
                    lambda _: current_usage(one.plan, table, one.period, now=NOW),
                    result=result),
            Variant(PROTOTYPE, "prototype",
                    lambda _: rate_table(table, charges, window, stages)),
        ],
        ratios=[("(d') engine over the Table ÷ prototype", engine_name, PROTOTYPE)],
    )  # fmt: skip


def stage_table(scenario: Scenario, stages: Stages) -> list[str]:
    """The prototype's time per stage in one scenario (medians over the timed rounds)."""
    medians = stages.medians()
    total = sum(medians.values())
    whole = statistics.median(scenario.times[PROTOTYPE])
    lines = [
        f"#### ({scenario.key}) the prototype's stages",
        "",
        "| stage | median ms | share |",
        "|---|---:|---:|",
        *[f"| {stage} | {seconds * 1000:.1f} | {seconds / total:.0%} |"
          for stage, seconds in medians.items()],
        f"| sum of the stages | {total * 1000:.1f} | |",
        f"| the whole call (median) | {whole * 1000:.1f} | |",
        "",
        "Value columns: " + "; ".join(stages.notes) + ".",
        "",
    ]  # fmt: skip
    return lines


GAPS: Final = """\
## What an engine path like this would still have to handle

The prototype rates the benchmark plan's shapes only. A vectorised path in the engine would
also need:

- **the other aggregations**: `weighted_sum_agg` (a timeline per bucket in timestamp order,
  with an initial value carried from the last period), `latest_agg` (the last value by
  timestamp, ties by input order), `unique_count_agg` with `operation_type` add/remove (the
  last effective operation per value, in timestamp order), `custom_agg` and metric
  `expression`s, rounding (`rounding_function`, `rounding_precision`);
- **recurring metrics**: a sum or a unique count over all of the external id's history up to
  the period's end (the lower bound goes), and the carried-over totals of prorated charges;
- **per-event pricing inputs**: prorated charges (each event's value weighted by the days left),
  pay-in-advance charges (the highest level reached), percentage charges with free units per
  event or per-transaction minimum and maximum amounts, graduated percentage, dynamic charges
  (`precise_total_amount_cents`): these need each event's value in time order, not one number
  per bucket;
- **Lago's filter matching**: the most specific filter wins, identical filters go to the oldest,
  overlapping ones count an event twice; the prototype (like the peers) takes the first
  matching filter, which is the same only for disjoint filters such as the plan's. Values are
  compared as text in Lago (`1` matches `"1"`): an integer property against text values
  needs a cast the prototype does not do;
- **pricing groups** beyond one text key: values compared as text, a missing key or an empty
  string grouped as null, and the zero fee of an empty bucket (the peers' pricing does the
  last part here);
- **validation and the input's forms**: the engine checks every event and raises
  `InvalidInput` naming the field and the value (a missing `transaction_id`, a timestamp that
  is not a number or ISO 8601 text, a floating-point value column), and reads timestamps as
  unix seconds (integers, decimals, numeric text) or ISO 8601 text; the prototype reads
  integer seconds or an Arrow timestamp column only and refuses the rest as a whole;
- **the decimal type**: text values are cast to `decimal128(38, s)` with `s` the most decimal
  places in the column; a column with more than 18 places, or sums beyond 38 digits, would
  need `decimal256` or Python;
- **the rest of the API around the units**: the `Usage` models (filters, grouped usage,
  `amount_details`), taxes, currencies other than two-decimal ones, projections, past usage,
  and the incremental `UsageState`, which adds a few events to a warm state: there the engine
  is already faster than re-running any query.
"""


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    argv = sys.argv[1:] if argv is None else argv
    from .columnar import arguments

    args = arguments((__doc__ or "").splitlines()[0], "vectorised").parse_args(argv)
    threads = str(args.peer_threads) if args.peer_threads else f"all {os.cpu_count()} cores"

    import pyarrow as pa

    from .columnar import _read
    from .peers import duckdb_ref

    if args.peer_threads:
        pa.set_cpu_count(args.peer_threads)
    source = _source()
    w = load_workload(args.n, args.subs, args.seed)
    expected = naive.rate(w.charges, w.events, w.sub_ids)
    w.events = []  # the dicts are not rated here: free their memory
    _say("building the DuckDB table and the pyarrow Table (untimed) ...")
    duck = duckdb_ref.connect(args.peer_threads)
    duckdb_ref.load_table(duck, w.path, w.charges)
    table = _read(w.path)
    stages = {"a'": Stages(), "d'": Stages()}
    scenarios = [
        scenario_table_in_memory(w, expected, duck, table, stages["a'"]),
        scenario_single_table(args.single_n, args.seed, stages["d'"]),
    ]
    # The stages are timed over the timed rounds only.
    check_then_time(scenarios, args.rounds, lambda scenario: stages[scenario.key].clear())
    after = _source()
    if after != source:
        source += f"; CHANGED during the run, to {after.split('sha256 ')[-1]}"

    command = f"python -m benchmarks.vectorised {' '.join(argv)}"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    single = statistics.median(scenarios[1].times[PROTOTYPE])
    lines = [
        f"# usage_engine vectorised prototype benchmark, {when}",
        "",
        f"Command: `{command}`",
        "",
        *machine(threads, source),
        f"- pyarrow {pa.__version__}, its thread pool {pa.cpu_count()} threads (the "
        "prototype's group-bys run on one: `use_threads=False`)",
        f"- {args.rounds} interleaved rounds (order rotated); every output was checked against "
        "the plain Python peer (amount_cents, units and events_count per subscription and "
        "charge) before timing and again after each timed call",
        "",
        *summary(scenarios),
        "Key ratios (each of two variants timed in the same rounds):",
        "",
        *[f"- {label}: {value:.2f}" for label, value in key_ratios(scenarios)],
        f"- (d') the prototype's median: {single * 1000:.1f} ms (the target for the engine: 30 ms)",
        "",
    ]
    for scenario in scenarios:
        lines += scenario_table(scenario)
        lines += stage_table(scenario, stages[scenario.key])
    lines.append(GAPS)
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        out = args.out or RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-vectorised.md"
        out.write_text(text)
        document = json.loads(report_json(scenarios, argv, threads, source))
        document["command"] = command
        document["stages_ms"] = {
            key: {stage: round(s * 1000, 2) for stage, s in found.medians().items()}
            for key, found in stages.items()
        }
        document["value_columns"] = {key: found.notes for key, found in stages.items()}
        out.with_suffix(".json").write_text(json.dumps(document, indent=1) + "\n")
        _say(f"wrote {out}")


if __name__ == "__main__":
    main()
