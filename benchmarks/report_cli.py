"""The command line's ``report`` against its ``current`` on the same file of one subscription.

``report`` computes the projected usage, a day-by-day series of every charge and the previous
period; the series is one pass over the events, so ``report`` should cost at most about twice
``current`` on the same file. Both run in this process through ``usage_engine.cli.main``, the
file read from disk each time (JSON Lines, the workload's shape, one subscription).

    python -m benchmarks.report_cli --n 1000000 --rounds 3
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import statistics
import time
from pathlib import Path

from .workload import DATA_DIR, NOW, data_path, generate, subscriptions, write_jsonl


def prepare(n: int) -> tuple[Path, Path]:
    """The events file (cached) and a subscription file with its plan, for ``n`` events."""
    events = data_path(n, 1, prefix="report_")
    if not events.exists():
        write_jsonl(generate(n, 1), events)
    subscription = DATA_DIR / "report_subscription.json"
    subscription.write_text(json.dumps(subscriptions(1)[0]))
    return events, subscription


def run(command: list[str]) -> float:
    """Seconds for one command line run, its output swallowed; it must succeed."""
    from usage_engine.cli import main

    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(command)
    elapsed = time.perf_counter() - started
    if status != 0:
        msg = f"{' '.join(command)} exited with {status}: {err.getvalue()}"
        raise SystemExit(msg)
    return elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    events, subscription = prepare(args.n)
    common = ["--subscription", str(subscription), "--events", str(events), "--now", NOW]
    target = DATA_DIR / "report.html"
    timings: dict[str, list[float]] = {"current": [], "report": []}
    for _ in range(args.rounds):
        timings["current"].append(run(["current", *common]))
        timings["report"].append(run(["report", *common, "-o", str(target)]))
    current = statistics.median(timings["current"])
    report = statistics.median(timings["report"])
    print(f"{platform.python_implementation()} {platform.python_version()}, {args.n:,} events")
    print(f"current  {current:8.2f} s (median of {args.rounds})")
    print(f"report   {report:8.2f} s (median of {args.rounds})")
    print(f"report / current = {report / current:.2f}")


if __name__ == "__main__":
    main()
