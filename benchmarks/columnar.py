"""Columnar input against DuckDB: (a') a pyarrow Table in memory, (b) JSON Lines and (b')
Parquet end to end, (d') one subscription's Table.

    python -m benchmarks.columnar --n 1000000 --subs 1000 --rounds 3

The same machinery as :mod:`benchmarks.run`: every variant is checked untimed against the plain
Python peer (amount_cents, units and events_count per subscription and charge) before any
timing, then timed in interleaved rounds; the report goes to
``benchmarks/results/<date>-columnar.md`` (and ``.json``). Needs the ``arrow`` and ``bench``
extras.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .engine import engine_result
from .peers import naive
from .peers.pricing import Result, charge_totals, compile_plan
from .run import (
    RESULTS,
    Scenario,
    Variant,
    Workload,
    _say,
    _source,
    check_then_time,
    key_ratios,
    line_variants,
    load_workload,
    machine,
    report_json,
    scenario_table,
    summary,
)
from .workload import NOW, load_plan

SCENARIOS = ("a'", "b", "b'", "d'")


def _engine(models: Any, events: Any) -> Any:
    from usage_engine.batch import rate_subscriptions

    return rate_subscriptions(models, events, now=NOW)


def _read(path: Path) -> Any:
    from usage_engine.arrow import read_columns

    table = read_columns(str(path))
    if table is None:
        msg = f"{path}: pyarrow cannot read it exactly; the scenario needs a file it can"
        raise SystemExit(msg)
    return table


def scenario_table_in_memory(w: Workload, expected: Result, duck: Any, table: Any) -> Scenario:
    """(a') the workload as a pyarrow Table already in memory (reading it is not timed)."""
    from .peers import duckdb_ref

    engine_name, dicts_name = "engine rate_subscriptions, pyarrow Table", "engine, event dicts"
    duck_name = "DuckDB, in-memory table"
    return Scenario(
        key="a'",
        title=f"{w.n:,} events as a pyarrow Table in memory, {w.subs:,} subscriptions",
        note=(
            "The Table is read from the JSON Lines file by `usage_engine.arrow.read_columns` "
            "before the rounds (untimed), as DuckDB's table is loaded. The engine over the "
            "same events as dicts runs in the same rounds."
        ),
        events=w.n,
        expected=expected,
        variants=[
            Variant(engine_name, "engine", lambda _: _engine(w.models, table),
                    result=engine_result),
            Variant(dicts_name, "engine", lambda _: _engine(w.models, w.events),
                    result=engine_result),
            Variant(duck_name, "duckdb", lambda _: duckdb_ref.rate_table(duck, w.charges,
                                                                         w.sub_ids)),
        ],
        ratios=[
            ("(a') engine over a Table ÷ DuckDB over its table", engine_name, duck_name),
            ("(a') engine over a Table ÷ engine over dicts", engine_name, dicts_name),
        ],
    )  # fmt: skip


def scenario_json_lines(w: Workload, expected: Result, duck: Any) -> Scenario:
    """(b) end to end from the JSON Lines file: reading and parsing are timed."""
    from .peers import duckdb_ref

    path = w.path

    def engine_arrow(_: Any) -> Any:
        return _engine(w.models, _read(path))

    arrow_name, duck_name = "engine, arrow extra (read_columns)", "DuckDB, one SQL over the file"
    variants = [
        Variant(arrow_name, "engine", engine_arrow, result=engine_result),
        *line_variants(w.models, path),
    ]
    variants.append(
        Variant(duck_name, "duckdb", lambda _: duckdb_ref.rate_file(duck, path, w.charges,
                                                                    w.sub_ids))
    )  # fmt: skip
    return Scenario(
        key="b",
        title=f"{w.n:,} events from JSON Lines ({path.stat().st_size / 1e6:.0f} MB), end to end",
        note="Reading and parsing the file are timed for everyone (the file is in the page cache).",
        events=w.n,
        expected=expected,
        variants=variants,
        ratios=[("(b) engine with the arrow extra ÷ DuckDB", arrow_name, duck_name)],
    )


def scenario_parquet(w: Workload, expected: Result, duck: Any, parquet: Path) -> Scenario:
    """(b') the same events from a Parquet file, end to end."""
    from .peers import duckdb_ref

    arrow_name, duck_name = "engine, arrow extra (read_columns)", "DuckDB, one SQL over the file"
    source = f"read_parquet('{parquet}')"

    def duck_parquet(_: Any) -> Result:
        fetched = duck.execute(duckdb_ref.agg_sql(source, w.charges)).fetchall()
        return duckdb_ref._price(fetched, w.charges, w.sub_ids)

    return Scenario(
        key="b'",
        title=f"{w.n:,} events from Parquet ({parquet.stat().st_size / 1e6:.0f} MB), end to end",
        note=(
            "The Parquet file was written (untimed) from the Table `read_columns` read; reading "
            "it is timed for both."
        ),
        events=w.n,
        expected=expected,
        variants=[
            Variant(arrow_name, "engine", lambda _: _engine(w.models, _read(parquet)),
                    result=engine_result),
            Variant(duck_name, "duckdb", duck_parquet),
        ],
        ratios=[("(b') engine with the arrow extra ÷ DuckDB", arrow_name, duck_name)],
    )  # fmt: skip


def scenario_single_table(n: int, seed: int) -> Scenario:
    """(d') one subscription's ``n`` events as a pyarrow Table: its current usage."""
    import pyarrow as pa

    from usage_engine import current_usage

    from .single import current_alone, single_workload

    one = single_workload(n, seed=seed)
    charges = compile_plan(load_plan())
    expected = naive.rate(charges, one.events, [one.sub_id])
    table = pa.Table.from_pylist(one.events)

    def result(usage: Any) -> Result:
        return engine_result({one.sub_id: usage})

    table_name, dicts_name = "engine current_usage, pyarrow Table", "engine current_usage, dicts"
    return Scenario(
        key="d'",
        title=f"one subscription, {n:,} events as a pyarrow Table: current usage",
        note="The plan is validated beforehand; building the Table is not timed.",
        events=n,
        expected=expected,
        variants=[
            Variant(table_name, "engine",
                    lambda _: current_usage(one.plan, table, one.period, now=NOW), result=result),
            Variant(dicts_name, "engine", lambda _: current_alone(one), result=result),
        ],
        ratios=[("(d') Table ÷ dicts", table_name, dicts_name)],
    )  # fmt: skip


def arguments(description: str, name: str) -> argparse.ArgumentParser:
    """The options of a columnar benchmark whose report is ``results/<date>-NAME.md``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n", type=int, default=1_000_000, help="events (default 1,000,000)")
    parser.add_argument("--subs", type=int, default=1_000, help="subscriptions (default 1,000)")
    parser.add_argument("--single-n", type=int, default=100_000, help="events of (d')")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--peer-threads", type=int, default=0, help="0: every core")
    parser.add_argument("--out", type=Path, help=f"default: results/<date>-{name}.md")
    parser.add_argument("--no-write", action="store_true", help="print the report only")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    argv = sys.argv[1:] if argv is None else argv
    args = arguments((__doc__ or "").splitlines()[0], "columnar").parse_args(argv)
    threads = str(args.peer_threads) if args.peer_threads else f"all {os.cpu_count()} cores"

    import pyarrow.parquet as pq

    from .peers import duckdb_ref

    source = _source()
    w = load_workload(args.n, args.subs, args.seed)
    aggregator = naive.NaiveAggregator(w.charges)
    aggregator.add(w.events)
    expected = charge_totals(w.charges, aggregator.rows(), w.sub_ids)
    del aggregator
    _say("building the DuckDB table, the pyarrow Table and the Parquet file (untimed) ...")
    duck = duckdb_ref.connect(args.peer_threads)
    duckdb_ref.load_table(duck, w.path, w.charges)
    table = _read(w.path)
    parquet = w.path.with_suffix(".parquet")
    pq.write_table(table, parquet)
    scenarios = [
        scenario_table_in_memory(w, expected, duck, table),
        scenario_json_lines(w, expected, duck),
        scenario_parquet(w, expected, duck, parquet),
        scenario_single_table(args.single_n, args.seed),
    ]
    check_then_time(scenarios, args.rounds)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# usage_engine columnar benchmark, {when}",
        "",
        f"Command: `python -m benchmarks.columnar {' '.join(argv)}`",
        "",
        *machine(threads, source),
        f"- {args.rounds} interleaved rounds (order rotated); every output was checked against "
        "the plain Python peer before timing and again after each timed call",
        "",
        *summary(scenarios),
        "Key ratios (each of two variants timed in the same rounds):",
        "",
        *[f"- {label}: {value:.2f}" for label, value in key_ratios(scenarios)],
        "",
    ]
    for scenario in scenarios:
        lines += scenario_table(scenario)
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        out = args.out or RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-columnar.md"
        out.write_text(text + "\n")
        document = report_json(scenarios, argv, threads, source)
        out.with_suffix(".json").write_text(document + "\n")
        _say(f"wrote {out}")


if __name__ == "__main__":
    main()
