"""Usage results as text tables for a terminal: periods, current and projected usage, past usage."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from .._coerce import as_period, as_plan
from ..models.period import lago_datetime
from ..models.usage import ProjectedUsage, Usage
from ..past import PastUsage
from ..usage import read_now
from .lines import usage_lines
from .text import format_money, format_quantity, format_share, text_table, visible, whole_cents


def period_heading(kind: str, period: Any) -> str:
    """``kind of SUB, FIRST .. LAST (ZONE)`` with the period's local dates.

    >>> from usage_engine import billing_period
    >>> sub = {"external_id": "acme", "subscription_at": "2026-03-31T22:00:00Z",
    ...     "timezone": "Europe/Paris",
    ...     "plan": {"code": "p", "interval": "monthly", "amount_currency": "EUR"}}
    >>> period_heading("Current usage", billing_period(sub, "2026-10-20T12:00:00Z"))
    'Current usage of acme, 2026-10-01 .. 2026-10-31 (Europe/Paris)'
    """
    period = as_period(period)
    zone = ZoneInfo(period.timezone)
    start = period.charges_from_datetime.astimezone(zone)
    end = period.charges_to_datetime.astimezone(zone)
    return visible(
        f"{kind} of {period.external_subscription_id}, {start:%Y-%m-%d} .. {end:%Y-%m-%d} "
        f"({period.timezone})"
    )


def period_lines(period: Any, *, now: Any = None) -> list[str]:
    """The billing period as text: local and UTC bounds, length, issuing date, where ``now`` is.

    >>> from usage_engine import billing_period
    >>> sub = {"external_id": "acme", "subscription_at": "2026-03-31T22:00:00Z",
    ...     "timezone": "Europe/Paris",
    ...     "plan": {"code": "p", "interval": "monthly", "amount_currency": "EUR"}}
    >>> period = billing_period(sub, "2026-10-20T12:00:00Z")
    >>> for line in period_lines(period, now="2026-10-20T12:00:00Z"):
    ...     print(line)
    Billing period of acme (monthly, calendar billing, Europe/Paris)
      charges       2026-10-01 00:00:00 .. 2026-10-31 23:59:59 local, 31 days
      in UTC        2026-09-30T22:00:00Z .. 2026-10-31T22:59:59Z
      issuing date  2026-10-31
      now           2026-10-20T12:00:00Z = 2026-10-20 14:00 local, day 20 of 31
    """
    period = as_period(period)
    zone = ZoneInfo(period.timezone)
    start = period.charges_from_datetime.astimezone(zone)
    end = period.charges_to_datetime.astimezone(zone)
    lines = [
        f"Billing period of {period.external_subscription_id} ({period.interval.value}, "
        f"{period.billing_time.value} billing, {period.timezone})",
        f"  charges       {start:%Y-%m-%d %H:%M:%S} .. {end:%Y-%m-%d %H:%M:%S} local, "
        f"{period.charges_duration_days} days",
        f"  in UTC        {lago_datetime(period.charges_from_datetime)} .. "
        f"{lago_datetime(period.charges_to_datetime)}",
    ]
    if (period.from_datetime, period.to_datetime) != (
        period.charges_from_datetime,
        period.charges_to_datetime,
    ):
        lines.append(
            f"  subscription  {lago_datetime(period.from_datetime)} .. "
            f"{lago_datetime(period.to_datetime)}"
        )
    lines.append(f"  issuing date  {period.issuing_date.isoformat()}")
    if period.terminated_at is not None:
        lines.append(f"  terminated at {lago_datetime(period.terminated_at)}")
    if now is not None:
        instant = read_now(now)
        local = instant.astimezone(zone)
        first, last = start.date(), end.date()
        if instant < period.charges_from_datetime:
            where = "before the period"
        elif instant > period.charges_to_datetime:
            where = "after the period"
        else:
            where = f"day {(local.date() - first).days + 1} of {(last - first).days + 1}"
        lines.append(
            f"  now           {lago_datetime(instant)} = {local:%Y-%m-%d %H:%M} local, {where}"
        )
    return [visible(line) for line in lines]


def usage_table(
    usage: Usage,
    *,
    projected: ProjectedUsage | None = None,
    plan: Any = None,
    now: Any = None,
    title: str | None = None,
    max_width: int | None = None,
) -> str:
    """Current usage (and its projection) as a text table: charges, filter buckets, groups, totals.

    ``usage`` may itself be a :class:`ProjectedUsage`, whose projection is then shown.
    ``plan`` (optional) marks prorated charges. When the table with the projection's columns
    would be wider than ``max_width``, the projection is shown as a second table below.

    >>> from usage_engine import current_usage
    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"charge_model": "standard", "properties": {"amount": "0.5"}, "billable_metric":
    ...      {"code": "calls", "name": "Calls", "aggregation_type": "count_agg"}}]}
    >>> period = {"external_subscription_id": "sub",
    ...     "from_datetime": "2024-03-01T00:00:00Z", "to_datetime": "2024-03-31T23:59:59Z"}
    >>> events = [{"transaction_id": str(n), "external_subscription_id": "sub", "code": "calls",
    ...     "timestamp": "2024-03-02T10:00:00Z"} for n in range(3)]
    >>> usage = current_usage(plan, events, period, taxes=[{"code": "vat", "rate": "20"}])
    >>> print(usage_table(usage, title="March"))
    March
    <BLANKLINE>
    charge  model     units  events  amount EUR
    ------  --------  -----  ------  ----------
    Calls   standard      3       3        1.50
    ------  --------  -----  ------  ----------
    usage                                  1.50
    taxes                                  0.30
    total                                  1.80
    """
    if projected is None and isinstance(usage, ProjectedUsage):
        projected = usage
    currency = usage.currency
    the_plan = None if plan is None else as_plan(plan)
    lines = usage_lines(usage, the_plan)
    # The projection's rows line up with the usage's: the same plan, events and period.
    future = [] if projected is None else usage_lines(projected, None)
    header = ["charge", "model", "units", "events", f"amount {currency}"]
    if projected is not None:
        header += ["projected units", f"projected {currency}"]
    rows = []
    for index, line in enumerate(lines):
        row = [
            "  " * line.depth + line.label,
            line.model,
            format_quantity(line.units),
            f"{line.events:,}",
            format_money(line.cents, currency),
        ]
        if projected is not None:
            units, cents = (
                (future[index].projected_units, future[index].projected_cents)
                if index < len(future)
                else (None, None)
            )
            row += [
                "" if units is None else format_quantity(units),
                "" if cents is None else format_money(cents, currency),
            ]
        rows.append(row)
    blank = [""] * (len(header) - 5)
    projected_total = (
        [] if projected is None else ["", format_money(projected.projected_amount_cents, currency)]
    )
    totals = [
        ["usage", "", "", "", format_money(usage.amount_cents, currency), *projected_total],
        ["taxes", "", "", "", format_money(usage.taxes_amount_cents, currency), *blank],
        ["total", "", "", "", format_money(usage.total_amount_cents, currency), *blank],
    ]
    heading = title or (
        f"Current usage, {lago_datetime(usage.from_datetime)} .. {lago_datetime(usage.to_datetime)}"
    )
    out = [heading]
    if projected is not None:
        moment = "" if now is None else f" made at {lago_datetime(read_now(now))}"
        share = format_share(projected.ratio)
        out.append(f"projection to the period end{moment}, method {projected.method}:")
        out.append(f"{share} of the period elapsed, today included")
    table = text_table(header, rows, totals)
    if projected is not None and max_width is not None and max(map(len, table)) > max_width:
        # Too wide: the projection's columns move to a table of their own, row for row.
        table = [
            *text_table(header[:5], [row[:5] for row in rows], [row[:5] for row in totals]),
            "",
            *text_table(
                ["charge", "projected units", f"projected {currency}"],
                [[row[0], *row[5:]] for row in rows],
                [[totals[0][0], *totals[0][5:]]],
                left=1,
            ),
        ]
    out += ["", *table]
    if usage.rejected_events.count:
        out.append(f"rejected events: {usage.rejected_events.count:,} (not counted)")
    return "\n".join(visible(line) for line in out)


def past_table(past: PastUsage, *, plan: Any = None, title: str | None = None) -> str:
    """A frozen past usage as a text table, with its true-ups and digest.

    >>> from usage_engine import past_usage
    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"charge_model": "standard", "properties": {"amount": "1"}, "min_amount_cents": 500,
    ...      "billable_metric": {"code": "calls", "aggregation_type": "count_agg"}}]}
    >>> period = {"external_subscription_id": "sub",
    ...     "from_datetime": "2024-03-01T00:00:00Z", "to_datetime": "2024-03-31T23:59:59Z"}
    >>> print(past_table(past_usage(plan, [], period), title="March"))  # doctest: +ELLIPSIS
    March
    issued 2024-04-01
    <BLANKLINE>
    charge     model  units  events  amount EUR
    ---------  -----  -----  ------  ----------
    (no fees)
    ---------  -----  -----  ------  ----------
    usage                                  0.00
    taxes                                  0.00
    total                                  0.00
    true-up  calls: adds 5.00 EUR, apart from the usage totals
             (minimum 5.00 prorated to 5.00)
    digest   sha256:...
    """
    currency = past.currency
    the_plan = None if plan is None else as_plan(plan)
    rows = [
        [
            "  " * line.depth + line.label,
            line.model,
            format_quantity(line.units),
            f"{line.events:,}",
            format_money(line.cents, currency),
        ]
        for line in usage_lines(past, the_plan)
    ]
    header = ["charge", "model", "units", "events", f"amount {currency}"]
    totals = [
        ["usage", "", "", "", format_money(past.amount_cents, currency)],
        ["taxes", "", "", "", format_money(past.taxes_amount_cents, currency)],
        ["total", "", "", "", format_money(past.total_amount_cents, currency)],
    ]
    heading = title or (
        f"Past usage (frozen), {lago_datetime(past.from_datetime)} .. "
        f"{lago_datetime(past.to_datetime)}"
    )
    out = [
        heading,
        f"issued {past.issuing_date.isoformat()}",
        "",
        *text_table(header, rows or [["(no fees)", "", "", "", ""]], totals),
    ]
    for item in past.true_ups:
        out += [
            f"true-up  {item.charge_code or item.billable_metric_code}: adds "
            f"{format_money(item.amount_cents, currency)} {currency}, apart from the usage totals",
            f"         (minimum {format_money(item.min_amount_cents, currency)} prorated to "
            f"{format_money(whole_cents(item.prorated_min_amount_cents), currency)})",
        ]
    out.append(f"digest   sha256:{past.digest}")
    return "\n".join(visible(line) for line in out)
