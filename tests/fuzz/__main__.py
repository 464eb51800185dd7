"""Run the fuzzer with a large budget and print what it found.

    python -m tests.fuzz --examples 20000            # every entry point, 20,000 inputs each
    python -m tests.fuzz --examples 5000 --target verify --target UsageState --seed 7

Each input is judged as in the test (see :mod:`tests.fuzz.targets`); defects are collected
rather than raised, grouped by exception type and the engine line that raised it, with the
first input that showed each. Exit status 1 when any defect was found.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

from tests.fuzz.mutations import Case, mutated_inputs
from tests.fuzz.seeds import seed, seed_count
from tests.fuzz.targets import TARGETS, Target, judge


@dataclass
class Report:
    """What one target's run found."""

    counts: Counter[str] = field(default_factory=Counter)
    defects: dict[str, tuple[int, str]] = field(default_factory=dict)
    tracebacks: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def record(self, error: BaseException, case: Case) -> None:
        self.counts["defect"] += 1
        signature = _signature(error)
        seen, first = self.defects.get(signature, (0, repr(case)))
        self.defects[signature] = (seen + 1, first)
        if signature not in self.tracebacks:
            self.tracebacks[signature] = "".join(traceback.format_exception(error))


def _signature(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    engine = [frame for frame in frames if "usage_engine" in frame.filename]
    where = engine[-1] if engine else (frames[-1] if frames else None)
    place = f"{where.filename.split('/')[-1]}:{where.lineno} {where.name}" if where else "?"
    first_line = str(error).splitlines()[0][:100] if str(error) else ""
    return f"{type(error).__name__} at {place}: {first_line}"


def run(target: Target, examples: int, random_seed: int | None) -> Report:
    """Fuzz ``target`` with ``examples`` inputs, collecting defects instead of stopping."""
    report = Report()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(mutated_inputs(seed, seed_count(), target.uses))
    def fuzz(case: Case) -> None:
        try:
            report.counts[judge(target, case.inputs)] += 1
        except Exception as error:
            report.record(error, case)

    if random_seed is not None:
        fuzz = hypothesis_seed(random_seed)(fuzz)
    started = time.perf_counter()
    fuzz()
    report.seconds = time.perf_counter() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--examples", type=int, default=2000, help="inputs per entry point")
    parser.add_argument("--target", action="append", help="only these entry points")
    parser.add_argument("--seed", type=int, help="random seed (default: a fresh one)")
    parser.add_argument(
        "--traceback", action="store_true", help="print the traceback of each defect's first input"
    )
    options = parser.parse_args(argv)
    chosen = [t for t in TARGETS if not options.target or t.name in options.target]
    if not chosen:
        parser.error(f"no such target; choose from {[t.name for t in TARGETS]}")
    total: Counter[str] = Counter()
    found: dict[str, tuple[int, str]] = {}
    tracebacks: dict[str, str] = {}
    print(f"{'entry point':26} {'tried':>7} {'ok':>7} {'invalid':>8} {'defects':>8} {'s':>7}")
    for target in chosen:
        report = run(target, options.examples, options.seed)
        counts = report.counts
        tried = sum(counts.values())
        print(
            f"{target.name:26} {tried:7} {counts['ok']:7} {counts['invalid']:8} "
            f"{counts['defect']:8} {report.seconds:7.1f}",
            flush=True,
        )
        total += counts
        tracebacks = report.tracebacks | tracebacks
        for signature, (seen, first) in report.defects.items():
            known, shown = found.get(signature, (0, f"{target.name}: {first}"))
            found[signature] = (known + seen, shown)
    tried = sum(total.values())
    print(f"{'total':26} {tried:7} {total['ok']:7} {total['invalid']:8} {total['defect']:8}")
    for signature, (seen, first) in sorted(found.items(), key=lambda item: -item[1][0]):
        print(f"\n{seen} x {signature}\n    first: {first}")
        if options.traceback:
            print(tracebacks[signature])
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
