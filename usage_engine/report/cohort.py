"""The HTML page of a cohort simulation: each scenario's totals, movers and the distribution
of the customers' change."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

from ..models.period import lago_datetime
from .charts import esc
from .page import STYLE
from .text import format_money

__all__ = ["cohort_page", "histogram"]

_WIDTH: Final = 640
_HEIGHT: Final = 180
_BINS: Final = (-100, -50, -20, -10, -5, 0, 5, 10, 20, 50, 100)


def _bin(percent: Decimal) -> int:
    # Bins bounded by _BINS: below -100, [-100, -50), ..., [100, ...); 0 sits with "no change".
    if percent == 0:
        return _BINS.index(0)
    return sum(1 for bound in _BINS if percent >= bound)


def _bin_label(index: int) -> str:
    if index == 0:
        return f"< {_BINS[0]} %"
    if index == len(_BINS):
        return f">= {_BINS[-1]} %"
    return f"{_BINS[index - 1]}..{_BINS[index]} %"


def histogram(percents: Sequence[Decimal]) -> str:
    """An SVG bar chart of how many customers' change falls in each band of percent.

    >>> svg = histogram([Decimal("-20.00"), Decimal("33.33"), Decimal("0")])
    >>> svg.startswith("<svg"), svg.count("<rect")
    (True, 12)
    """
    counts = [0] * (len(_BINS) + 1)
    for value in percents:
        counts[_bin(value)] += 1
    top = max(counts) or 1
    width = _WIDTH / len(counts)
    parts = [
        f'<svg viewBox="0 0 {_WIDTH} {_HEIGHT + 40}" width="{_WIDTH}" height="{_HEIGHT + 40}" '
        'role="img" aria-label="customers by change in percent">',
        "<title>customers by change in percent</title>",
    ]
    for index, count in enumerate(counts):
        height = _HEIGHT * count / top
        x = index * width
        colour = "#1b9a6c" if index < _BINS.index(0) + 1 else "#d65a2f"
        parts.append(
            f'<rect x="{x + 3:.1f}" y="{_HEIGHT - height:.1f}" width="{width - 6:.1f}" '
            f'height="{height:.1f}" fill="{colour}"><title>{esc(_bin_label(index))}: '
            f"{count}</title></rect>"
        )
        parts.append(
            f'<text x="{x + width / 2:.1f}" y="{_HEIGHT + 14}" font-size="10" '
            f'text-anchor="middle">{esc(_bin_label(index))}</text>'
        )
        if count:
            parts.append(
                f'<text x="{x + width / 2:.1f}" y="{_HEIGHT - height - 3:.1f}" font-size="10" '
                f'text-anchor="middle">{count}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _percent(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value:+} %"


def _row(cells: Sequence[str], *, header: bool = False) -> str:
    tag = "th" if header else "td"
    return "<tr>" + "".join(f"<{tag}>{esc(cell)}</{tag}>" for cell in cells) + "</tr>"


def cohort_page(result: Any) -> str:
    """A self-contained page for a :class:`~usage_engine.Simulation`."""
    currency = result.currency or ""
    start, end = (lago_datetime(instant) for instant in result.window)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        f"<title>Cohort simulation: {esc(start)} to {esc(end)}</title>",
        f"<style>{STYLE}</style></head>",
        "<body><header>",
        "<h1>Cohort simulation</h1>",
        f'<p class="meta">{len(result.members)} subscriptions priced over the periods from '
        f"{esc(start)} to {esc(end)}, usage held fixed; amounts in {esc(currency)}.</p>",
        "</header><main>",
    ]
    for outcome in result:

        def money(cents: int) -> str:
            return format_money(cents, currency)

        quantiles = outcome.quantiles
        out += [
            f"<h2>Scenario {esc(outcome.name)}</h2>",
            '<table class="summary">',
            _row(["baseline", money(outcome.baseline_cents)]),
            _row(["scenario", money(outcome.scenario_cents)]),
            _row(["change", f"{money(outcome.delta_cents)} ({_percent(outcome.percent)})"]),
            _row(
                [
                    "customers paying more, the same, less",
                    f"{outcome.up}, {outcome.flat}, {outcome.down}",
                ]
            ),
            _row(
                [
                    "change p50, p90, p95",
                    ", ".join(_percent(quantiles[q]) for q in ("p50", "p90", "p95")),
                ]
            ),
            "</table>",
            "<h3>Customers by change</h3>",
            histogram([c.percent for c in outcome.customers if c.percent is not None]),
            '<table class="charges">',
            _row(["customer", "baseline", "scenario", "change", "percent"], header=True),
            *(
                _row(
                    [
                        c.customer_id,
                        money(c.baseline_cents),
                        money(c.scenario_cents),
                        money(c.delta_cents),
                        _percent(c.percent),
                    ]
                )
                for c in (*outcome.top_increases, *outcome.top_decreases)
            ),
            "</table>",
        ]
    if result.coverage:
        out.append("<h2>Left out</h2><ul>")
        out += [
            f"<li>{esc(item.customer_id)} ({esc(item.subscription_id)}): {esc(item.reason)}</li>"
            for item in result.coverage
        ]
        out.append("</ul>")
    out += ["</main></body></html>", ""]
    return "\n".join(out)
