"""Two absolute targets: one subscription's latency, and the memory of a long stream.

    python -m benchmarks.limits single --rounds 7     # (d) one subscription, 10^5 events
    python -m benchmarks.limits stream --n 10000000   # (e) 10^7 events streamed from a file

(d) times the current and projected usage of one subscription holding 10^5 events, through
``current_and_projected_usage`` (``current_usage`` then ``projected_usage`` on an engine without
it), the plan given as a dict (target: under 50 ms); scenario (d) of ``benchmarks.run`` gives
the ratios. (e) writes a JSON Lines file of ``--n`` events in chunks of 10^6 (the generator
holds one chunk at a time), then rates it in a fresh process that streams the file line by
line into ``rate_subscriptions``, and reports that process's peak RSS (target: under 1.5 GiB)
and time. Both print a markdown table and add it, with a JSON twin, to
``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .workload import DATA_DIR, NOW, generate, load_plan, subscriptions

RESULTS = Path(__file__).resolve().parent / "results"
CHUNK = 1_000_000

_STREAM = """
import json, resource, sys, time
from usage_engine import rate_subscriptions
from benchmarks.workload import NOW, load_plan, subscriptions
try:
    from orjson import loads
except ImportError:
    loads = json.loads
plan = load_plan()
subs = [dict(sub, plan=plan) for sub in subscriptions(int(sys.argv[2]))]
start = time.perf_counter()
with open(sys.argv[1], "rb") as lines:
    usages = rate_subscriptions(subs, (loads(line) for line in lines), now=NOW)
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
total = sum(usage.amount_cents for usage in usages.values())
print(json.dumps({"seconds": elapsed, "peak_rss_bytes": peak, "amount_cents": total}))
"""


def single(rounds: int, n: int) -> dict[str, Any]:
    """(d): current and projected usage of one subscription holding ``n`` events."""
    from usage_engine import billing_period

    from .single import Single, together, together_function

    plan = load_plan()
    subscription = dict(subscriptions(1)[0], plan=plan)
    one = Single(
        subscription["external_id"], plan, billing_period(subscription, NOW), generate(n, 1)
    )
    how = (
        "current_and_projected_usage"
        if together_function() is not None
        else "current_usage + projected_usage"
    )
    # As in run.py: the harness's own events are frozen out of the garbage collector.
    gc.collect()
    gc.freeze()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        together(one)
        times.append(time.perf_counter() - start)
    return {
        "scenario": f"(d) one subscription, {n:,} events: {how}",
        "target": "under 0.050 s",
        "seconds": times,
        "median_s": statistics.median(times),
    }


def stream(n: int, subs: int) -> dict[str, Any]:
    """(e): a JSON Lines file of ``n`` events rated in a fresh process; its peak RSS."""
    path = DATA_DIR / f"stream_{n}_s{subs}.jsonl"
    if not path.exists():
        print(f"writing {path} in chunks of {CHUNK:,} ...", file=sys.stderr)
        partial = path.with_suffix(".part")
        with open(partial, "w") as file:
            for index in range(0, n, CHUNK):
                size = min(CHUNK, n - index)
                # Each chunk has its own seed: fresh transaction ids, the same shape.
                chunk = generate(size, subs, seed=42 + index // CHUNK)
                for event in chunk:
                    file.write(json.dumps(event, separators=(",", ":")))
                    file.write("\n")
                del chunk
        partial.rename(path)
    root = Path(__file__).resolve().parent.parent
    output = subprocess.run(
        [sys.executable, "-c", _STREAM, str(path), str(subs)],
        check=True,
        capture_output=True,
        text=True,
        cwd=root,
    )
    measured = json.loads(output.stdout)
    return {
        "scenario": f"(e) {n:,} events streamed from a {path.stat().st_size / 1e9:.1f} GB file, "
        f"{subs:,} subscriptions",
        "target": "peak RSS under 1.5 GiB",
        "seconds": [measured["seconds"]],
        "median_s": measured["seconds"],
        "peak_rss_gib": measured["peak_rss_bytes"] / 2**30,
        "events_per_s": n / measured["seconds"],
    }


def _write(result: dict[str, Any], name: str) -> None:
    lines = [
        f"# {result['scenario']}",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}; python {sys.version.split()[0]}; target: "
        f"{result['target']}",
        "",
        "| median s | runs | peak RSS GiB |",
        "|---:|---:|---:|",
        f"| {result['median_s']:.3f} | {len(result['seconds'])} | "
        f"{result.get('peak_rss_gib', float('nan')):.2f} |",
    ]
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-{name}"
    stem.with_suffix(".md").write_text(text + "\n")
    stem.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=["single", "stream"])
    parser.add_argument("--n", type=int, default=0, help="events (single 10^5, stream 10^7)")
    parser.add_argument("--subs", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    if args.which == "single":
        _write(single(args.rounds, args.n or 100_000), "single")
    else:
        _write(stream(args.n or 10_000_000, args.subs), "stream")


if __name__ == "__main__":
    main()
