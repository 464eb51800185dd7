"""The engine against plain Python, DuckDB and Polars on the reference workload.

    python -m benchmarks.run --n 1000000 --subs 1000 --rounds 5

Generates the workload (or loads it from ``benchmarks/data/``), checks that the engine and
every peer give the same amount_cents, units and events_count for every (subscription,
charge), and fails loudly if they do not. Then times each scenario in interleaved rounds (every
variant once per round, the order rotated from round to round) and writes a markdown report to
``benchmarks/results/<date>.md``. See ``benchmarks/README.md`` for the scenarios.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from itertools import chain
from pathlib import Path
from typing import Any

from .engine import engine_result, subscription_models
from .peers import naive
from .peers.pricing import Charge, Result, charge_totals, compile_plan, diff
from .workload import (
    NOW,
    data_path,
    generate,
    load_plan,
    new_events,
    read_jsonl,
    subscriptions,
    write_jsonl,
)

RESULTS = Path(__file__).resolve().parent / "results"


def _ignore() -> None:
    return None


def _same(value: Any) -> Any:
    return value


@dataclass
class Variant:
    """One way of computing a scenario's result; only ``run`` is timed."""

    name: str
    tool: str  # engine | naive | duckdb | polars
    run: Callable[[Any], Any]
    setup: Callable[[], Any] = _ignore
    result: Callable[[Any], Result] = _same


@dataclass
class Scenario:
    """Variants that must all give ``expected`` for the subscriptions in it."""

    key: str
    title: str
    note: str
    events: int
    variants: list[Variant]
    expected: Result
    times: dict[str, list[float]] = field(default_factory=dict)


class Disagreement(SystemExit):
    """A variant's result differs from the expected one."""


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _check(scenario: Scenario, variant: Variant, output: Any) -> None:
    got = variant.result(output)
    if got != scenario.expected:
        lines = diff(scenario.expected, got, limit=10)
        message = [
            f"DISAGREEMENT in scenario {scenario.key} ({scenario.title}): "
            f"{variant.name} differs from the expected result (plain Python peer)",
            *(f"  {line}" for line in lines or ["(same differences hidden: keys differ)"]),
        ]
        raise Disagreement("\n".join(message))


def _once(variant: Variant) -> tuple[float, Any]:
    state = variant.setup()
    gc.collect()
    started = time.perf_counter()
    output = variant.run(state)
    elapsed = time.perf_counter() - started
    del state
    return elapsed, output


def check(scenario: Scenario) -> None:
    """Run every variant once, untimed, and compare its result."""
    for variant in scenario.variants:
        elapsed, output = _once(variant)
        _check(scenario, variant, output)
        _say(f"  check {scenario.key} {variant.name}: agrees ({elapsed:.2f}s)")


def measure(scenario: Scenario, rounds: int) -> None:
    """Interleaved rounds, the order rotated each round; every output is checked again."""
    variants = scenario.variants
    scenario.times = {variant.name: [] for variant in variants}
    for index in range(rounds):
        shift = index % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            elapsed, output = _once(variant)
            _check(scenario, variant, output)
            del output
            scenario.times[variant.name].append(elapsed)
        last = ", ".join(f"{name} {times[-1]:.3f}s" for name, times in scenario.times.items())
        _say(f"  round {index + 1}/{rounds} of {scenario.key}: {last}")


# ------------------------------------------------------------------------------- scenarios
@dataclass
class Workload:
    """Everything the scenarios share, built once and untimed."""

    n: int
    subs: int
    path: Path
    new_path: Path
    plan: dict[str, Any]
    charges: list[Charge]
    sub_ids: list[str]
    models: list[Any]
    events: list[dict[str, Any]]
    new: list[dict[str, Any]]


def load_workload(n: int, subs: int, seed: int) -> Workload:
    """Generate the workload, or load it from ``benchmarks/data`` when already written."""
    path, new_path = data_path(n, subs, seed), data_path(1000, subs, seed, prefix="new_")
    if not _has_lines(path, n):
        _say(f"generating {n} events of {subs} subscriptions into {path} ...")
        write_jsonl(generate(n, subs, seed=seed), path)
    if not _has_lines(new_path, 1000):
        write_jsonl(new_events(1000, subs, seed=seed), new_path)
    plan = load_plan()
    subscription_list = subscriptions(subs, plan, seed=seed)
    _say(f"parsing {path} (untimed) ...")
    return Workload(
        n=n,
        subs=subs,
        path=path,
        new_path=new_path,
        plan=plan,
        charges=compile_plan(plan),
        sub_ids=[item["external_id"] for item in subscription_list],
        models=subscription_models(subscription_list),
        events=read_jsonl(path),
        new=read_jsonl(new_path),
    )


def _has_lines(path: Path, n: int) -> bool:
    if not path.exists():
        return False
    with open(path, "rb") as file:
        return sum(1 for _ in file) == n


def _engine(models: Sequence[Any], events: Iterable[Any]) -> Any:
    from usage_engine.batch import rate_subscriptions

    return rate_subscriptions(models, events, now=NOW)


def scenario_memory(w: Workload, expected: Result, duck: Any, frame: Any, rater: Any) -> Scenario:
    """(a) pre-parsed dicts in memory; the peers' table and DataFrame are built beforehand."""
    from .peers import duckdb_ref

    events, charges, subs = w.events, w.charges, w.sub_ids
    return Scenario(
        key="a",
        title=f"{w.n:,} event dicts in memory, {w.subs:,} subscriptions",
        note="Parsing is not timed; nor is building the DuckDB table or the Polars DataFrame.",
        events=w.n,
        expected=expected,
        variants=[
            Variant("engine rate_subscriptions", "engine", lambda _: _engine(w.models, events),
                    result=engine_result),
            Variant("plain Python", "naive", lambda _: naive.rate(charges, events, subs)),
            Variant("DuckDB, in-memory table", "duckdb",
                    lambda _: duckdb_ref.rate_table(duck, charges, subs)),
            Variant("Polars, DataFrame", "polars", lambda _: rater.rate(frame, subs)),
        ],
    )  # fmt: skip


def scenario_file(w: Workload, expected: Result, duck: Any, rater: Any) -> Scenario:
    """(b) end to end from the JSON Lines file."""
    from .peers import duckdb_ref, polars_ref

    charges, subs, path = w.charges, w.sub_ids, w.path

    def engine_jsonl(_: Any) -> Any:
        with open(path) as file:
            return _engine(w.models, (json.loads(line) for line in file))

    def engine_orjson(_: Any) -> Any:
        import orjson

        with open(path, "rb") as file:
            return _engine(w.models, (orjson.loads(line) for line in file))

    def naive_jsonl(_: Any) -> Result:
        aggregator = naive.NaiveAggregator(charges)
        with open(path) as file:
            aggregator.add(json.loads(line) for line in file)
        return charge_totals(charges, aggregator.rows(), subs)

    variants = [
        Variant("engine, json.loads per line", "engine", engine_jsonl, result=engine_result)
    ]
    if _installed("orjson"):
        variants.append(
            Variant("engine, orjson.loads per line", "engine", engine_orjson, result=engine_result)
        )
    variants += [
        Variant("plain Python, json.loads per line", "naive", naive_jsonl),
        Variant("DuckDB, one SQL over the file", "duckdb",
                lambda _: duckdb_ref.rate_file(duck, path, charges, subs)),
        Variant("Polars, read_ndjson + query", "polars",
                lambda _: rater.rate(polars_ref.read_frame(path, charges), subs)),
    ]  # fmt: skip
    return Scenario(
        key="b",
        title=f"{w.n:,} events from JSON Lines ({w.path.stat().st_size / 1e6:.0f} MB), end to end",
        note="Reading and parsing the file are timed for everyone (the file is in the page cache).",
        events=w.n,
        expected=expected,
        variants=variants,
    )


def scenario_incremental(w: Workload, duck: Any, frame: Any, rater: Any) -> Scenario:
    """(c) 1,000 new events on a warm state of the 10^6: bring the touched subscriptions up
    to date."""
    import polars as pl

    from .peers import duckdb_ref, polars_ref

    charges, base, new, new_path = w.charges, w.events, w.new, w.new_path
    by_id = {model.external_id: model for model in w.models}
    touched = sorted({event["external_subscription_id"] for event in new})
    everything = naive.NaiveAggregator(charges)
    everything.add(chain(base, new))
    expected = charge_totals(charges, everything.rows(touched), touched)
    del everything

    def partitioned() -> dict[str, list[dict[str, Any]]]:
        shares: dict[str, list[dict[str, Any]]] = {}
        for event in base:
            shares.setdefault(event["external_subscription_id"], []).append(event)
        return shares

    def warm_states() -> dict[str, Any]:
        from usage_engine import UsageState, billing_period

        states = {}
        for sid, events in partitioned().items():
            model = by_id.get(sid)
            if model is None:
                continue
            state = UsageState(model.plan, billing_period(model, NOW))
            state.add(events)
            state.current_usage()
            states[sid] = state
        return states

    def engine_incremental(states: dict[str, Any]) -> Any:
        shares: dict[str, list[dict[str, Any]]] = {}
        for event in new:
            shares.setdefault(event["external_subscription_id"], []).append(event)
        usages = {}
        for sid, events in shares.items():
            state = states.get(sid)
            if state is not None:
                state.add(events)
                usages[sid] = state.current_usage()
        return usages

    def warm_aggregator() -> naive.NaiveAggregator:
        aggregator = naive.NaiveAggregator(charges)
        aggregator.add(base)
        aggregator.dirty.clear()
        return aggregator

    def naive_incremental(aggregator: naive.NaiveAggregator) -> Result:
        aggregator.add(new)
        return charge_totals(charges, aggregator.rows(aggregator.dirty), aggregator.dirty)

    def fresh_table() -> None:
        duck.execute("CREATE OR REPLACE TABLE inc AS SELECT * FROM raw")

    def duckdb_insert(_: Any) -> Result:
        duckdb_ref.insert_file(duck, new_path, charges, table="inc")
        ids = sorted({event["external_subscription_id"] for event in new})
        return duckdb_ref.rate_table(duck, charges, ids, table="inc")

    def polars_concat(_: Any) -> Result:
        grown = pl.concat([frame, polars_ref.read_frame(new_path, charges)])
        ids = sorted({event["external_subscription_id"] for event in new})
        return rater.rate(grown, ids)  # type: ignore[no-any-return]

    return Scenario(
        key="c",
        title=f"1,000 new events on a warm {w.n:,}-event state "
        f"({len(touched)} subscriptions touched)",
        note=(
            "The engine keeps one warm UsageState per subscription: it adds the new events to "
            "the touched states and reads their current usage (only the charges that changed are "
            "priced again). Plain Python adds the new events to its warm aggregator and re-prices "
            "the touched subscriptions; DuckDB inserts them into its table and re-runs the query; "
            "Polars concatenates them to its DataFrame and re-runs the query. Rebuilding each "
            "warm state between rounds is not timed."
        ),
        events=len(new),
        expected=expected,
        variants=[
            Variant("engine, UsageState.add + current_usage", "engine", engine_incremental,
                    setup=warm_states, result=engine_result),
            Variant("plain Python, incremental aggregator", "naive", naive_incremental,
                    setup=warm_aggregator),
            Variant("DuckDB, INSERT + re-run", "duckdb", duckdb_insert, setup=fresh_table),
            Variant("Polars, concat + re-run", "polars", polars_concat),
        ],
    )  # fmt: skip


# ---------------------------------------------------------------------------------- report
def _installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> str:
    try:
        with open("/proc/meminfo") as file:
            kilobytes = int(file.readline().split()[1])
    except (OSError, ValueError, IndexError):
        return "?"
    return f"{kilobytes / 2**20:.0f} GB"


def _source() -> str:
    """The engine's code as measured: git commit, and a digest of its files as they are."""
    import hashlib
    import subprocess

    package = Path(__file__).resolve().parent.parent / "usage_engine"
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=package,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return f"git {commit}, usage_engine/*.py sha256 {digest.hexdigest()[:12]}"


def machine(threads: str, source: str) -> list[str]:
    """Lines describing the machine and the software."""
    packages = ["usage-engine", "pydantic", "pydantic-core", "duckdb", "polars", "orjson"]
    versions = ", ".join(f"{name} {_version(name)}" for name in packages)
    return [
        f"- machine: {os.cpu_count()} cores ({_cpu()}), {_memory_gb()} RAM, {platform.platform()}",
        f"- Python {platform.python_version()} ({platform.python_implementation()}); {versions}",
        f"- threads: the engine and plain Python use one; DuckDB and Polars use {threads}",
        f"- engine source: {source}",
    ]


def _ratio(engine: list[float], other: list[float]) -> float:
    return statistics.median(e / o for e, o in zip(engine, other, strict=True))


def scenario_table(scenario: Scenario) -> list[str]:
    """The markdown table of one scenario."""
    reference = scenario.variants[0].name
    lines = [
        f"### ({scenario.key}) {scenario.title}",
        "",
        scenario.note,
        "",
        f"| variant | median s | min s | max s | events/s (median) | {reference} ÷ this |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    base = scenario.times[reference]
    for variant in scenario.variants:
        times = scenario.times[variant.name]
        median = statistics.median(times)
        lines.append(
            f"| {variant.name} | {median:.4g} | {min(times):.4g} | {max(times):.4g} "
            f"| {scenario.events / median:,.0f} | {_ratio(base, times):.2f} |"
        )
    return [*lines, ""]


def summary(scenarios: list[Scenario]) -> list[str]:
    """Engine time ÷ peer time per scenario: how many times slower the engine is."""
    lines = [
        "| scenario | engine median s | engine ÷ plain Python | engine ÷ DuckDB "
        "| engine ÷ Polars |",
        "|---|---:|---:|---:|---:|",
    ]
    for scenario in scenarios:
        engine = scenario.variants[0]
        base = scenario.times[engine.name]
        cells = []
        for tool in ("naive", "duckdb", "polars"):
            peer = next((v for v in scenario.variants if v.tool == tool), None)
            cells.append("–" if peer is None else f"{_ratio(base, scenario.times[peer.name]):.2f}")
        lines.append(
            f"| ({scenario.key}) {engine.name} | {statistics.median(base):.4g} | "
            + " | ".join(cells)
            + " |"
        )
    return [*lines, ""]


def report(
    scenarios: list[Scenario], argv: list[str], rounds: int, threads: str, source: str
) -> str:
    """The whole markdown report."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# usage_engine benchmark, {when}",
        "",
        f"Command: `python -m benchmarks.run {' '.join(argv)}`",
        "",
        *machine(threads, source),
        f"- {rounds} interleaved rounds (order rotated); every output was checked against the "
        "plain Python peer (amount_cents, units and events_count per subscription and charge); "
        f"peak RSS {peak:,.0f} MB",
        "- the harness's own data (parsed events, table, DataFrame) is frozen out of the "
        "garbage collector (`gc.freeze()`): each variant pays the GC for its own objects only",
        "",
        "Ratios are medians of per-round ratios of times: above 1, the engine is slower.",
        "",
        *summary(scenarios),
    ]
    for scenario in scenarios:
        lines += scenario_table(scenario)
    return "\n".join(lines)


def report_json(scenarios: list[Scenario], argv: list[str], threads: str, source: str) -> str:
    """The same run as JSON: every variant's times, medians and ratios to the engine."""
    document: dict[str, Any] = {
        "command": f"python -m benchmarks.run {' '.join(argv)}",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(threads, source),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "scenarios": [],
    }
    for scenario in scenarios:
        engine = scenario.times[scenario.variants[0].name]
        document["scenarios"].append(
            {
                "key": scenario.key,
                "title": scenario.title,
                "events": scenario.events,
                "variants": [
                    {
                        "name": variant.name,
                        "tool": variant.tool,
                        "seconds": scenario.times[variant.name],
                        "median_s": statistics.median(scenario.times[variant.name]),
                        "engine_over_this": _ratio(engine, scenario.times[variant.name]),
                    }
                    for variant in scenario.variants
                ],
            }
        )
    return json.dumps(document, indent=1)


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="events (default 1,000,000)")
    parser.add_argument("--subs", type=int, default=1_000, help="subscriptions (default 1,000)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scenarios", default="abc", help="any of a, b, c (default abc)")
    parser.add_argument("--peer-threads", type=int, default=0, help="0: every core")
    parser.add_argument("--out", type=Path, help="default: benchmarks/results/<date>.md")
    parser.add_argument("--no-write", action="store_true", help="print the report only")
    args = parser.parse_args(argv)
    threads = str(args.peer_threads) if args.peer_threads else f"all {os.cpu_count()} cores"
    if args.peer_threads:
        os.environ["POLARS_MAX_THREADS"] = str(args.peer_threads)  # before polars is imported

    from .peers import duckdb_ref, polars_ref

    source = _source()
    w = load_workload(args.n, args.subs, args.seed)
    _say("building the DuckDB table and the Polars DataFrame (untimed) ...")
    duck = duckdb_ref.connect(args.peer_threads)
    duckdb_ref.load_table(duck, w.path, w.charges)
    frame = polars_ref.frame_from_dicts(w.events, w.charges)
    rater = polars_ref.PolarsRater(w.charges)
    expected = naive.rate(w.charges, w.events, w.sub_ids)

    scenarios = []
    if "a" in args.scenarios:
        scenarios.append(scenario_memory(w, expected, duck, frame, rater))
    if "b" in args.scenarios:
        scenarios.append(scenario_file(w, expected, duck, rater))
    if "c" in args.scenarios:
        scenarios.append(scenario_incremental(w, duck, frame, rater))
    # The parsed events, the table and the DataFrame live through the whole run: keep the
    # collector from walking them on behalf of whichever variant happens to trigger it.
    gc.collect()
    gc.freeze()
    _say("checking that every variant agrees (untimed) ...")
    for scenario in scenarios:
        check(scenario)
    for scenario in scenarios:
        _say(f"timing scenario ({scenario.key}) {scenario.title} ...")
        measure(scenario, args.rounds)

    after = _source()
    if after != source:
        source += f"; CHANGED during the run, to {after.split('sha256 ')[-1]}"
    text = report(scenarios, argv, args.rounds, threads, source)
    print(text)
    if not args.no_write:
        out = args.out or RESULTS / f"{datetime.now(UTC):%Y-%m-%d}.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
        out.with_suffix(".json").write_text(report_json(scenarios, argv, threads, source) + "\n")
        _say(f"wrote {out} and {out.with_suffix('.json').name}")


if __name__ == "__main__":
    main()
