"""The report's SVG charts: units and amount by day so far, and the projection."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Final

from ..models.usage import ChargeUsage
from ..money import subunit_to_unit
from .daily import DailySeries
from .text import visible

_WIDTH: Final = 760
_HEIGHT: Final = 250
_PANEL: Final = 335
_UNITS_COLOUR: Final = "#2f6fd6"
_AMOUNT_COLOUR: Final = "#1b9a6c"


def esc(value: object) -> str:
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

    out = [f'<text x="{x0 + 52}" y="16" class="title" font-weight="600">{esc(title)}</text>']
    tick = 0.0
    while tick <= ceiling + step / 1000:
        y = py(tick)
        out.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" stroke="#e3e6ec"/>'
        )
        out.append(
            f'<text x="{left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">'
            f"{esc(_compact(tick))}</text>"
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
            f'<text x="{x:.1f}" y="{bottom + 17:.1f}" text-anchor="middle">{esc(label)}</text>'
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
            f"<title>{esc(_compact(values[-1]))} so far</title></circle>"
        )
        if projected is not None and len(values) - 1 < total:
            out.append(
                f'<line x1="{end_x:.1f}" y1="{end_y:.1f}" x2="{px(total):.1f}" '
                f'y2="{py(projected):.1f}" stroke="{colour}" stroke-width="2" '
                'stroke-dasharray="6 4"/>'
            )
            out.append(
                f'<circle cx="{px(total):.1f}" cy="{py(projected):.1f}" r="3" fill="white" '
                f'stroke="{colour}"><title>{esc(_compact(projected))} projected</title></circle>'
            )
    return out


def chart(
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
        f'width="{_WIDTH}" height="{_HEIGHT}" role="img" aria-label="{esc(label)}" '
        'font-family="system-ui, sans-serif" font-size="11" fill="#3c4454">',
        f"<title>{esc(label)}</title>",
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
