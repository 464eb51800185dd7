"""The commands that explain and compare bills: ``attribute`` and ``simulate``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from .._files import read_document, shown_name
from .._rows import cell, csv_text
from .._wrappers import unwrap
from ..models.period import lago_datetime
from ..report.text import format_money, format_quantity, text_table
from .commands import account_said, output_format
from .inputs import event_file, period_of, read_inputs, read_taxes
from .output import CommandError, print_json, say, write_output

__all__ = ["attribute_command", "correct_command", "reprice_command", "simulate_command"]

ATTRIBUTION_COLUMNS: Final = (
    "transaction_id",
    "timestamp",
    "charge_code",
    "metric_code",
    "filter",
    "group",
    "units",
    "precise_amount",
    "amount_cents",
    "status",
)


def _percent(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value:+} %"


def attribute_command(args: argparse.Namespace) -> int:
    from .._attribute import attribute
    from ..report import period_heading

    shape = output_format(args)
    inputs = read_inputs(args)
    taxes = read_taxes(args)
    now: Any = inputs.now
    if args.past:
        from ..periods import periods_before

        before = periods_before(inputs.subscription, inputs.now, 1, plan=inputs.plan)
        if not before:
            msg = f"{inputs.option}: no period of {inputs.subscription.external_id} ended by then"
            raise CommandError(msg)
        period, now = before[0], None
    else:
        period = period_of(inputs)
    events = list(event_file(args))
    found = attribute(
        inputs.plan,
        events,
        period,
        now=now,
        taxes=taxes,
        method=args.method,
        invalid_events=args.invalid_events,
    )
    account_said(found.usage, inputs, args)
    rows = found.to_rows()
    if shape == "csv":
        sys.stdout.write(csv_text(ATTRIBUTION_COLUMNS, rows))
        return 0
    if shape == "json":
        print_json([{key: _plain(value) for key, value in row.items()} for row in rows])
        return 0
    currency = found.usage.currency
    moment = " (frozen)" if now is None else f" at {lago_datetime(now)}"
    out = [period_heading("Attribution", period) + moment, ""]
    out += text_table(
        ["charge", "split", "method"],
        [
            [
                m.charge.invoice_display_name or m.charge.code or m.charge.lago_id,
                "fact" if m.fact else "convention",
                m.method,
            ]
            for m in found.methods
        ],
    )
    if args.by:
        out += ["", *_by_property(found, events, args.by, currency)]
    else:
        billed = sorted(
            (s for s in found.shares if s.amount_cents),
            key=lambda s: (-s.amount_cents, s.transaction_id or ""),
        )
        out += ["", f"the {min(args.top, len(billed))} events that cost most:"]
        out += text_table(
            ["transaction_id", "timestamp", "charge", "units", f"amount {currency}"],
            [
                [
                    s.transaction_id or "",
                    "" if s.timestamp is None else lago_datetime(s.timestamp),
                    s.charge.code or s.metric_code or "" if s.charge else "",
                    format_quantity(s.units),
                    format_money(s.amount_cents, currency),
                ]
                for s in billed[: args.top]
            ],
            left=3,
        )
    shares = sum(s.amount_cents for s in found.shares)
    residuals = sum(r.amount_cents for r in found.residuals)
    out += [
        "",
        f"total {format_money(found.amount_cents, currency)} = events "
        f"{format_money(shares, currency)} + residuals {format_money(residuals, currency)}"
        + "".join(
            f"\n  residual {r.reason} ({r.charge.code or r.charge.lago_id}): "
            f"{format_money(r.amount_cents, currency)}"
            for r in found.residuals
        ),
    ]
    say("\n".join(out))
    return 0


def _plain(value: Any) -> Any:
    return cell(value) if isinstance(value, Decimal) or hasattr(value, "isoformat") else value


def _by_property(found: Any, events: Sequence[Any], name: str, currency: str) -> list[str]:
    """Cents per value of an event property: per user, per workspace."""
    values: dict[str, Any] = {}
    for event in events:
        if isinstance(event, Mapping):
            key = event.get("transaction_id")
            properties = event.get("properties")
            if isinstance(key, str) and key not in values and isinstance(properties, Mapping):
                values[key] = properties.get(name)
    cents: dict[str, int] = {}
    counted: dict[str, int] = {}
    for share in found.shares:
        if share.charge is None:
            continue
        value = values.get(share.transaction_id or "")
        label = "(none)" if value is None else str(value)
        cents[label] = cents.get(label, 0) + share.amount_cents
        counted[label] = counted.get(label, 0) + 1
    order = sorted(cents, key=lambda label: (-cents[label], label))
    return [
        f"amount per {name} (shares of events; residuals apart):",
        *text_table(
            [name, "shares", f"amount {currency}"],
            [
                [label, f"{counted[label]:,}", format_money(cents[label], currency)]
                for label in order
            ],
            left=1,
        ),
    ]


def _scenarios(paths: Iterable[str], metrics: Any) -> dict[str, Any]:
    from .._coerce import as_plan
    from .._lago import plan_with_metrics

    found: dict[str, Any] = {}
    for path in paths:
        name = Path(path).stem.removesuffix(".json")
        document = read_document(path)
        try:
            plan = as_plan(document) if metrics is None else plan_with_metrics(document, metrics)
        except Exception as error:
            msg = f"{shown_name(path)}: {error}"
            raise CommandError(msg) from None
        if name in found:
            msg = f"--scenario: two scenarios are named {name!r}; give the files other names"
            raise CommandError(msg)
        found[name] = plan
    return found


def simulate_command(args: argparse.Namespace) -> int:
    from .._simulate import Member, simulate
    from .inputs import plan_reader, read_instant

    metrics = None if args.metrics is None else read_document(args.metrics)
    baseline = plan_reader(args)(read_document(args.plan)) if args.plan else None
    scenarios = _scenarios(args.scenario, metrics)
    document = unwrap(read_document(args.subscription), "subscriptions")
    subscriptions = document if isinstance(document, list) else [document]
    grouped: dict[str, list[Any]] = {}
    for event in event_file(args):
        if isinstance(event, Mapping):
            grouped.setdefault(str(event.get("external_subscription_id")), []).append(event)
    members = [
        Member(
            str(item.get("external_customer_id") or item.get("external_id"))
            if isinstance(item, Mapping)
            else "",
            item,
            grouped.get(str(item.get("external_id")) if isinstance(item, Mapping) else "", []),
            None
            if isinstance(item, Mapping) and isinstance(item.get("plan"), Mapping)
            else baseline,
        )
        for item in subscriptions
    ]
    window = (read_instant(args.window_from, "--from"), read_instant(args.window_to, "--to"))
    result = simulate(members, scenarios, window=window, top_n=args.top)
    say("\n\n".join(_scenario_text(outcome, result.currency or "") for outcome in result))
    for item in result.coverage:
        say(f"skipped {item.customer_id} ({item.subscription_id}): {item.reason}", error=True)
    for note in result.notes:
        say(f"note: {note}", error=True)
    if args.output:
        from ..report.cohort import cohort_page

        write_output(args.output, cohort_page(result), quiet=True)
    return 0


def _scenario_text(outcome: Any, currency: str) -> str:
    def money(cents: int) -> str:
        return format_money(cents, currency)

    q = outcome.quantiles
    lines = [
        f"Scenario {outcome.name}: {money(outcome.baseline_cents)} -> "
        f"{money(outcome.scenario_cents)} {currency} ({'+' if outcome.delta_cents >= 0 else ''}"
        f"{money(outcome.delta_cents)}, {_percent(outcome.percent)})",
        f"customers: {outcome.up} pay more, {outcome.flat} the same, {outcome.down} less; "
        f"change p50 {_percent(q['p50'])}, p90 {_percent(q['p90'])}, p95 {_percent(q['p95'])}",
    ]
    for title, movers in (
        ("increases", outcome.top_increases),
        ("decreases", outcome.top_decreases),
    ):
        if movers:
            lines.append(
                f"largest {title}: "
                + ", ".join(
                    f"{c.customer_id} {'+' if c.delta_cents > 0 else ''}{money(c.delta_cents)} "
                    f"({_percent(c.percent)})"
                    for c in movers
                )
            )
    lines += text_table(
        ["charge", "baseline", "scenario", "change"],
        [
            [s.key, money(s.baseline_cents), money(s.scenario_cents), money(s.delta_cents)]
            for s in outcome.by_charge
        ],
        left=1,
    )
    return "\n".join(lines)


def reprice_command(args: argparse.Namespace) -> int:
    from .._reprice import reprice
    from ..periods import periods_before
    from .inputs import plan_reader

    shape = output_format(args)
    inputs = read_inputs(args)
    taxes = read_taxes(args)
    other = plan_reader(args)(read_document(args.other))
    before = periods_before(inputs.subscription, inputs.now, 1, plan=inputs.plan)
    if not before:
        msg = f"{inputs.option}: no period of {inputs.subscription.external_id} ended by then"
        raise CommandError(msg)
    diff = reprice(inputs.plan, other, list(event_file(args)), before[0], taxes=taxes)
    account_said(diff.a, inputs, args)
    rows = diff.to_rows()
    if shape == "csv":
        sys.stdout.write(csv_text(tuple(rows[0]) if rows else ("charge",), rows))
        return 0
    if shape == "json":
        print_json([{key: _plain(value) for key, value in row.items()} for row in rows])
        return 0
    from ..report import period_heading

    currency = diff.a.currency

    def money(cents: int) -> str:
        return format_money(cents, currency)

    out = [period_heading("Repricing", before[0]) + " (frozen)", ""]
    out += text_table(
        ["charge", "status", "units", f"A {currency}", f"B {currency}", "change", "percent"],
        [
            [
                c.key,
                c.status,
                format_quantity(c.units_a if c.status != "added" else c.units_b),
                money(c.amount_cents_a),
                money(c.amount_cents_b),
                money(c.delta_cents),
                _percent(c.percent),
            ]
            for c in diff.charges
        ],
        [
            [
                "usage",
                "",
                "",
                money(diff.amount_cents_a),
                money(diff.amount_cents_b),
                money(diff.amount_delta_cents),
                _percent(diff.percent),
            ],
            [
                "total",
                "",
                "",
                money(diff.total_amount_cents_a),
                money(diff.total_amount_cents_b),
                money(diff.total_delta_cents),
                "",
            ],
        ],
        left=2,
    )
    out += [f"note: {note}" for note in diff.notes]
    say("\n".join(out))
    return 0


CORRECTION_COLUMNS: Final = (
    "charge",
    "filter",
    "group",
    "component",
    "kind",
    "units",
    "amount",
    "amount_cents",
    "from_datetime",
    "to_datetime",
    "booking_from",
    "booking_to",
    "corrects",
    "reference",
)


def correct_command(args: argparse.Namespace) -> int:
    from .._correct import correct
    from .._files import EventFile
    from ..past import past_usage, verify
    from ..periods import periods_before

    shape = output_format(args)
    inputs = read_inputs(args)
    taxes = read_taxes(args)
    before = periods_before(inputs.subscription, inputs.now, 1, plan=inputs.plan)
    if not before:
        msg = f"{inputs.option}: no period of {inputs.subscription.external_id} ended by then"
        raise CommandError(msg)
    period = before[0]
    previous: list[Any] = list(EventFile(args.frozen_events))
    frozen = past_usage(inputs.plan, previous, period, taxes=taxes, invalid_events="collect")
    if args.frozen is not None:
        # The stored result (a digest or the canonical JSON `past --canonical` prints) must be
        # what the frozen events give: the correction starts from what was billed.
        text = _stored(args.frozen)
        check = verify(text, inputs.plan, previous, period, taxes=taxes)
        if not check.matches:
            msg = (
                f"{shown_name(args.frozen)}: is not what --frozen-events give for "
                f"{lago_datetime(period.charges_from_datetime)}: {check.differences[0]}"
            )
            raise CommandError(msg)
    fix = correct(
        frozen,
        inputs.plan,
        list(event_file(args)),
        period,
        taxes=taxes,
        shape=args.shape,
        tax_mode=args.tax_mode,
        previous_events=previous,
    )
    rows: list[dict[str, Any]] = [
        {
            "charge": line.key[0],
            "filter": line.key[1],
            "group": line.key[2],
            "component": line.key[3],
            "kind": line.kind,
            "units": line.units,
            "amount": line.amount,
            "amount_cents": line.amount_cents,
            "from_datetime": line.service_period[0],
            "to_datetime": line.service_period[1],
            "booking_from": line.booking_period[0],
            "booking_to": line.booking_period[1],
            "corrects": line.corrects,
            "reference": line.reference,
        }
        for line in fix.lines
    ]
    if shape == "csv":
        sys.stdout.write(csv_text(CORRECTION_COLUMNS, rows))
        return 0
    if shape == "json":
        print_json(
            {**fix.to_lago(), "added_ids": list(fix.added_ids), "voided_ids": list(fix.voided_ids)}
        )
        return 0
    from ..report import period_heading

    currency = fix.target.currency
    out = [period_heading("Correction", period), ""]
    out += text_table(
        ["charge", "filter", "group", "component", "kind", "units", f"amount {currency}"],
        [
            [
                row["charge"],
                row["filter"] or "",
                row["group"] or "",
                row["component"],
                row["kind"],
                format_quantity(row["units"]),
                format_money(row["amount_cents"], currency),
            ]
            for row in rows
        ]
        or [["(no line: the events give the frozen period)", "", "", "", "", "", ""]],
        left=5,
    )
    out += [
        "",
        f"fees {format_money(fix.amount_cents, currency)}, taxes "
        f"{format_money(fix.taxes_amount_cents, currency)}, total "
        f"{format_money(fix.total_amount_cents, currency)} {currency}",
        f"added {len(fix.added_ids)} events, voided {len(fix.voided_ids)}; corrects "
        f"sha256:{fix.base_digest}",
    ]
    say("\n".join(out))
    return 0


def _stored(path: str) -> str:
    """A stored past usage as ``verify`` takes it: its digest, or its canonical JSON."""
    try:
        raw = Path(path).read_text(encoding="utf-8").strip() if path != "-" else ""
    except (OSError, UnicodeDecodeError):
        raw = ""  # gzip, or missing: read_document says what is wrong
    if len(raw) == 64 and all(c in "0123456789abcdef" for c in raw):
        return raw
    stored = read_document(path)
    return stored if isinstance(stored, str) else json.dumps(stored, default=str)
