"""Readable renderings of usage results: text tables for a terminal and a self-contained HTML page.

Nothing here computes a price: the tables and charts show what :func:`current_usage`,
:func:`projected_usage` and :func:`past_usage` return. :func:`daily_series` re-runs
:func:`current_usage` on growing prefixes of the events to draw how the period filled up.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from ._coerce import as_period, as_plan, as_taxes
from ._time import event_micros, from_micros, micros
from .models import BillingPeriod, Event, Plan
from .models.period import lago_datetime
from .models.usage import ChargeUsage, FilterUsage, GroupedUsage, ProjectedUsage, Usage
from .money import exponent, subunit_to_unit
from .past import PastUsage
from .usage import current_usage, read_now

__all__ = [
    "DailySeries",
    "daily_series",
    "filter_label",
    "format_money",
    "format_quantity",
    "group_label",
    "html_report",
    "past_table",
    "period_heading",
    "period_lines",
    "text_table",
    "usage_table",
    "visible",
]

Progress = Callable[[int, int], None]
"""Called with (steps done, steps in all) while a long computation runs."""


_SHOWN: Final = {ord("\t"): "\\t", ord("\n"): "\\n", ord("\r"): "\\r"}
# Controls a terminal acts on: C0, DEL and C1 (ESC and CSI start escape sequences), and the
# Unicode line separators and bidirectional overrides that reorder what is shown.
_INVISIBLE: Final = (
    *range(0x20),
    *range(0x7F, 0xA0),
    0x200E,
    0x200F,
    0x2028,
    0x2029,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
)
_VISIBLE: Final = {
    code: _SHOWN.get(code, f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    for code in _INVISIBLE
}


def visible(text: str) -> str:
    r"""``text`` safe to print on a terminal: control characters shown as escapes, not obeyed.

    >>> visible("acme\x1b]0;PWNED\x07\x1b[2J"), visible("a\tb\u202ec\x9b")
    ('acme\\x1b]0;PWNED\\x07\\x1b[2J', 'a\\tb\\u202ec\\x9b')
    """
    return text.translate(_VISIBLE)


def _grouped(scaled: int, places: int, *, trim: bool = False) -> str:
    # ``scaled`` is the figure times 10**places, already rounded: only integers are formatted,
    # so no decimal context (and its 28 digits) is involved.
    whole, fraction = divmod(abs(scaled), 10**places)
    digits = f"{fraction:0{places}d}" if places else ""
    if trim:
        digits = digits.rstrip("0")
    sign = "-" if scaled < 0 else ""
    return f"{sign}{whole:,}" + (f".{digits}" if digits else "")


def _half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half away from zero (ROUND_HALF_UP), exactly."""
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return -quotient if numerator < 0 else quotient


def format_money(cents: int, currency: str) -> str:
    """Minor units as an amount of ``currency``, grouped by thousands, every digit kept.

    >>> format_money(163766, "EUR"), format_money(-5, "USD"), format_money(1500, "JPY")
    ('1,637.66', '-0.05', '1,500')
    >>> format_money(7, "MRO"), format_money(1234567, "KWD")
    ('1.4', '1,234.567')
    >>> format_money(12345678901234567890123456789012, "EUR")
    '123,456,789,012,345,678,901,234,567,890.12'
    """
    places = exponent(currency)
    # Exact for every currency: MRO's subunit 5 with one decimal included (half up).
    return _grouped(_half_up(cents * 10**places, subunit_to_unit(currency)), places)


def format_quantity(value: Decimal, places: int = 4) -> str:
    """Units for a table: at most ``places`` decimals (half up), no trailing zeros, grouped.

    >>> format_quantity(Decimal("1111.18653972520908004779")), format_quantity(Decimal("3.0"))
    ('1,111.1865', '3')
    >>> format_quantity(Decimal("63476")), format_quantity(Decimal("-0.00001"))
    ('63,476', '0')
    >>> format_quantity(Decimal("1" + "0" * 24 + ".00005"))
    '1,000,000,000,000,000,000,000,000.0001'
    """
    numerator, denominator = value.as_integer_ratio()
    return _grouped(_half_up(numerator * 10**places, denominator), places, trim=True)


def _whole(cents: Decimal) -> int:
    return int(cents.to_integral_value(rounding=ROUND_HALF_UP))


def _pairs_text(pairs: Iterable[tuple[str, Iterable[str | None]]]) -> str:
    return "; ".join(f"{key}: {', '.join(str(value) for value in values)}" for key, values in pairs)


def filter_label(item: FilterUsage) -> str:
    """A filter bucket's name: its display name, else its values; the default bucket says so.

    >>> from decimal import Decimal
    >>> bucket = FilterUsage(units=Decimal(1), total_aggregated_units=Decimal(1), events_count=1,
    ...     amount_cents=5, invoice_display_name=None, values=(("region", ("eu", "us")),))
    >>> filter_label(bucket), filter_label(bucket.model_copy(update={"values": None}))
    ('region: eu, us', 'default (no filter matched)')
    """
    if item.values is None:
        return "default (no filter matched)"
    return item.invoice_display_name or _pairs_text(item.values)


def group_label(item: GroupedUsage) -> str:
    """A pricing group's name: ``key=value`` pairs (``(none)`` where the event had no value).

    >>> group = GroupedUsage(units=Decimal(1), total_aggregated_units=Decimal(1), events_count=1,
    ...     amount_cents=5, grouped_by=(("region", "eu"), ("tier", None)), filters=())
    >>> group_label(group)
    'region=eu, tier=(none)'
    """
    return ", ".join(
        f"{key}={value if value is not None else '(none)'}" for key, value in item.grouped_by
    )


@dataclass(frozen=True, slots=True)
class _Line:
    """One row of a usage table: a charge, a filter bucket or a pricing group."""

    depth: int
    label: str
    model: str
    units: Decimal
    events: int
    cents: int
    projected_units: Decimal | None
    projected_cents: int | None


def _line(depth: int, label: str, model: str, item: Any) -> _Line:
    return _Line(
        depth,
        label,
        model,
        item.units,
        item.events_count,
        item.amount_cents,
        item.projected_units,
        item.projected_amount_cents,
    )


def _prorated_ids(plan: Plan | None) -> frozenset[str]:
    if plan is None:
        return frozenset()
    return frozenset(charge.lago_id for charge in plan.charges if charge.prorated)


def _charge_lines(charge: ChargeUsage, prorated: frozenset[str]) -> Iterator[_Line]:
    model = charge.charge.charge_model
    if charge.charge.lago_id in prorated:
        model += " (prorated)"
    yield _line(0, charge.charge.invoice_display_name or charge.billable_metric.name, model, charge)
    if charge.filters:
        for bucket in charge.filters:
            yield _line(1, filter_label(bucket), "", bucket)
            for group in charge.grouped_usage:
                # A group's filter entries carry no filter index: match them on their values.
                for inner in group.filters:
                    if (inner.values, inner.invoice_display_name) == (
                        bucket.values,
                        bucket.invoice_display_name,
                    ):
                        yield _line(2, group_label(group), "", inner)
                        break
    else:
        for group in charge.grouped_usage:
            yield _line(1, group_label(group), "", group)


def _lines(usage: Usage, plan: Plan | None) -> list[_Line]:
    prorated = _prorated_ids(plan)
    return [line for charge in usage.charges_usage for line in _charge_lines(charge, prorated)]


def text_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    footer: Sequence[Sequence[str]] = (),
    *,
    left: int = 2,
) -> list[str]:
    """Columns padded to their widest cell, the first ``left`` left-aligned; a rule under the
    header and above the ``footer`` rows.

    >>> for line in text_table(["charge", "cents"], [["API", "12"]], [["total", "12"]], left=1):
    ...     print(line)
    charge  cents
    ------  -----
    API        12
    ------  -----
    total      12
    """
    header, rows, footer = (
        [visible(cell) for cell in header],
        [[visible(cell) for cell in row] for row in rows],
        [[visible(cell) for cell in row] for row in footer],
    )
    every = [header, *rows, *footer]
    widths = [max(len(row[index]) for row in every) for index in range(len(header))]

    def render(row: Sequence[str]) -> str:
        cells = [
            cell.ljust(width) if index < left else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    lines = [render(header), rule, *(render(row) for row in rows)]
    if footer:
        lines += [rule, *(render(row) for row in footer)]
    return lines


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
) -> str:
    """Current usage (and its projection) as a text table: charges, filter buckets, groups, totals.

    ``usage`` may itself be a :class:`ProjectedUsage`, whose projection is then shown.
    ``plan`` (optional) marks prorated charges.

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
    lines = _lines(usage, the_plan)
    # The projection's rows line up with the usage's: the same plan, events and period.
    future = [] if projected is None else _lines(projected, None)
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
        at = "" if now is None else f" at {lago_datetime(read_now(now))}"
        out.append(f"projected to the period end{at}, method {projected.method}:")
        out.append(f"ratio {projected.ratio} (the share of the period elapsed, today included)")
    out += ["", *text_table(header, rows, totals)]
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
    March, issued 2024-04-01
    <BLANKLINE>
    charge     model  units  events  amount EUR
    ---------  -----  -----  ------  ----------
    (no fees)
    ---------  -----  -----  ------  ----------
    usage                                  0.00
    taxes                                  0.00
    total                                  0.00
    true-up  calls: minimum 5.00 prorated to 5.00, adds 5.00 EUR (not in the usage totals)
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
        for line in _lines(past, the_plan)
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
        f"{heading}, issued {past.issuing_date.isoformat()}",
        "",
        *text_table(header, rows or [["(no fees)", "", "", "", ""]], totals),
    ]
    for item in past.true_ups:
        out.append(
            f"true-up  {item.charge_code or item.billable_metric_code}: minimum "
            f"{format_money(item.min_amount_cents, currency)} prorated to "
            f"{format_money(_whole(item.prorated_min_amount_cents), currency)}, adds "
            f"{format_money(item.amount_cents, currency)} {currency} (not in the usage totals)"
        )
    out.append(f"digest   sha256:{past.digest}")
    return "\n".join(visible(line) for line in out)


# ---------------------------------------------------------------------------------------------
# The day-by-day series behind the charts.


@dataclass(frozen=True, slots=True)
class DailySeries:
    """Each charge's units and amount as current usage showed them at the end of each day.

    ``days`` are the local dates of the period; ``points[c][k]`` is ``(units, amount_cents)`` of
    charge ``c`` (in ``charges_usage`` order) at x = k: k = 0 is the period start (history
    only), k = 1..``elapsed`` the end of the k-th day, the last one counting every event.

    >>> from datetime import date
    >>> series = DailySeries((date(2025, 7, 1), date(2025, 7, 2)), 1, (((Decimal(0), 0),),))
    >>> series.points[0][-1]
    (Decimal('0'), 0)
    """

    days: tuple[date, ...]
    elapsed: int
    points: tuple[tuple[tuple[Decimal, int], ...], ...]


def _elapsed_days(period: BillingPeriod, now: datetime, days: Sequence[date]) -> int:
    if now < period.charges_from_datetime:
        return 0
    if now >= period.charges_to_datetime:
        return len(days)
    local = now.astimezone(ZoneInfo(period.timezone)).date()
    return min(max((local - days[0]).days + 1, 1), len(days))


def _event_fields(event: Any) -> Mapping[str, Any]:
    return event.model_dump() if isinstance(event, Event) else {}


def daily_series(
    plan: Any,
    events: Sequence[Any],
    period: Any,
    *,
    now: Any,
    taxes: Iterable[Any] = (),
    progress: Progress | None = None,
) -> DailySeries:
    """The cumulative units and amount of every charge at the end of each day of ``period`` so far.

    Each point is :func:`current_usage` over the events stamped up to that day's local end (in
    input order, so duplicates resolve as they do on the whole list); the last point counts
    every event, so it equals the current usage. Cost: one rating per elapsed day, each over the
    subscription's events up to that day, O(days x events); malformed events are left out.

    >>> calls = {"code": "calls", "name": "Calls", "aggregation_type": "count_agg"}
    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"charge_model": "standard", "properties": {"amount": "2"}, "billable_metric": calls}]}
    >>> sub = {"external_id": "sub", "subscription_at": "2025-01-01T00:00:00Z", "plan": plan}
    >>> from usage_engine import billing_period
    >>> period = billing_period(sub, "2025-07-03T10:00:00Z")
    >>> events = [{"transaction_id": str(day), "external_subscription_id": "sub", "code": "calls",
    ...     "timestamp": f"2025-07-0{day}T08:00:00Z"} for day in (1, 3, 3)]
    >>> series = daily_series(plan, events, period, now="2025-07-03T10:00:00Z")
    >>> series.elapsed, [cents for _, cents in series.points[0]]
    (3, [0, 200, 200, 400])
    """
    the_plan = as_plan(plan)
    the_period = as_period(period)
    customer_taxes = as_taxes(taxes)
    instant = read_now(now)
    zone = ZoneInfo(the_period.timezone)
    first = the_period.charges_from_datetime.astimezone(zone).date()
    last = the_period.charges_to_datetime.astimezone(zone).date()
    days = tuple(first + timedelta(days=offset) for offset in range((last - first).days + 1))
    elapsed = _elapsed_days(the_period, instant, days)
    start = micros(the_period.charges_from_datetime)
    # Each event of the subscription with the index of its local day (-1: before the period);
    # an unreadable timestamp counts everywhere and is set aside by current_usage.
    mine: list[tuple[int, Any]] = []
    wanted = the_period.external_subscription_id
    for event in events:
        fields = event if isinstance(event, Mapping) else _event_fields(event)
        if str(fields.get("external_subscription_id")) != wanted:
            continue
        try:
            stamp = event_micros(fields.get("timestamp"))
        except ValueError:
            mine.append((-1, event))
            continue
        index = -1 if stamp < start else (from_micros(stamp).astimezone(zone).date() - first).days
        mine.append((index, event))
    per_point: list[list[tuple[Decimal, int]]] = []
    for point in range(elapsed + 1):
        if point == elapsed:
            chosen = [event for _, event in mine]
        else:
            chosen = [event for index, event in mine if index < point]
        usage = current_usage(
            the_plan, chosen, the_period, taxes=customer_taxes, invalid_events="collect"
        )
        per_point.append([(item.units, item.amount_cents) for item in usage.charges_usage])
        if progress is not None:
            progress(point + 1, elapsed + 1)
    charges = len(per_point[0]) if per_point else 0
    points = tuple(tuple(row[charge] for row in per_point) for charge in range(charges))
    return DailySeries(days, elapsed, points)


# ---------------------------------------------------------------------------------------------
# The HTML report.

_STYLE: Final = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330;
  margin: 0 auto; max-width: 1060px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; }
h3 { font-size: 16px; margin: 0 0 2px; }
.meta { color: #5b6475; margin: 0; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e3e6ec; text-align: right;
  font-variant-numeric: tabular-nums; }
th { background: #f4f6f9; font-weight: 600; }
th:first-child, td:first-child, td.text { text-align: left; }
tr.d1 td:first-child { padding-left: 26px; color: #3c4454; }
tr.d2 td:first-child { padding-left: 44px; color: #5b6475; }
tr.total td { font-weight: 600; border-top: 2px solid #c8cdd6; }
.summary td:first-child { color: #5b6475; }
.charge { border: 1px solid #e3e6ec; border-radius: 8px; padding: 14px 16px; margin: 14px 0; }
.charge p { margin: 0 0 6px; color: #5b6475; }
svg { display: block; max-width: 100%; height: auto; }
details summary { cursor: pointer; color: #3c4454; }
code { font-size: 12px; }
"""
_WIDTH: Final = 760
_HEIGHT: Final = 250
_PANEL: Final = 335
_UNITS_COLOUR: Final = "#2f6fd6"
_AMOUNT_COLOUR: Final = "#1b9a6c"


def _e(value: object) -> str:
    # Control characters are not valid HTML text and would act on a terminal (-o -): shown.
    return html.escape(visible(str(value)), quote=True)


def _nice_step(span: float) -> float:
    """A round step near ``span / 4``: 1, 2, 2.5 or 5 times a power of ten.

    >>> _nice_step(1637.66), _nice_step(7), _nice_step(0.3)
    (500.0, 2.0, 0.1)
    """
    if span <= 0:
        return 1.0
    raw = span / 4
    power = 10.0 ** math.floor(math.log10(raw))
    return next(factor * power for factor in (1, 2, 2.5, 5, 10) if factor * power >= raw)


def _compact(value: float) -> str:
    """An axis label: 950, 1.5k, 2M."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}" if value != int(value) else str(int(value))


def _panel(
    x0: float,
    title: str,
    colour: str,
    values: Sequence[float],
    projected: float | None,
    days: Sequence[date],
    elapsed: int,
) -> list[str]:
    """A chart panel: axes, day and value labels, the solid curve so far, the dashed projection."""
    left, top, bottom = x0 + 52, 30.0, _HEIGHT - 30.0
    right = x0 + _PANEL
    total = max(len(days), 1)
    highest = max([*values, projected or 0.0, 0.0])
    step = _nice_step(highest)
    ceiling = step * max(1, -(-highest // step)) if highest > 0 else 4 * step

    def px(day: float) -> float:
        return left + (right - left) * day / total

    def py(value: float) -> float:
        return bottom - (bottom - top) * value / ceiling

    out = [f'<text x="{x0 + 52}" y="16" class="title" font-weight="600">{_e(title)}</text>']
    tick = 0.0
    while tick <= ceiling + step / 1000:
        y = py(tick)
        out.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" stroke="#e3e6ec"/>'
        )
        out.append(
            f'<text x="{left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_e(_compact(tick))}</text>"
        )
        tick += step
    out.append(
        f'<line x1="{left:.1f}" y1="{bottom:.1f}" x2="{right:.1f}" y2="{bottom:.1f}" '
        'stroke="#8a93a3"/>'
    )
    for index in range(0, len(days), 7):
        x = px(index)
        label = f"{days[index]:%b} {days[index].day}"
        out.append(
            f'<line x1="{x:.1f}" y1="{bottom:.1f}" x2="{x:.1f}" y2="{bottom + 4:.1f}" '
            'stroke="#8a93a3"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{bottom + 17:.1f}" text-anchor="middle">{_e(label)}</text>'
        )
    if 0 < elapsed < total:
        x = px(elapsed)
        out.append(
            f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" stroke="#b0b7c3" '
            'stroke-dasharray="2 3"/>'
        )
        out.append(f'<text x="{x:.1f}" y="{top - 4:.1f}" text-anchor="middle">now</text>')
    if values:
        points = " ".join(f"{px(day):.1f},{py(value):.1f}" for day, value in enumerate(values))
        out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        end_x, end_y = px(len(values) - 1), py(values[-1])
        out.append(
            f'<circle cx="{end_x:.1f}" cy="{end_y:.1f}" r="3" fill="{colour}">'
            f"<title>{_e(_compact(values[-1]))} so far</title></circle>"
        )
        if projected is not None and len(values) - 1 < total:
            out.append(
                f'<line x1="{end_x:.1f}" y1="{end_y:.1f}" x2="{px(total):.1f}" '
                f'y2="{py(projected):.1f}" stroke="{colour}" stroke-width="2" '
                'stroke-dasharray="6 4"/>'
            )
            out.append(
                f'<circle cx="{px(total):.1f}" cy="{py(projected):.1f}" r="3" fill="white" '
                f'stroke="{colour}"><title>{_e(_compact(projected))} projected</title></circle>'
            )
    return out


def _chart(
    charge: ChargeUsage, series: Sequence[tuple[Decimal, int]], daily: DailySeries, currency: str
) -> str:
    unit = Decimal(subunit_to_unit(currency))
    units = [float(value) for value, _ in series]
    amounts = [float(Decimal(cents) / unit) for _, cents in series]
    projected_units = None if charge.projected_units is None else float(charge.projected_units)
    projected_amount = (
        None
        if charge.projected_amount_cents is None
        else float(Decimal(charge.projected_amount_cents) / unit)
    )
    name = charge.billable_metric.name
    label = (
        f"{name}: units and amount ({currency}) by day so far, solid, "
        "and projected to the period end, dashed"
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
        f'width="{_WIDTH}" height="{_HEIGHT}" role="img" aria-label="{_e(label)}" '
        'font-family="system-ui, sans-serif" font-size="11" fill="#3c4454">',
        f"<title>{_e(label)}</title>",
        *_panel(0, "Units", _UNITS_COLOUR, units, projected_units, daily.days, daily.elapsed),
        *_panel(
            _WIDTH / 2 + 20,
            f"Amount ({currency})",
            _AMOUNT_COLOUR,
            amounts,
            projected_amount,
            daily.days,
            daily.elapsed,
        ),
        "</svg>",
    ]
    return "\n".join(parts)


def _row_html(cells: Sequence[str], css: str = "", header: bool = False) -> str:
    tag = "th" if header else "td"
    opening = f'<tr class="{css}">' if css else "<tr>"
    return opening + "".join(f"<{tag}>{_e(cell)}</{tag}>" for cell in cells) + "</tr>"


def _usage_rows_html(usage: Usage, plan: Plan | None, projected: bool) -> list[str]:
    currency = usage.currency
    rows = []
    for line in _lines(usage, plan):
        cells = [
            line.label,
            line.model,
            format_quantity(line.units),
            f"{line.events:,}",
            format_money(line.cents, currency),
        ]
        if projected:
            cells += [
                "" if line.projected_units is None else format_quantity(line.projected_units),
                ""
                if line.projected_cents is None
                else format_money(line.projected_cents, currency),
            ]
        rows.append(_row_html(cells, f"d{line.depth}" if line.depth else ""))
    return rows


def _daily_table(
    charge: ChargeUsage, series: Sequence[tuple[Decimal, int]], daily: DailySeries, currency: str
) -> str:
    rows = [_row_html(["day", "units", f"amount {currency}"], header=True)]
    for point, (units, cents) in enumerate(series):
        label = "period start" if point == 0 else f"{daily.days[point - 1]:%a %Y-%m-%d}"
        if point == len(series) - 1 and point:
            label += " (now, every event)"
        rows.append(_row_html([label, format_quantity(units), format_money(cents, currency)]))
    return "<details><summary>Day by day</summary><table>" + "".join(rows) + "</table></details>"


def html_report(
    usage: ProjectedUsage,
    daily: DailySeries,
    *,
    plan: Any,
    period: Any,
    now: Any,
    previous: PastUsage | None = None,
    title: str | None = None,
) -> str:
    """One self-contained HTML page: summary, charges table, a chart per charge, previous period.

    ``usage`` is the projected usage of ``period`` at ``now`` (it carries the current usage) and
    ``daily`` its :func:`daily_series`. No script, no external resource: inline CSS and SVG.

    >>> from usage_engine import billing_period, projected_usage
    >>> calls = {"code": "calls", "name": "Calls", "aggregation_type": "count_agg"}
    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"charge_model": "standard", "properties": {"amount": "2"}, "billable_metric": calls}]}
    >>> sub = {"external_id": "sub", "subscription_at": "2025-01-01T00:00:00Z", "plan": plan}
    >>> period = billing_period(sub, "2025-07-03T10:00:00Z")
    >>> events = [{"transaction_id": "1", "external_subscription_id": "sub", "code": "calls",
    ...     "timestamp": "2025-07-02T08:00:00Z"}]
    >>> usage = projected_usage(plan, events, period, now="2025-07-03T10:00:00Z")
    >>> daily = daily_series(plan, events, period, now="2025-07-03T10:00:00Z")
    >>> page = html_report(usage, daily, plan=plan, period=period, now="2025-07-03T10:00:00Z")
    >>> page.startswith("<!DOCTYPE html>"), page.count("<svg")
    (True, 1)
    >>> "<td>usage so far</td><td>2.00</td>" in page
    True
    """
    the_plan = as_plan(plan)
    the_period = as_period(period)
    instant = read_now(now)
    currency = usage.currency
    zone = ZoneInfo(the_period.timezone)
    start = the_period.charges_from_datetime.astimezone(zone)
    end = the_period.charges_to_datetime.astimezone(zone)
    heading = title or f"Usage of {the_period.external_subscription_id}"
    period_text = f"{start:%Y-%m-%d} to {end:%Y-%m-%d} ({the_period.timezone})"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(heading)}: {_e(period_text)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_e(heading)}</h1>",
        f'<p class="meta">Plan {_e(the_plan.name or the_plan.code)} ({_e(the_plan.code)}), '
        f"billing period {_e(period_text)}, as of {_e(lago_datetime(instant))}; "
        f"day {daily.elapsed} of {len(daily.days)}. Amounts in {_e(currency)}.</p>",
        "</header>",
        "<main>",
        "<h2>Summary</h2>",
        '<table class="summary">',
        _row_html(["usage so far", format_money(usage.amount_cents, currency)]),
        _row_html(["taxes", format_money(usage.taxes_amount_cents, currency)]),
        _row_html(["total so far", format_money(usage.total_amount_cents, currency)]),
        _row_html(
            [
                "usage projected to the period end",
                format_money(usage.projected_amount_cents, currency),
            ]
        ),
        _row_html(["projection ratio (share of the period elapsed)", str(usage.ratio)]),
        _row_html(["projection method", usage.method]),
        "</table>",
        "<h2>Charges</h2>",
        '<table class="charges">',
        _row_html(
            [
                "charge",
                "model",
                "units",
                "events",
                f"amount {currency}",
                "projected units",
                f"projected {currency}",
            ],
            header=True,
        ),
        *_usage_rows_html(usage, the_plan, projected=True),
        _row_html(
            [
                "usage",
                "",
                "",
                "",
                format_money(usage.amount_cents, currency),
                "",
                format_money(usage.projected_amount_cents, currency),
            ],
            "total",
        ),
        "</table>",
        "<h2>By charge</h2>",
        '<p class="meta">Each chart shows the charge as current usage showed it at the end of '
        "every day so far (solid) and the projection to the period end (dashed). Recurring "
        "metrics are held flat.</p>",
    ]
    for index, charge in enumerate(usage.charges_usage):
        series = daily.points[index] if index < len(daily.points) else ()
        out += [
            f'<section class="charge" id="charge-{index}">',
            f"<h3>{_e(charge.charge.invoice_display_name or charge.billable_metric.name)}</h3>",
            f"<p>{_e(charge.charge.charge_model)} on {_e(charge.billable_metric.code)} "
            f"({_e(charge.billable_metric.aggregation_type)}): "
            f"{_e(format_quantity(charge.units))} units, "
            f"{_e(format_money(charge.amount_cents, currency))} {_e(currency)} so far; projected "
            f"{_e(format_quantity(charge.projected_units or Decimal(0)))} units, "
            f"{_e(format_money(charge.projected_amount_cents or 0, currency))} {_e(currency)}.</p>",
            _chart(charge, series, daily, currency),
            _daily_table(charge, series, daily, currency),
            "</section>",
        ]
    if previous is not None:
        out += _previous_html(previous, the_plan)
    out += [
        "</main>",
        "<footer>",
        '<p class="meta">Computed by usage_engine from the plan, the events and the period; '
        "current usage counts every event of the period, also those after now.</p>",
        "</footer>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(out)


def _previous_html(previous: PastUsage, plan: Plan) -> list[str]:
    currency = previous.currency
    out = [
        "<h2>Previous period (frozen)</h2>",
        f'<p class="meta">{_e(lago_datetime(previous.from_datetime))} to '
        f"{_e(lago_datetime(previous.to_datetime))}, issued "
        f"{_e(previous.issuing_date.isoformat())}. Digest <code>sha256:{_e(previous.digest)}</code>"
        "</p>",
        '<table class="past">',
        _row_html(["charge", "model", "units", "events", f"amount {currency}"], header=True),
        *_usage_rows_html(previous, plan, projected=False),
        _row_html(["usage", "", "", "", format_money(previous.amount_cents, currency)], "total"),
        _row_html(["taxes", "", "", "", format_money(previous.taxes_amount_cents, currency)]),
        _row_html(["total", "", "", "", format_money(previous.total_amount_cents, currency)]),
        "</table>",
    ]
    for item in previous.true_ups:
        out.append(
            f'<p class="meta">True-up of {_e(item.charge_code or item.billable_metric_code)}: '
            f"{_e(format_money(item.amount_cents, currency))} {_e(currency)} to reach the prorated "
            "minimum (not in the usage totals).</p>"
        )
    return out
