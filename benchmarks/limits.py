"""Two absolute targets: one subscription's latency, and the memory of a long stream.

    python -m benchmarks.limits single --rounds 7     # (d) one subscription, 10^5 events
    python -m benchmarks.limits stream --n 10000000   # (e) 10^7 events streamed from a file

(d) times the current and projected usage of one subscription holding 10^5 events, through
``current_and_projected_usage`` (``current_usage`` then ``projected_usage`` on an engine without
it), the plan given as a dict (target: under 50 ms); scenario (d) of ``benchmarks.run`` gives
the ratios. (e) writes a JSON Lines file of ``--n`` events in chunks of 10^6 (the generator
holds one chunk at a time), then rates it in a fresh process that streams the file line by
line into ``rate_subscriptions`` (orjson), then with the ``arrow`` extra's
``read_batches``, and reports each process's peak RSS (target: at most 1.0 GiB), its time and
the digest of every usage, which must be the same. Both print a markdown table and add it,
with a JSON twin, to ``benchmarks/results/``.
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
from usage_engine.partition import period_digest, usage_digest
from benchmarks.workload import NOW, load_plan, subscriptions
plan = load_plan()
subs = [dict(sub, plan=plan) for sub in subscriptions(int(sys.argv[2]))]
start = time.perf_counter()
if sys.argv[3] == "arrow":
    from usage_engine.arrow import read_batches
    events = read_batches(sys.argv[1])
    assert events is not None, "the file is not read by pyarrow"
    usages = rate_subscriptions(subs, events, now=NOW)
else:
    from orjson import loads
    with open(sys.argv[1], "rb") as lines:
        usages = rate_subscriptions(subs, (loads(line) for line in lines), now=NOW)
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
digest = period_digest({sub: usage_digest(usage) for sub, usage in usages.items()})
print(json.dumps({"seconds": elapsed, "peak_rss_bytes": peak, "digest": digest}))
"""
READERS = {
    "orjson": "JSON Lines, orjson.loads per line (no extra)",
    "arrow": "arrow extra: usage_engine.arrow.read_batches (1 MiB batches)",
}


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
    runs = {}
    for reader in READERS:
        output = subprocess.run(
            [sys.executable, "-c", _STREAM, str(path), str(subs), reader],
            check=True,
            capture_output=True,
            text=True,
            cwd=root,
        )
        runs[reader] = json.loads(output.stdout)
    digests = {run["digest"] for run in runs.values()}
    if len(digests) != 1:
        raise SystemExit(f"the readers disagree: {runs}")
    return {
        "scenario": f"(e) {n:,} events streamed from a {path.stat().st_size / 1e9:.1f} GB file, "
        f"{subs:,} subscriptions",
        "target": "peak RSS at most 1.0 GiB",
        "digest": digests.pop(),
        "variants": [
            {
                "reader": READERS[reader],
                "seconds": run["seconds"],
                "peak_rss_gib": run["peak_rss_bytes"] / 2**30,
                "events_per_s": n / run["seconds"],
            }
            for reader, run in runs.items()
        ],
    }


def _write(result: dict[str, Any], name: str) -> None:
    variants = result.get("variants") or [
        {"reader": "", "seconds": result["median_s"], "runs": len(result["seconds"])}
    ]
    lines = [
        f"# {result['scenario']}",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}; python {sys.version.split()[0]}; target: "
        f"{result['target']}",
        "",
        "| variant | seconds | peak RSS GiB |",
        "|---|---:|---:|",
        *(
            f"| {variant['reader'] or 'median of ' + str(variant['runs'])} | "
            f"{variant['seconds']:.3f} | {variant.get('peak_rss_gib', float('nan')):.2f} |"
            for variant in variants
        ),
    ]
    if "digest" in result:
        lines += ["", f"Every variant gave the digest `{result['digest']}`."]
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
