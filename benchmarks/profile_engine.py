"""Where the engine spends its time: cProfile of rate_subscriptions on the reference workload.

    python -m benchmarks.profile_engine --n 100000 --subs 1000

Generates the events in memory (seeded, untimed), profiles one ``rate_subscriptions`` call
over them, and writes the top functions by own time (``tottime``) and by cumulative time to
``benchmarks/results/profile.txt``. cProfile slows pure-Python code down about twofold and
unevenly: read the shares, not the absolute times. A cyclic-GC pause is charged to whichever
function allocated when it struck: ``--no-gc`` profiles with the collector off, to tell them
apart.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import sys
import time
from pathlib import Path

from .engine import subscription_models
from .workload import NOW, generate, load_plan, subscriptions

OUT = Path(__file__).resolve().parent / "results" / "profile.txt"


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--subs", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-gc", action="store_true", help="profile with the GC disabled")
    args = parser.parse_args(argv)

    from usage_engine.batch import rate_subscriptions

    events = generate(args.n, args.subs, seed=args.seed)
    models = subscription_models(subscriptions(args.subs, load_plan(), seed=args.seed))
    started = time.perf_counter()
    rate_subscriptions(models, events, now=NOW)
    plain = time.perf_counter() - started

    gc.collect()
    if args.no_gc:
        gc.disable()
    profiler = cProfile.Profile()
    profiler.enable()
    rate_subscriptions(models, events, now=NOW)
    profiler.disable()
    gc.enable()

    text = io.StringIO()
    text.write(
        f"python -m benchmarks.profile_engine {' '.join(argv)}\n"
        f"rate_subscriptions over {args.n:,} events of {args.subs:,} subscriptions: "
        f"{plain:.3f}s without the profiler; garbage collector "
        f"{'off' if args.no_gc else 'on (its pauses are charged to the allocating function)'}"
        "\n\n"
    )
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    report = text.getvalue()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
