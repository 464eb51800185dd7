"""The command line: the only module that reads files, the clock or the terminal."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from .errors import UsageEngineError
from .models.period import lago_datetime

__all__ = ["main"]


def _demo(_args: argparse.Namespace) -> int:
    from .demo import run_demo

    print(run_demo())
    return 0


def _read_json(path: str) -> Any:
    try:
        if path == "-":
            return json.load(sys.stdin)
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as error:
        msg = f"{path}: cannot read the file ({error.strerror})"
        raise UsageEngineError(msg) from None
    except json.JSONDecodeError as error:
        msg = f"{path}: invalid JSON at line {error.lineno} column {error.colno} ({error.msg})"
        raise UsageEngineError(msg) from None


def _period(args: argparse.Namespace) -> int:
    from .periods import billing_period

    period = billing_period(_read_json(args.subscription), args.at)
    if args.json:
        print(json.dumps(period.to_lago(), indent=2))
    else:
        print(
            f"{lago_datetime(period.charges_from_datetime)} .. "
            f"{lago_datetime(period.charges_to_datetime)}  "
            f"({period.charges_duration_days} days, issuing {period.issuing_date})"
        )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="usage-engine", description="Lago's usage computations as pure functions."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the bundled sample")
    demo.set_defaults(run=_demo)
    period = commands.add_parser("period", help="the billing period containing an instant")
    period.add_argument("--subscription", required=True, help="subscription JSON file, or -")
    period.add_argument("--at", required=True, help="ISO 8601 instant or unix seconds")
    period.add_argument("--json", action="store_true", help="print Lago JSON")
    period.set_defaults(run=_period)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad input)."""
    args = _parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except UsageEngineError as error:
        if args.debug:
            raise
        print(f"usage-engine: {error}", file=sys.stderr)
        return 2
    return status
