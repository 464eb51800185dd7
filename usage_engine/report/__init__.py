"""Readable renderings of usage results: text tables for a terminal and a self-contained HTML page.

Nothing here computes a price: the tables and charts show what :func:`current_usage`,
:func:`projected_usage` and :func:`past_usage` return, and :func:`daily_series` reads the
engine's own rating once a day while folding in the events in one pass.

One module per job: :mod:`.text` (figures and columns), :mod:`.lines` (the rows of a usage
table), :mod:`.tables` (text tables), :mod:`.daily` (the day-by-day series), :mod:`.charts`
(SVG) and :mod:`.page` (the HTML page).
"""

from __future__ import annotations

from .daily import DailySeries, daily_series
from .lines import filter_label, group_label
from .page import html_report
from .tables import past_table, period_heading, period_lines, usage_table
from .text import format_money, format_quantity, text_table, visible

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
