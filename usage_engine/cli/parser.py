"""The command line's options, one parser per command."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from .. import __version__
from .commands import (
    current_command,
    demo_command,
    past_command,
    period_command,
    projected_command,
    report_command,
    sample_command,
)
from .explain import attribute_command, correct_command, reprice_command, simulate_command
from .output import PROG


class Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line (exit status 2, as for bad input)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


class _Instant(argparse.Action):
    """Store the instant and the option's spelling, so that an error names what was typed."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        namespace.now_option = option_string


def build_parser() -> Parser:
    common = Parser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback of an error",
    )
    common.add_argument(
        "--progress",
        action="store_true",
        help="show progress on stderr also when it is not a terminal (a line every 5 s)",
    )
    inputs = Parser(add_help=False)
    inputs.add_argument(
        "--subscription",
        required=True,
        metavar="FILE",
        help="subscription JSON (an object, or an array with --external-id); - for stdin",
    )
    inputs.add_argument(
        "--plan",
        metavar="FILE",
        help="plan JSON, when the subscription does not carry its plan",
    )
    inputs.add_argument(
        "--metrics",
        metavar="FILE",
        help="billable metrics for a plan whose charges name them (Lago's GET /billable_metrics)",
    )
    inputs.add_argument(
        "--external-id", metavar="ID", help="the subscription to use from an array of them"
    )
    inputs.add_argument(
        "--now",
        "--at",
        metavar="INSTANT",
        dest="now",
        action=_Instant,
        help="ISO 8601 instant or unix seconds (default: the clock)",
    )
    output = Parser(add_help=False)
    output.add_argument("--json", action="store_true", help="print Lago's JSON instead of a table")
    rows = Parser(add_help=False)
    rows.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        help=(
            "table (default), Lago's JSON (as --json) or CSV: one row per charge, filter "
            "bucket and pricing group, amounts exact"
        ),
    )
    events = Parser(add_help=False)
    events.add_argument(
        "--events",
        required=True,
        metavar="FILE",
        help="events: JSON Lines or a JSON array, gzip accepted, or Parquet; - for stdin",
    )
    events.add_argument(
        "--reader",
        choices=("auto", "python"),
        default="auto",
        help=(
            "auto (default): JSON Lines and Parquet read in C by pyarrow (the arrow extra) "
            "when installed and the values stay exact; python: always the pure-Python reader"
        ),
    )
    events.add_argument(
        "--taxes", metavar="FILE", help="the customer's taxes, a JSON array of {code, rate}"
    )
    events.add_argument(
        "--invalid-events",
        choices=("raise", "collect"),
        default="raise",
        help="stop at a malformed event (raise, default) or set it aside and go on (collect)",
    )
    events.add_argument(
        "--strict",
        action="store_true",
        help=(
            "exit with 2 when an event was set aside for a problem in the data (unknown code, "
            "value not a number, malformed, another subscription's unless the subscription "
            "was picked from several); duplicates and events outside the period are Lago's rules"
        ),
    )
    method = Parser(add_help=False)
    method.add_argument(
        "--method",
        choices=("lago", "exact"),
        default="lago",
        help="projection rules: Lago's (default) or exact re-pricing",
    )

    parser = Parser(
        prog=PROG,
        description="Lago's usage computations (current, projected, past) on local files.",
        epilog="Start with: usage-engine demo. Documentation: the docs/ directory (cli.md).",
    )
    # Its own --debug: an action shared with the subcommands would be reset by their default.
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
    )

    def command(name: str, help_text: str, *parents: Parser) -> Parser:
        sub = commands.add_parser(
            name, help=help_text, description=help_text, parents=[common, *parents]
        )
        return sub

    demo = command("demo", "run on the bundled sample: period, usage, projection, past usage")
    demo.add_argument(
        "--subscription",
        "--external-id",
        metavar="ID",
        help="the sample subscription to detail: acme (default), globex, initech or umbrella",
    )
    demo.add_argument("--json", action="store_true", help="print the results as JSON")
    demo.add_argument("--report", metavar="FILE", help="also write the HTML report to FILE")
    demo.set_defaults(run=demo_command)

    sample = command("sample", "write the bundled sample's files to a directory")
    sample.add_argument("directory", metavar="DIR")
    sample.set_defaults(run=sample_command)

    period = command("period", "the billing period containing an instant", inputs, output)
    period.set_defaults(run=period_command)

    current = command("current", "current usage of the period", inputs, events, output, rows)
    current.set_defaults(run=current_command)

    projected = command(
        "projected",
        "current usage projected to the period end",
        inputs,
        events,
        method,
        output,
        rows,
    )
    projected.set_defaults(run=projected_command)

    past = command(
        "past", "frozen usage of the period(s) ended before --at", inputs, events, output, rows
    )
    past.add_argument(
        "--periods", type=int, default=1, metavar="N", help="the N last periods, newest first"
    )
    past.add_argument(
        "--canonical",
        action="store_true",
        help="print each period's canonical JSON, one per line (its SHA-256 is the digest)",
    )
    past.set_defaults(run=past_command)

    report = command(
        "report", "write an HTML report with a chart per charge", inputs, events, method
    )
    report.add_argument(
        "-o",
        "--output",
        default="usage-report.html",
        metavar="FILE",
        help="where to write the page (default usage-report.html; - for stdout)",
    )
    report.set_defaults(run=report_command)

    attribute = command(
        "attribute", "which events each fee of the period came from", inputs, events, output, rows
    )
    attribute.add_argument(
        "--method",
        choices=("auto", "marginal", "proportional"),
        default="auto",
        help="how fees are split between events (default auto: chosen per charge)",
    )
    attribute.add_argument(
        "--by", metavar="PROPERTY", help="the amount per value of an event property (per user)"
    )
    attribute.add_argument(
        "--top", type=int, default=10, metavar="N", help="the N events that cost most (10)"
    )
    attribute.add_argument(
        "--past",
        action="store_true",
        help="explain the last period ended by --at, frozen (as past gives it)",
    )
    attribute.set_defaults(run=attribute_command)

    reprice = command(
        "reprice",
        "the last period ended by --at under another plan, charge by charge",
        inputs,
        events,
        output,
        rows,
    )
    reprice.add_argument(
        "--other", required=True, metavar="FILE", help="plan B, compared with the plan (A)"
    )
    reprice.set_defaults(run=reprice_command)

    correct = command(
        "correct",
        "the lines that correct the last period ended by --at when events changed",
        inputs,
        events,
        output,
        rows,
    )
    correct.add_argument(
        "--frozen-events",
        required=True,
        metavar="FILE",
        help="the events the period was frozen with (--events: all of them now)",
    )
    correct.add_argument(
        "--frozen",
        metavar="FILE",
        help="the stored result (past --canonical, or its digest), checked against them",
    )
    correct.add_argument("--shape", choices=("delta", "reverse_rebill"), default="delta")
    correct.add_argument("--tax-mode", choices=("difference", "on_delta"), default="difference")
    correct.set_defaults(run=correct_command)

    simulate = command("simulate", "a cohort's closed periods under scenario plans", events)
    simulate.add_argument(
        "--subscription",
        required=True,
        metavar="FILE",
        help="the cohort: subscriptions (an array), each a member; its customer is "
        "external_customer_id",
    )
    simulate.add_argument(
        "--plan",
        metavar="FILE",
        help="the baseline plan, where a subscription does not carry its own",
    )
    simulate.add_argument(
        "--scenario",
        required=True,
        action="append",
        metavar="FILE",
        help="a scenario plan (repeat for more); named after its file",
    )
    simulate.add_argument(
        "--metrics",
        metavar="FILE",
        help="billable metrics for plans that name them (Lago's GET /billable_metrics)",
    )
    simulate.add_argument(
        "--from",
        dest="window_from",
        required=True,
        metavar="INSTANT",
        help="the window's start: periods starting then or later",
    )
    simulate.add_argument(
        "--to",
        dest="window_to",
        required=True,
        metavar="INSTANT",
        help="the window's end: periods ended by then",
    )
    simulate.add_argument("--top", type=int, default=5, metavar="N", help="top movers (5)")
    simulate.add_argument("-o", "--output", metavar="FILE", help="also write the HTML report")
    simulate.set_defaults(run=simulate_command)
    return parser
