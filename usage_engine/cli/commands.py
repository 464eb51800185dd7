"""The commands: each reads its inputs, calls the engine and prints the result."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from .._gc import collector_paused
from .._time import event_micros, micros
from ..arrow import ReadAgain
from ..errors import InvalidInput
from ..models import BillingPeriod, Tax
from ..models.account import DUPLICATE, OTHER_SUBSCRIPTION, OUTSIDE_PERIOD, EventAccount
from ..models.period import lago_datetime
from ..models.usage import Usage
from .inputs import (
    Inputs,
    event_columns,
    event_file,
    keeping,
    period_of,
    read_inputs,
    read_taxes,
)
from .output import PROG, CommandError, print_json, say, warn_set_aside, write_output
from .progress import Progress


def demo_command(args: argparse.Namespace) -> int:
    from ..demo import demo_json, load_sample, run_demo

    if args.subscription is not None:
        try:
            load_sample().subscription(args.subscription)
        except InvalidInput as error:
            msg = f"--subscription: {error.errors[0].message}"
            raise CommandError(msg) from None
    if args.report is not None:
        demo_report(args.subscription, args.report, progress=args.progress)
    if args.json:
        print_json(demo_json(args.subscription))
    else:
        say(run_demo(args.subscription))
    return 0


def demo_report(external_id: str | None, output: str, *, progress: bool = False) -> None:
    from ..demo import NOW, load_sample, subscription_result
    from ..report import daily_series, html_report

    sample = load_sample()
    chosen = external_id or sample.subscriptions[0]["external_id"]
    result = subscription_result(sample, chosen)
    daily = daily_series(
        result.plan,
        sample.events,
        result.period,
        now=NOW,
        taxes=sample.taxes,
        progress=Progress.on_stderr(progress).steps("rating day by day"),
    )
    page = html_report(
        result.projected,
        daily,
        plan=result.plan,
        period=result.period,
        now=NOW,
        previous=result.previous,
        name=result.subscription.display_name,
    )
    write_output(output, page, quiet=True)


def sample_command(args: argparse.Namespace) -> int:
    from ..demo import write_sample

    directory = Path(args.directory)
    try:
        written = write_sample(directory)
    except OSError as error:
        msg = f"{args.directory}: cannot write the sample: {error.strerror or error}"
        raise CommandError(msg) from None
    for path in written:
        say(f"wrote {path}")
    where = args.directory
    say(
        "\ntry:\n"
        f"  {PROG} current --plan {where}/plan.json --subscription {where}/subscriptions.json "
        f"--external-id acme --events {where}/events.jsonl.gz --taxes {where}/taxes.json "
        "--now 2026-10-20T12:00:00Z"
    )
    return 0


def period_command(args: argparse.Namespace) -> int:
    inputs = read_inputs(args)
    period = period_of(inputs)
    if args.json:
        print_json(period.to_lago())
    else:
        from ..report import period_lines

        say("\n".join(period_lines(period, now=inputs.now)))
    return 0


def usage_command(args: argparse.Namespace, *, projected: bool) -> int:
    # `current` and `projected`: the same inputs, one function call apart.
    from ..projection import projected_usage
    from ..report import period_heading, usage_table
    from ..usage import current_usage

    shape = output_format(args)
    inputs = read_inputs(args)
    taxes = read_taxes(args)
    period = period_of(inputs)
    common: dict[str, Any] = {
        "now": inputs.now,
        "taxes": taxes,
        "invalid_events": args.invalid_events,
    }

    def usage_of(events: Any) -> Any:
        if projected:
            return projected_usage(inputs.plan, events, period, method=args.method, **common)
        return current_usage(inputs.plan, events, period, **common)

    columns = event_columns(args)
    try:
        usage = usage_of(event_file(args) if columns is None else columns)
    except ReadAgain:  # a later batch pyarrow cannot read exactly: all of it, read otherwise
        usage = usage_of(event_file(args))
    account_said(usage, inputs, args)
    if shape == "csv":
        sys.stdout.write(usage.to_csv())
    elif shape == "json":
        print_json(with_account(usage.to_lago(), usage.event_account))
    elif projected:
        title = period_heading("Projected usage", period)
        say(usage_table(usage, plan=inputs.plan, now=inputs.now, title=title))
    else:
        title = period_heading("Current usage", period) + f" at {lago_datetime(inputs.now)}"
        say(usage_table(usage, plan=inputs.plan, title=title))
    return 0


def current_command(args: argparse.Namespace) -> int:
    return usage_command(args, projected=False)


def projected_command(args: argparse.Namespace) -> int:
    return usage_command(args, projected=True)


def past_command(args: argparse.Namespace) -> int:
    from ..past import past_usage
    from ..periods import periods_before
    from ..report import past_table, period_heading

    shape = output_format(args)
    inputs = read_inputs(args)
    taxes = read_taxes(args)
    if args.periods < 1:
        msg = f"--periods: must be 1 or more (got {args.periods})"
        raise CommandError(msg)
    periods = periods_before(inputs.subscription, inputs.now, args.periods, plan=inputs.plan)
    # The file is read once; the later periods are rated on the subscription's events kept.
    kept: list[dict[str, Any]] = []
    columns = event_columns(args, whole=True)  # a table is read again for each period
    source: Any = columns
    if columns is None:
        source = keeping(event_file(args), kept, inputs.subscription.external_id)
    results = []
    for period in periods:
        results.append(
            past_usage(
                inputs.plan,
                source,
                period,
                taxes=taxes,
                invalid_events=args.invalid_events,
            )
        )
        source = kept if columns is None else columns
    for item in results[:1]:  # the one that read the file
        account_said(item, inputs, args)
    if args.canonical:
        for item in results:
            # ASCII JSON (controls escaped), printed as is: its SHA-256 is the digest.
            print(item.canonical_json())
    elif shape == "csv":
        from .._rows import COLUMNS, columns_of, csv_text

        columns = columns_of(results[0]) if results else COLUMNS
        sys.stdout.write(csv_text(columns, [row for item in results for row in item.to_rows()]))
    elif shape == "json":
        document = {"usage_periods": [item.to_lago() for item in results]}
        print_json(with_account(document, results[0].event_account) if results else document)
    elif not results:
        say(
            f"No billing period of {inputs.subscription.external_id} ended by "
            f"{lago_datetime(inputs.now)}."
        )
    else:
        tables = [
            past_table(item, plan=inputs.plan, title=period_heading("Past usage (frozen)", period))
            for item, period in zip(results, periods, strict=True)
        ]
        say("\n\n".join(tables))
    return 0


def report_command(args: argparse.Namespace) -> int:
    inputs = read_inputs(args)
    taxes = read_taxes(args)
    period = period_of(inputs)
    events: list[Any] = []  # the subscription's, for the daily series
    # The events are kept for the series: a million dicts that the cyclic collector would
    # scan again and again while more are read, and no cycle among them.
    with collector_paused():
        return _report(args, inputs, taxes, period, events)


def _report(
    args: argparse.Namespace,
    inputs: Inputs,
    taxes: tuple[Tax, ...],
    period: BillingPeriod,
    events: list[Any],
) -> int:
    from ..past import past_usage
    from ..periods import periods_before
    from ..projection import projected_usage
    from ..report import daily_series, html_report

    usage = projected_usage(
        inputs.plan,
        keeping(event_file(args), events, inputs.subscription.external_id),
        period,
        now=inputs.now,
        taxes=taxes,
        method=args.method,
        invalid_events=args.invalid_events,
    )
    account_said(usage, inputs, args)
    daily = daily_series(
        inputs.plan,
        events,
        period,
        now=inputs.now,
        taxes=taxes,
        progress=Progress.on_stderr(args.progress).steps("rating day by day"),
    )
    before = periods_before(inputs.subscription, inputs.now, 1, plan=inputs.plan)
    previous = (
        past_usage(
            inputs.plan,
            stamped_by(events, before[0].charges_to_datetime),
            before[0],
            taxes=taxes,
            invalid_events="collect",
        )
        if before
        else None
    )
    page = html_report(
        usage,
        daily,
        plan=inputs.plan,
        period=period,
        now=inputs.now,
        previous=previous,
        name=inputs.subscription.display_name,
    )
    write_output(args.output, page, quiet=False)
    return 0


def output_format(args: argparse.Namespace) -> str:
    """``table``, ``json`` or ``csv``: ``--format``, or ``--json``; both only when they agree."""
    chosen = getattr(args, "format", None)
    if args.json and chosen not in (None, "json"):
        msg = f"--json and --format {chosen} ask for two outputs; give one"
        raise CommandError(msg)
    return "json" if args.json else chosen or "table"


def with_account(document: dict[str, Any], account: EventAccount) -> dict[str, Any]:
    """Lago's JSON and, under its own key, the event account of the events read."""
    return {**document, "event_account": account.to_data()}


def account_said(result: Usage, inputs: Inputs, args: argparse.Namespace) -> None:
    """Say what was set aside; with ``--strict``, stop when it was a problem in the data.

    Every command that rates events calls it once, on the result that read the file.
    """
    codes = [charge.billable_metric.code for charge in inputs.plan.charges]
    # Lago's own rules set these aside; from a file of several subscriptions, the others'
    # events are expected too. Anything else is a problem in the data.
    expected = {DUPLICATE, OUTSIDE_PERIOD}
    if inputs.one_of_several:
        expected.add(OTHER_SUBSCRIPTION)
    account = result.event_account
    if args.strict:
        problems = account.summary(known_codes=codes, quiet=expected)
        if problems:
            ids = [key for reason, _ in account.reasons(quiet=expected)
                   for key in account.examples.get(reason, ())]  # fmt: skip
            more = ", ..." if len(ids) > 3 else ""
            example = f"; transaction_id {', '.join(map(repr, ids[:3]))}{more}" if ids else ""
            msg = f"--strict: {problems}{example}"
            raise CommandError(msg)
    source = getattr(args, "event_file", None)
    warn_set_aside(
        account, result.rejected_events, known_codes=codes, expected=expected, source=source
    )


def stamped_by(events: list[Any], end: datetime) -> list[Any]:
    """The events that can count in a period ending at ``end``: those stamped by then, and
    any whose timestamp cannot be read (the rating says why). All of them when a later event
    repeats the transaction_id of an earlier one: the first copy in input order decides,
    whatever its timestamp.

    >>> late = {"transaction_id": "t", "timestamp": 1_800_000_000}
    >>> early = {"transaction_id": "u", "timestamp": 1_700_000_000}
    >>> end = datetime.fromisoformat("2024-01-01T00:00:00+00:00")
    >>> stamped_by([late, early], end) == [early]
    True
    >>> len(stamped_by([late, early | {"transaction_id": "t"}], end))  # t's first copy is late
    2
    """
    limit = micros(end)
    kept: list[Any] = []
    later: set[Any] = set()
    for event in events:
        try:
            stamp = event_micros(event.get("timestamp")) if isinstance(event, dict) else None
        except ValueError:
            stamp = None
        if stamp is not None and stamp > limit:
            later.add(event.get("transaction_id"))
        else:
            kept.append(event)
    if later and any(isinstance(e, dict) and e.get("transaction_id") in later for e in kept):
        return events
    return kept
