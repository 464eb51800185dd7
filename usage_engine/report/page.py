"""The HTML report: one self-contained page for a customer or a finance reader."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from .._coerce import as_period, as_plan
from ..models import Plan
from ..models.period import lago_datetime
from ..models.usage import ChargeUsage, ProjectedUsage, Usage
from ..past import PastUsage
from ..usage import read_now
from .charts import chart, esc
from .daily import DailySeries
from .lines import usage_lines
from .text import format_money, format_quantity, format_share

STYLE: Final = """
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


def _row_html(cells: Sequence[str], css: str = "", header: bool = False) -> str:
    tag = "th" if header else "td"
    opening = f'<tr class="{css}">' if css else "<tr>"
    return opening + "".join(f"<{tag}>{esc(cell)}</{tag}>" for cell in cells) + "</tr>"


def _usage_rows_html(usage: Usage, plan: Plan | None, projected: bool) -> list[str]:
    currency = usage.currency
    rows = []
    for line in usage_lines(usage, plan):
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
    name: str | None = None,
) -> str:
    """One self-contained HTML page: summary, charges table, a chart per charge, previous period.

    ``usage`` is the projected usage of ``period`` at ``now`` (it carries the current usage) and
    ``daily`` its :func:`daily_series`. No script, no external resource: inline CSS and SVG.

    >>> from usage_engine import billing_period, projected_usage
    >>> from usage_engine.report import daily_series
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
    heading = title or f"Usage of {name or the_period.external_subscription_id}"
    period_text = f"{start:%Y-%m-%d} to {end:%Y-%m-%d} ({the_period.timezone})"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(heading)}: {esc(period_text)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{esc(heading)}</h1>",
        f'<p class="meta">Plan {esc(the_plan.name or the_plan.code)} ({esc(the_plan.code)}), '
        f"billing period {esc(period_text)}, as of {esc(lago_datetime(instant))}; "
        f"day {daily.elapsed} of {len(daily.days)}. Amounts in {esc(currency)}.</p>",
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
        _row_html(["period elapsed, today included", format_share(usage.ratio)]),
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
            f"<h3>{esc(charge.charge.invoice_display_name or charge.billable_metric.name)}</h3>",
            f"<p>{esc(charge.charge.charge_model)} on {esc(charge.billable_metric.code)} "
            f"({esc(charge.billable_metric.aggregation_type)}): "
            f"{esc(format_quantity(charge.units))} units, "
            f"{esc(format_money(charge.amount_cents, currency))} {esc(currency)} so far; projected "
            f"{esc(format_quantity(charge.projected_units or Decimal(0)))} units, "
            f"{esc(format_money(charge.projected_amount_cents or 0, currency))} "
            f"{esc(currency)}.</p>",
            chart(charge, series, daily, currency),
            _daily_table(charge, series, daily, currency),
            "</section>",
        ]
    if previous is not None:
        out += _previous_html(previous, the_plan)
    out += _details_html(usage, the_period.external_subscription_id, previous, the_plan)
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
        f'<p class="meta">{esc(lago_datetime(previous.from_datetime))} to '
        f"{esc(lago_datetime(previous.to_datetime))}, issued "
        f"{esc(previous.issuing_date.isoformat())}.</p>",
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
            f'<p class="meta">True-up of {esc(item.charge_code or item.billable_metric_code)}: '
            f"{esc(format_money(item.amount_cents, currency))} {esc(currency)} "
            "to reach the prorated "
            "minimum (not in the usage totals).</p>"
        )
    return out


_METHODS = {
    "lago": "Lago's: the units so far divided by the share of the period elapsed",
    "exact": "exact: the projected units priced again with every rule of the charge model",
}


def _details_html(
    usage: ProjectedUsage, external_id: str, previous: PastUsage | None, plan: Plan | None = None
) -> list[str]:
    """The figures a finance reader may check but need not read: in a closed block."""
    items = [
        f"<li>Subscription <code>{esc(external_id)}</code>.</li>",
        f"<li>Projection method: {esc(_METHODS.get(usage.method, usage.method))}.</li>",
    ]
    if plan is not None:
        from .._attribute import split_method

        splits = []
        for charge in plan.charges:
            method, fact = split_method(charge)
            name = charge.invoice_display_name or charge.code or charge.billable_metric.code
            kind = "a fact" if fact else "a convention"
            splits.append(f"{esc(name)}: {esc(method)}, {kind}")
        items.append(
            "<li>Fees split between events (<code>usage-engine attribute</code>): "
            + "; ".join(splits)
            + ".</li>"
        )
    if previous is not None:
        items.append(
            "<li>Previous period digest (SHA-256 of its canonical JSON, to check the frozen "
            f"figures): <code>sha256:{esc(previous.digest)}</code>.</li>"
        )
    return [
        '<details class="meta">',
        "<summary>Details</summary>",
        "<ul>",
        *items,
        "</ul>",
        "</details>",
    ]
