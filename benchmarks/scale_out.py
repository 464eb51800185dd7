"""Scale-out: the workload rated on a local Dask cluster against one process, same digest.

    python -m benchmarks.scale_out --n 10000000 --subs 1000 --files 10

Writes ``--n`` events of the reference workload as ``--files`` JSON Lines files (each file a
chunk of its own seed, in ingest order), then, each in a fresh process:

* **one process**: the files streamed line by line into ``rate_subscriptions``, every usage
  digested (``usage_digest``, ``period_digest``);
* **Dask**: ``usage_engine.dask.rate(folder, ..., layout="any")`` on a ``LocalCluster`` of 2
  worker processes with 1 thread each, with each shuffle of ``--shuffles`` and each reader of
  ``--readers`` (``auto``: the files read by pyarrow and shuffled as Arrow; ``python``: as
  dicts), then ``layout="by_subscription"`` on the same events re-written by subscription
  bucket (no shuffle); ``digest()`` computed on the cluster.

Reports wall seconds (cluster start excluded), the ratio to one process, peak RSS (the sum over
the driver and its children, sampled every 0.2 s: shared pages count more than once, so an
upper bound) and whether each digest equals one process's. Results go to
``benchmarks/results/<date>-scale-out.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .run import _version, machine
from .workload import DATA_DIR, generate

RESULTS = Path(__file__).resolve().parent / "results"
_PACKAGES = ("dask", "distributed", "pandas", "pyarrow")
ROOT = Path(__file__).resolve().parent.parent

_ONE_PROCESS = """
import json, resource, sys, time
from pathlib import Path
from usage_engine import rate_subscriptions
from usage_engine.partition import period_digest, usage_digest
from benchmarks.workload import NOW, load_plan, subscriptions
plan = load_plan()
subs = [dict(sub, plan=plan) for sub in subscriptions(int(sys.argv[2]))]
files = sorted(Path(sys.argv[1]).glob("*.jsonl"))
def events():
    for name in files:
        with open(name, "rb") as lines:
            for line in lines:
                yield json.loads(line)
start = time.perf_counter()
usages = rate_subscriptions(subs, events(), now=NOW)
digest = period_digest({sub: usage_digest(usage) for sub, usage in usages.items()})
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "peak_rss_bytes": peak, "digest": digest}))
"""

_DASK = """
import json, sys, threading, time
import psutil
from distributed import Client, LocalCluster
from usage_engine import dask as ued
from benchmarks.workload import NOW, load_plan, subscriptions

def sample(peak, stop):
    me = psutil.Process()
    while not stop.is_set():
        total = 0
        for proc in [me, *me.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                pass
        peak[0] = max(peak[0], total)
        time.sleep(0.2)

if __name__ == "__main__":
    plan = load_plan()
    subs = [dict(sub, plan=plan) for sub in subscriptions(int(sys.argv[2]))]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        peak, stop = [0], threading.Event()
        watcher = threading.Thread(target=sample, args=(peak, stop), daemon=True)
        watcher.start()
        start = time.perf_counter()
        rated = ued.rate(sys.argv[1], subs, at=NOW, layout=sys.argv[4], shuffle=sys.argv[3],
                         reader=sys.argv[5])
        digest = rated.digest()
        elapsed = time.perf_counter() - start
        stop.set()
        watcher.join()
    print(json.dumps({"seconds": elapsed, "peak_rss_bytes": peak[0], "digest": digest,
                      "split": dict(rated.split)}))
"""


def write_files(n: int, subs: int, files: int) -> Path:
    """The workload as ``files`` JSON Lines files, written once and kept."""
    folder = DATA_DIR / f"scale_{n}_s{subs}_f{files}"
    if folder.is_dir():
        return folder
    partial = folder.with_suffix(".part")
    partial.mkdir(parents=True, exist_ok=True)
    size = -(-n // files)
    for index in range(files):
        count = min(size, n - index * size)
        chunk = generate(count, subs, seed=42 + index)
        with open(partial / f"part-{index:03d}.jsonl", "w") as file:
            for event in chunk:
                file.write(json.dumps(event, separators=(",", ":")))
                file.write("\n")
        print(f"wrote part {index + 1}/{files}", file=sys.stderr)
    partial.rename(folder)
    return folder


def write_by_subscription(folder: Path, files: int) -> Path:
    """The same events re-written as ``files`` files by subscription bucket, order kept."""
    from usage_engine.partition import bucket_key

    target = folder.with_name(folder.name + "_bysub")
    if target.is_dir():
        return target
    partial = target.with_suffix(".part")
    partial.mkdir(parents=True, exist_ok=True)
    outputs = [open(partial / f"part-{index:03d}.jsonl", "w") for index in range(files)]  # noqa: SIM115
    try:
        for name in sorted(folder.glob("*.jsonl")):
            with open(name) as lines:
                for line in lines:
                    sub = json.loads(line)["external_subscription_id"]
                    outputs[bucket_key(sub, files)].write(line)
    finally:
        for output in outputs:
            output.close()
    partial.rename(target)
    return target


def _run(script: str, *args: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-c", script, *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--subs", type=int, default=1_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--shuffles", nargs="+", choices=("tasks", "p2p"), default=["tasks", "p2p"])
    parser.add_argument(
        "--readers",
        nargs="+",
        choices=("auto", "python"),
        default=["auto", "python"],
        help="auto: files pyarrow keeps exact travel as Arrow (the arrow extra); python: dicts",
    )
    args = parser.parse_args(argv)
    folder = write_files(args.n, args.subs, args.files)
    runs = {
        "one process (rate_subscriptions, streamed)": _run(
            _ONE_PROCESS, str(folder), str(args.subs)
        )
    }
    for shuffle in args.shuffles:
        for reader in args.readers:
            name = (
                f"Dask LocalCluster, 2 workers, layout='any', shuffle='{shuffle}', "
                f"reader='{reader}'"
            )
            runs[name] = _run(_DASK, str(folder), str(args.subs), shuffle, "any", reader)
    bucketed = write_by_subscription(folder, args.files)
    for reader in args.readers:
        name = (
            "Dask LocalCluster, 2 workers, layout='by_subscription' (files written by bucket), "
            f"reader='{reader}'"
        )
        runs[name] = _run(_DASK, str(bucketed), str(args.subs), "tasks", "by_subscription", reader)
    base = next(iter(runs.values()))
    lines = [
        f"# Scale-out: {args.n:,} events, {args.subs:,} subscriptions, {args.files} files",
        "",
        *machine("no peers here", "JSON Lines files")[:2],
        "- threads: one per process; the cluster has 2 worker processes of 1 thread each",
        "- " + ", ".join(f"{name} {_version(name)}" for name in _PACKAGES),
        f"Command: `python -m benchmarks.scale_out --n {args.n} --subs {args.subs} "
        f"--files {args.files} --shuffles {' '.join(args.shuffles)} "
        f"--readers {' '.join(args.readers)}`",
        "",
        "| run | seconds | ÷ one process | peak RSS GiB | digest equal |",
        "|---|---:|---:|---:|---|",
    ]
    for name, run in runs.items():
        lines.append(
            f"| {name} | {run['seconds']:.1f} | {run['seconds'] / base['seconds']:.2f} | "
            f"{run['peak_rss_bytes'] / 2**30:.2f} | {run['digest'] == base['digest']} |"
        )
    lines += ["", f"Digest of one process: `{base['digest']}`"]
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-scale-out"
    stem.with_suffix(".md").write_text(text + "\n")
    stem.with_suffix(".json").write_text(
        json.dumps({"argv": argv or sys.argv[1:], "runs": runs}, indent=1) + "\n"
    )


if __name__ == "__main__":
    main()
