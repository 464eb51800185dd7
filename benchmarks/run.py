"""The engine against a one-pass floor, plain Python, DuckDB and Polars on the reference workload.

    python -m benchmarks.run --n 1000000 --subs 1000 --rounds 5

Generates the workload (or loads it from ``benchmarks/data/``), checks that the engine and
every peer give the same amount_cents, units and events_count for every (subscription,
charge), that the floor's totals are theirs and that every projection is ``projected_usage``'s,
and fails loudly if not. Then times each scenario in interleaved rounds (every
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

from . import floor
from .engine import engine_result, subscription_models
from .peers import naive
from .peers.pricing import AggRow, Charge, Result, charge_totals, compile_plan, diff
from .workload import (
    NOW,
    PERIOD_FROM,
    PERIOD_TO,
    data_path,
    generate,
    load_plan,
    new_events,
    read_jsonl,
    subscriptions,
    with_iso_timestamps,
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
    tool: str  # engine | floor | naive | duckdb | polars
    run: Callable[[Any], Any]
    setup: Callable[[], Any] = _ignore
    result: Callable[[Any], Result] = _same
    # A check of its own, for a variant whose output is not a Result: the differences from
    # what it must give (none when it agrees). Without it, ``result(output)`` must equal the
    # scenario's ``expected``.
    agree: Callable[[Any], list[str]] | None = None


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
    # Key ratios of the summary: (label naming the scenario, numerator variant, denominator).
    ratios: list[tuple[str, str, str]] = field(default_factory=list)
    # The results of the untimed check, by variant (those compared with ``expected`` only).
    checked: dict[str, Result] = field(default_factory=dict)


class Disagreement(SystemExit):
    """A variant's result differs from the expected one."""


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _check(scenario: Scenario, variant: Variant, output: Any) -> None:
    if variant.agree is not None:
        lines = variant.agree(output)
        if not lines:
            return
        against = "what it must give"
    else:
        got = variant.result(output)
        if got == scenario.expected:
            return
        lines = diff(scenario.expected, got, limit=10) or ["(same differences hidden: keys differ)"]
        against = "the expected result (plain Python peer)"
    message = [
        f"DISAGREEMENT in scenario {scenario.key} ({scenario.title}): "
        f"{variant.name} differs from {against}",
        *(f"  {line}" for line in lines),
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
        if variant.agree is None:
            scenario.checked[variant.name] = variant.result(output)
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


def check_then_time(
    scenarios: Sequence[Scenario],
    rounds: int,
    after_check: Callable[[Scenario], None] | None = None,
) -> None:
    """Every scenario checked untimed, then timed: with the collector frozen over what the
    harness keeps (parsed events, tables), so that no variant pays for walking it."""
    gc.collect()
    gc.freeze()
    _say("checking that every variant agrees (untimed) ...")
    for scenario in scenarios:
        check(scenario)
        if after_check is not None:
            after_check(scenario)
    for scenario in scenarios:
        _say(f"timing scenario ({scenario.key}) {scenario.title} ...")
        measure(scenario, rounds)


def line_variants(models: Sequence[Any], path: Path) -> list[Variant]:
    """The engine over a JSON Lines file parsed line by line, with json and (if installed)
    orjson."""

    def engine_json(_: Any) -> Any:
        with open(path) as file:
            return _engine(models, (json.loads(line) for line in file))

    def engine_orjson(_: Any) -> Any:
        import orjson

        with open(path, "rb") as file:
            return _engine(models, (orjson.loads(line) for line in file))

    variants = [Variant("engine, json.loads per line", "engine", engine_json, result=engine_result)]
    if _installed("orjson"):
        variants.append(
            Variant("engine, orjson.loads per line", "engine", engine_orjson, result=engine_result)
        )
    return variants


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


def scenario_memory(
    w: Workload, expected: Result, rows: list[AggRow], duck: Any, frame: Any, rater: Any
) -> Scenario:
    """(a) pre-parsed dicts in memory; the peers' table and DataFrame are built beforehand.

    The floor variant is the least one pass over the dicts does (:mod:`benchmarks.floor`); its
    totals must match the engine's figures, as checked just before it, and the plain-Python
    peer's ``rows``.
    """
    from .peers import duckdb_ref

    events, charges, subs = w.events, w.charges, w.sub_ids
    summed = floor.sum_fields(charges)
    engine_name, floor_name = "engine rate_subscriptions", "floor (one pass)"
    must: list[floor.Totals] = []

    def floor_agrees(got: floor.Totals) -> list[str]:
        if not must:
            engine = scenario.checked.get(engine_name)
            if engine is None:
                return [f"{engine_name} must be checked before {floor_name}"]
            try:
                must.append(floor.expected_totals(charges, rows, engine))
            except ValueError as error:
                return [str(error)]
        return floor.differences(must[0], got)

    scenario = Scenario(
        key="a",
        title=f"{w.n:,} event dicts in memory, {w.subs:,} subscriptions",
        note=(
            "Parsing is not timed; nor is building the DuckDB table or the Polars DataFrame. "
            "The floor is one pass over the dicts with the least work: deduplicate, keep the "
            "period, count or sum exactly per (subscription, metric code); no validation, "
            "filters, groups or pricing. Its totals were checked against the engine's units "
            "and events_count (charges without filters or groups) and the plain-Python peer's."
        ),
        events=w.n,
        expected=expected,
        variants=[
            Variant(engine_name, "engine", lambda _: _engine(w.models, events),
                    result=engine_result),
            Variant(floor_name, "floor",
                    lambda _: floor.one_pass(events, summed, PERIOD_FROM, PERIOD_TO),
                    agree=floor_agrees),
            Variant("plain Python", "naive", lambda _: naive.rate(charges, events, subs)),
            Variant("DuckDB, in-memory table", "duckdb",
                    lambda _: duckdb_ref.rate_table(duck, charges, subs)),
            Variant("Polars, DataFrame", "polars", lambda _: rater.rate(frame, subs)),
        ],
        ratios=[("(a) engine ÷ floor (one pass)", engine_name, floor_name)],
    )  # fmt: skip
    return scenario


def scenario_iso(w: Workload, expected: Result, iso_events: list[dict[str, Any]]) -> Scenario:
    """(a-iso) the events of (a) with ISO 8601 timestamps; the engine over (a)'s events is
    timed in the same rounds, for the ratio of the two."""
    events, charges, subs = w.events, w.charges, w.sub_ids
    iso_name, seconds_name = "engine, ISO 8601 timestamps", "engine, unix seconds (as (a))"
    return Scenario(
        key="a-iso",
        title=f"{w.n:,} event dicts in memory with ISO 8601 timestamps "
        f"(`YYYY-MM-DDTHH:MM:SSZ`), {w.subs:,} subscriptions",
        note=(
            "The events of (a), each a new dict whose timestamp is ISO 8601 text in UTC "
            "instead of unix seconds (converting them is not timed). The engine over (a)'s "
            "events runs in the same rounds, so that the cost of reading the text is a ratio "
            "taken in one run. Plain Python reads the text with `datetime.fromisoformat`; "
            "DuckDB and Polars are left out (their table and DataFrame take unix seconds)."
        ),
        events=w.n,
        expected=expected,
        variants=[
            Variant(iso_name, "engine", lambda _: _engine(w.models, iso_events),
                    result=engine_result),
            Variant(seconds_name, "engine", lambda _: _engine(w.models, events),
                    result=engine_result),
            Variant("plain Python, ISO 8601 timestamps", "naive",
                    lambda _: naive.rate(charges, iso_events, subs)),
        ],
        ratios=[("(a-iso) ÷ (a), engine", iso_name, seconds_name)],
    )  # fmt: skip


def scenario_single(n: int, charges: list[Charge], seed: int) -> Scenario:
    """(d) one subscription with ``n`` events: current usage alone, and with its projection."""
    from .single import current_alone, single_workload, together, together_function

    one = single_workload(n, seed=seed)
    expected = naive.rate(charges, one.events, [one.sub_id])
    _, projected = together(one, fallback=True)  # the reference projection, untimed

    def current_result(usage: Any) -> Result:
        return engine_result({one.sub_id: usage})

    def both_agree(output: tuple[Any, Any]) -> list[str]:
        current, got = output
        lines = diff(expected, current_result(current), limit=10)
        if got != projected:
            lines.append("the projected usage differs from projected_usage's")
        return lines

    if together_function() is not None:
        name = "engine current_and_projected_usage"
        variants = [
            Variant(name, "engine", lambda _: together(one), agree=both_agree),
            Variant("engine current_usage alone", "engine", lambda _: current_alone(one),
                    result=current_result),
            Variant("engine current_usage then projected_usage", "engine",
                    lambda _: together(one, fallback=True), agree=both_agree),
        ]  # fmt: skip
    else:
        name = "engine current_usage then projected_usage (no current_and_projected_usage)"
        variants = [
            Variant(name, "engine", lambda _: together(one), agree=both_agree),
            Variant("engine current_usage alone", "engine", lambda _: current_alone(one),
                    result=current_result),
        ]  # fmt: skip
    return Scenario(
        key="d",
        title=f"one subscription, {n:,} events: current usage, alone and with its projection",
        note=(
            "`current_and_projected_usage` gives the current usage and its projection from one "
            "call; an engine without it is timed calling `current_usage` then "
            "`projected_usage`, as the first row's name says. The plan is validated "
            "beforehand; the events are dicts. The current usage was checked against the "
            "plain-Python peer, the projection against `projected_usage`'s."
        ),
        events=n,
        expected=expected,
        variants=variants,
        ratios=[("(d) together ÷ current alone", name, "engine current_usage alone")],
    )


def scenario_file(w: Workload, expected: Result, duck: Any, rater: Any) -> Scenario:
    """(b) end to end from the JSON Lines file."""
    from .peers import duckdb_ref, polars_ref

    charges, subs, path = w.charges, w.sub_ids, w.path

    def naive_jsonl(_: Any) -> Result:
        aggregator = naive.NaiveAggregator(charges)
        with open(path) as file:
            aggregator.add(json.loads(line) for line in file)
        return charge_totals(charges, aggregator.rows(), subs)

    variants = line_variants(w.models, path)
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
        "| scenario | engine median s | engine ÷ floor | engine ÷ plain Python "
        "| engine ÷ DuckDB | engine ÷ Polars |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for scenario in scenarios:
        engine = scenario.variants[0]
        base = scenario.times[engine.name]
        cells = []
        for tool in ("floor", "naive", "duckdb", "polars"):
            peer = next((v for v in scenario.variants if v.tool == tool), None)
            cells.append("–" if peer is None else f"{_ratio(base, scenario.times[peer.name]):.2f}")
        lines.append(
            f"| ({scenario.key}) {engine.name} | {statistics.median(base):.4g} | "
            + " | ".join(cells)
            + " |"
        )
    return [*lines, ""]


def key_ratios(scenarios: list[Scenario]) -> list[tuple[str, float]]:
    """The scenarios' key ratios: medians of per-round ratios of two variants' times."""
    return [
        (label, _ratio(scenario.times[top], scenario.times[bottom]))
        for scenario in scenarios
        for label, top, bottom in scenario.ratios
    ]


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
        "plain Python peer (amount_cents, units and events_count per subscription and charge; "
        "the floor's totals against the engine's and the peer's; a projection against "
        f"`projected_usage`'s); peak RSS {peak:,.0f} MB",
        "- the harness's own data (parsed events, table, DataFrame) is frozen out of the "
        "garbage collector (`gc.freeze()`): each variant pays the GC for its own objects only",
        "",
        "Ratios are medians of per-round ratios of times: above 1, the engine is slower.",
        "",
        *summary(scenarios),
    ]
    ratios = key_ratios(scenarios)
    if ratios:
        lines += ["Key ratios (each of two variants timed in the same rounds):", ""]
        lines += [f"- {label}: {value:.2f}" for label, value in ratios]
        lines.append("")
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
        "ratios": dict(key_ratios(scenarios)),
        "scenarios": [],
    }
    for scenario in scenarios:
        engine = scenario.times[scenario.variants[0].name]
        document["scenarios"].append(
            {
                "key": scenario.key,
                "title": scenario.title,
                "events": scenario.events,
                "reference": scenario.variants[0].name,
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


SCENARIOS = ("a", "a-iso", "b", "c", "d")


def scenario_keys(text: str) -> set[str]:
    """The scenarios named in ``text``: keys run together or separated by commas or spaces.

    >>> sorted(scenario_keys("abc")), sorted(scenario_keys("a,a-iso d"))
    (['a', 'b', 'c'], ['a', 'a-iso', 'd'])
    """
    keys: set[str] = set()
    rest = text.replace(",", " ").replace(" ", "")
    while rest:
        key = next((key for key in sorted(SCENARIOS, key=len, reverse=True)
                    if rest.startswith(key)), None)  # fmt: skip
        if key is None:
            msg = f"unknown scenario at {rest!r}: choose among {', '.join(SCENARIOS)}"
            raise argparse.ArgumentTypeError(msg)
        keys.add(key)
        rest = rest[len(key) :]
    if not keys:
        msg = "name at least one scenario"
        raise argparse.ArgumentTypeError(msg)
    return keys


def workload_scenarios(
    keys: set[str], n: int, subs: int, seed: int, peer_threads: int
) -> list[Scenario]:
    """Scenarios (a), (a-iso), (b) and (c) among ``keys``, over the workload of these sizes."""
    from .peers import duckdb_ref, polars_ref

    w = load_workload(n, subs, seed)
    aggregator = naive.NaiveAggregator(w.charges)
    aggregator.add(w.events)
    rows = list(aggregator.rows())
    del aggregator
    expected = charge_totals(w.charges, rows, w.sub_ids)
    scenarios = []
    if keys & {"a", "b", "c"}:
        _say("building the DuckDB table and the Polars DataFrame (untimed) ...")
        duck = duckdb_ref.connect(peer_threads)
        duckdb_ref.load_table(duck, w.path, w.charges)
        frame = polars_ref.frame_from_dicts(w.events, w.charges)
        rater = polars_ref.PolarsRater(w.charges)
    if "a" in keys:
        scenarios.append(scenario_memory(w, expected, rows, duck, frame, rater))
    if "a-iso" in keys:
        _say("spelling the timestamps in ISO 8601 (untimed) ...")
        scenarios.append(scenario_iso(w, expected, with_iso_timestamps(w.events)))
    if "b" in keys:
        scenarios.append(scenario_file(w, expected, duck, rater))
    if "c" in keys:
        scenarios.append(scenario_incremental(w, duck, frame, rater))
    return scenarios


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="events (default 1,000,000)")
    parser.add_argument("--subs", type=int, default=1_000, help="subscriptions (default 1,000)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--scenarios",
        type=scenario_keys,
        default=",".join(SCENARIOS),
        help=f"any of {', '.join(SCENARIOS)}, e.g. 'abc' or 'a,a-iso,d' (default all)",
    )
    parser.add_argument(
        "--single-n", type=int, default=100_000, help="events of scenario (d) (default 100,000)"
    )
    parser.add_argument("--peer-threads", type=int, default=0, help="0: every core")
    parser.add_argument("--out", type=Path, help="default: benchmarks/results/<date>.md")
    parser.add_argument("--no-write", action="store_true", help="print the report only")
    args = parser.parse_args(argv)
    threads = str(args.peer_threads) if args.peer_threads else f"all {os.cpu_count()} cores"
    if args.peer_threads:
        os.environ["POLARS_MAX_THREADS"] = str(args.peer_threads)  # before polars is imported

    source = _source()
    keys = args.scenarios
    scenarios = []
    if keys & {"a", "a-iso", "b", "c"}:
        scenarios += workload_scenarios(keys, args.n, args.subs, args.seed, args.peer_threads)
    if "d" in keys:
        scenarios.append(scenario_single(args.single_n, compile_plan(load_plan()), args.seed))
    # The parsed events, the table and the DataFrame live through the whole run.
    check_then_time(scenarios, args.rounds)

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
