"""The benchmark workload: Lago-shaped usage events of many subscriptions, deterministic.

    python -m benchmarks.workload --n 1000000 --subs 1000 --seed 42 \\
        --out benchmarks/data/e6_s1000.jsonl

One compact JSON object per line, timestamps as unix seconds::

    {"transaction_id":"<uuid4-like>","external_subscription_id":"sub_000007","code":"tokens",
     "timestamp":1791234567,"properties":{"tokens":1234,"model":"gpt-a","region":"eu"}}

Shape (fractions are of the unique events), as the project's reference workload:

* subscriptions Zipf-skewed: weight of rank r is ``1 / r**1.1`` (rank 1 is ``sub_000000``);
* codes: ``api_calls`` 50 % (count; property ``method``), ``tokens`` 20 % (sum of int
  ``tokens``; ``model`` gpt-a/b/c and 2 % ``gpt-x``, which no charge filter matches; ``region``
  eu/us), ``unique_users`` 15 % (unique count of ``user_id`` among 10,000), ``storage_gb``
  10 % (sum of decimal strings ``"x.yyy"``), ``peak_seats`` 5 % (max of int ``seats``);
* timestamps uniform over October 2026 (UTC); ``outside`` (1 %) fall in the 3 days before or
  after it and must be ignored; events are sorted by timestamp;
* ``dup`` (0.5 %) of the lines re-send an earlier event (same ``transaction_id``), up to 1,000
  lines after it; they must be deduplicated.

Only the standard library is used (``random.Random(seed)``): the same arguments give the same
events on every machine and Python version.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any, Final

__all__ = [
    "DATA_DIR",
    "NOW",
    "PERIOD_FROM",
    "PERIOD_TO",
    "PLAN_PATH",
    "data_path",
    "generate",
    "iter_events",
    "load_plan",
    "new_events",
    "read_jsonl",
    "subscriptions",
    "with_iso_timestamps",
    "write_jsonl",
]

HERE: Final = Path(__file__).resolve().parent
PLAN_PATH: Final = HERE / "plan.json"
DATA_DIR: Final = HERE / "data"

PERIOD_FROM: Final = 1790812800
"""2026-10-01T00:00:00Z, the first second of the billing period."""
PERIOD_TO: Final = 1793491200
"""2026-11-01T00:00:00Z, the first second after it (the period is ``[from, to)``)."""
NOW: Final = "2026-10-20T12:00:00Z"
"""The instant the current usage is asked at: every subscription is in its October period."""

CODES: Final = ("api_calls", "tokens", "unique_users", "storage_gb", "peak_seats")
_CODE_CUMULATIVE: Final = (0.50, 0.70, 0.85, 0.95, 1.00)
MODELS: Final = ("gpt-a", "gpt-b", "gpt-c", "gpt-x")
_MODEL_CUMULATIVE: Final = (0.49, 0.79, 0.98, 1.00)
REGIONS: Final = ("eu", "us")
METHODS: Final = ("GET", "POST")
N_USERS: Final = 10_000
_OUTSIDE_SPAN: Final = 3 * 86_400
_RESEND_WITHIN: Final = 1_000


def load_plan(path: Path = PLAN_PATH) -> dict[str, Any]:
    """The plan every subscription is on (Lago's JSON shape)."""
    with open(path) as file:
        plan: dict[str, Any] = json.load(file)
    return plan


def subscriptions(
    count: int, plan: dict[str, Any] | None = None, *, seed: int = 42
) -> list[dict[str, Any]]:
    """``count`` calendar-monthly UTC subscriptions, started at seeded instants of 2025–Sep 2026.

    >>> [(s["external_id"], s["subscription_at"][:7]) for s in subscriptions(2)]
    [('sub_000000', '2026-05'), ('sub_000001', '2025-03')]
    """
    plan = load_plan() if plan is None else plan
    rng = random.Random(seed)
    first = datetime(2025, 1, 1, tzinfo=UTC)
    span = int((datetime(2026, 9, 30, tzinfo=UTC) - first).total_seconds())
    return [
        {
            "external_id": _sub_id(index),
            "billing_time": "calendar",
            "subscription_at": (first + timedelta(seconds=rng.randrange(span))).isoformat(),
            "timezone": "UTC",
            "plan": plan,
        }
        for index in range(count)
    ]


def _sub_id(index: int) -> str:
    return f"sub_{index:06d}"


def _pick(rng: random.Random, cumulative: tuple[float, ...]) -> int:
    return bisect_right(cumulative, rng.random() * cumulative[-1])


def _properties(rng: random.Random, code: int) -> dict[str, Any]:
    if code == 0:
        return {"method": METHODS[rng.getrandbits(1)]}
    if code == 1:
        return {
            "tokens": rng.randint(1, 20_000),
            "model": MODELS[_pick(rng, _MODEL_CUMULATIVE)],
            "region": REGIONS[rng.random() >= 0.4],
        }
    if code == 2:
        return {"user_id": f"usr_{rng.randrange(N_USERS):05d}"}
    if code == 3:
        milli = rng.randint(1, 9_999)
        return {"gb": f"{milli // 1000}.{milli % 1000:03d}"}
    return {"seats": rng.randint(1, 500)}


def _transaction_id(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"


def generate(
    n: int,
    subs: int,
    *,
    seed: int = 42,
    dup: float = 0.005,
    outside: float = 0.01,
    zipf_a: float = 1.1,
) -> list[dict[str, Any]]:
    """Exactly ``n`` events (unique ones plus re-sends) of ``subs`` subscriptions.

    >>> events = generate(1000, 10)
    >>> len(events), len({e["transaction_id"] for e in events})
    (1000, 995)
    >>> events == generate(1000, 10)
    True
    """
    rng = random.Random(seed)
    n_dup = round(n * dup)
    unique = n - n_dup
    weights = list(accumulate(1.0 / rank**zipf_a for rank in range(1, subs + 1)))
    sub_index = rng.choices(range(subs), cum_weights=weights, k=unique)
    code_index = rng.choices(range(len(CODES)), cum_weights=_CODE_CUMULATIVE, k=unique)
    span = PERIOD_TO - PERIOD_FROM
    stamps = []
    for _ in range(unique):
        if rng.random() < outside:
            offset = rng.randrange(1, _OUTSIDE_SPAN)
            stamps.append(PERIOD_FROM - offset if rng.random() < 0.5 else PERIOD_TO + offset - 1)
        else:
            stamps.append(PERIOD_FROM + rng.randrange(span))
    order = sorted(range(unique), key=stamps.__getitem__)
    events = [
        {
            "transaction_id": _transaction_id(rng),
            "external_subscription_id": _sub_id(sub_index[i]),
            "code": CODES[code_index[i]],
            "timestamp": stamps[i],
            "properties": _properties(rng, code_index[i]),
        }
        for i in order
    ]
    if not n_dup:
        return events
    # Re-sends: a copy of an original, placed up to _RESEND_WITHIN lines after it.
    sources = rng.sample(range(unique), n_dup)
    keys = [float(i) for i in range(unique)]
    keys += [source + rng.randint(1, _RESEND_WITHIN) + 0.5 for source in sources]
    copies = [_copy(events[source]) for source in sources]
    merged = events + copies
    return [merged[i] for i in sorted(range(n), key=keys.__getitem__)]


def _copy(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "properties": dict(event["properties"])}


def iter_events(n: int, subs: int, *, seed: int = 42, **shape: float) -> Iterator[dict[str, Any]]:
    """The events of :func:`generate`, one at a time."""
    yield from generate(n, subs, seed=seed, **shape)


def with_iso_timestamps(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same events with their unix seconds spelt ISO 8601 in UTC, ``YYYY-MM-DDTHH:MM:SSZ``.

    Each event is a new dict (in the same key order) sharing its ``properties`` with the original.

    >>> with_iso_timestamps([{"code": "c", "timestamp": PERIOD_TO - 1, "properties": {}}])
    [{'code': 'c', 'timestamp': '2026-10-31T23:59:59Z', 'properties': {}}]
    """
    spelt: dict[int, str] = {}
    converted = []
    for event in events:
        stamp = event["timestamp"]
        text = spelt.get(stamp)
        if text is None:
            text = spelt[stamp] = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        converted.append({**event, "timestamp": text})
    return converted


def new_events(n: int, subs: int, *, seed: int = 42) -> list[dict[str, Any]]:
    """``n`` fresh in-period events (no re-sends) arriving after a workload of ``seed``."""
    return generate(n, subs, seed=seed + 1_000_003, dup=0.0, outside=0.0)


def write_jsonl(events: Iterable[dict[str, Any]], path: Path | str) -> int:
    """Write compact JSON Lines; return the number of lines."""
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    count = 0
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as file:
        for event in events:
            file.write(dumps(event))
            file.write("\n")
            count += 1
    return count


def read_jsonl(path: Path | str, loads: Callable[[bytes], Any] | None = None) -> list[Any]:
    """Parse every line (with ``orjson.loads`` when installed, unless ``loads`` is given)."""
    if loads is None:
        loads = _fastest_loads()
    with open(path, "rb") as file:
        return [loads(line) for line in file]


def _fastest_loads() -> Callable[[bytes], Any]:
    try:
        import orjson
    except ImportError:
        return json.loads
    return orjson.loads


def data_path(n: int, subs: int, seed: int = 42, *, prefix: str = "") -> Path:
    """Where the workload of these sizes is cached: ``benchmarks/data/e6_s1000.jsonl``."""
    exponent = len(str(n)) - 1
    size = f"e{exponent}" if n == 10**exponent else str(n)
    suffix = "" if seed == 42 else f"_seed{seed}"
    return DATA_DIR / f"{prefix}{size}_s{subs}{suffix}.jsonl"


def main(argv: list[str] | None = None) -> None:
    """Command line: write a workload to JSON Lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, required=True, help="number of lines")
    parser.add_argument("--subs", type=int, required=True, help="number of subscriptions")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--dup", type=float, default=0.005, help="fraction of re-sent lines")
    parser.add_argument("--outside", type=float, default=0.01, help="fraction out of period")
    parser.add_argument("--out", type=Path, help="default: benchmarks/data/e<k>_s<subs>.jsonl")
    args = parser.parse_args(argv)
    out = args.out or data_path(args.n, args.subs, args.seed)
    started = time.perf_counter()
    events = generate(args.n, args.subs, seed=args.seed, dup=args.dup, outside=args.outside)
    lines = write_jsonl(events, out)
    elapsed = time.perf_counter() - started
    size = out.stat().st_size / 1e6
    print(f"wrote {out}: {lines} lines, {size:.1f} MB in {elapsed:.1f}s")


if __name__ == "__main__":
    main()
