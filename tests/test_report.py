"""The renderings: text tables, the day-by-day series and the HTML report."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal, Inexact, InvalidOperation, localcontext
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.factories import charge, event, metric, month_period, plan, utc
from usage_engine import UsageState, current_usage, past_usage, projected_usage
from usage_engine._time import event_micros, from_micros
from usage_engine.demo import NOW, load_sample, subscription_result
from usage_engine.report import (
    daily_series,
    format_money,
    format_quantity,
    html_report,
    past_table,
    usage_table,
    visible,
)
from usage_engine.strategies import usage_cases

# Elements without an end tag in HTML.
VOID = frozenset({"meta", "link", "br", "hr", "img", "input", "col", "source", "wbr"})


class _Page(HTMLParser):
    """Checks tag balance and collects the text of every table's rows, by table class."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.starts: dict[str, int] = {}
        self.doctype = ""
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        self.starts[tag] = self.starts.get(tag, 0) + 1
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("class") or "", [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th"):
            self._cell = []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.starts[tag] = self.starts.get(tag, 0) + 1

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self._table[-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def acme():
    """The demo's figures for acme and its report page, parsed."""
    sample = load_sample()
    result = subscription_result(sample, "acme")
    daily = daily_series(sample.plan, sample.events, result.period, now=NOW, taxes=sample.taxes)
    page = html_report(
        result.projected,
        daily,
        plan=sample.plan,
        period=result.period,
        now=NOW,
        previous=result.previous,
        name=result.subscription.display_name,
    )
    parsed = _Page()
    parsed.feed(page)
    parsed.close()
    return result, daily, page, parsed


def test_report_is_balanced_html5(acme):
    """The page is HTML5 whose every element is closed in order."""
    _, _, page, parsed = acme
    assert parsed.doctype == "DOCTYPE html"
    assert parsed.problems == []
    assert parsed.stack == []
    assert (parsed.starts["html"], parsed.starts["head"], parsed.starts["body"]) == (1, 1, 1)
    assert '<meta charset="utf-8">' in page


def test_report_is_self_contained(acme):
    """No script and no external resource: the only URL is the SVG namespace."""
    _, _, page, parsed = acme
    assert "script" not in parsed.starts
    assert "<link" not in page
    urls = {part.split('"')[0] for part in page.split('"http')[1:]}
    assert urls == {"://www.w3.org/2000/svg"}


def test_one_chart_per_charge(acme):
    """One inline SVG per charge, each with a solid curve and a dashed projection."""
    result, _, page, parsed = acme
    charges = len(result.projected.charges_usage)
    assert charges == 10
    assert page.count("<svg") == parsed.starts["svg"] == charges
    assert parsed.starts["polyline"] == 2 * charges
    assert page.count('stroke-dasharray="6 4"') == 2 * charges


def test_summary_table(acme):
    """The summary gives the usage so far, taxes, total and projection."""
    *_, parsed = acme
    assert parsed.tables["summary"] == [
        ["usage so far", "1,637.66"],
        ["taxes", "327.53"],
        ["total so far", "1,965.19"],
        ["usage projected to the period end", "2,400.73"],
        ["period elapsed, today included", "64.5 %"],  # 20 of 31 days
    ]


def test_charges_table(acme):
    """The charges table has every charge, filter bucket and group, with the exact figures."""
    result, *_, parsed = acme
    rows = parsed.tables["charges"]
    assert rows[0] == [
        "charge",
        "model",
        "units",
        "events",
        "amount EUR",
        "projected units",
        "projected EUR",
    ]
    assert rows[1] == ["API requests", "standard", "2,839", "2,839", "12.87", "4,400.45", "19.95"]
    assert ["region=eu", "", "53.75", "45", "95.63", "83.31", "139.97"] in rows
    assert rows[-1] == ["usage", "", "", "", "1,637.66", "", "2,400.73"]
    named = {row[0]: row for row in rows}
    for item in result.projected.charges_usage:
        row = named[item.billable_metric.name]
        assert row[2:5] == [
            format_quantity(item.units),
            f"{item.events_count:,}",
            format_money(item.amount_cents, "EUR"),
        ]
        assert row[6] == format_money(item.projected_amount_cents, "EUR")


def test_previous_period_table(acme):
    """The previous period's frozen figures and digest are on the page."""
    result, _, page, parsed = acme
    rows = parsed.tables["past"]
    assert rows[-3:] == [
        ["usage", "", "", "", "1,900.61"],
        ["taxes", "", "", "", "380.12"],
        ["total", "", "", "", "2,280.73"],
    ]
    assert f"sha256:{result.previous.digest}" in page


def test_day_by_day_tables(acme):
    """Each charge has a day-by-day table, from the period start to now."""
    *_, parsed = acme
    days = parsed.tables[""]
    assert len(days) == 10 * 22  # a header, the start and 20 days per charge
    assert days[:3] == [
        ["day", "units", "amount EUR"],
        ["period start", "0", "0.00"],
        ["Thu 2026-10-01", "143", "0.66"],
    ]
    assert days[21] == ["Tue 2026-10-20 (now, every event)", "2,839", "12.87"]


def test_daily_series_ends_at_the_current_usage(acme):
    """The last point of every charge is the current usage; counts only grow day by day."""
    result, daily, *_ = acme
    assert (daily.elapsed, len(daily.days)) == (20, 31)
    assert [len(points) for points in daily.points] == [21] * 10
    for points, item in zip(daily.points, result.current.charges_usage, strict=True):
        assert points[-1] == (item.units, item.amount_cents)
    api = [units for units, _ in daily.points[0]]
    assert api == sorted(api)


def test_daily_series_starts_with_the_carried_over_seats(acme):
    """Recurring seats are there at the period start, before any event of the period."""
    result, daily, *_ = acme
    names = [item.billable_metric.name for item in result.current.charges_usage]
    seats = daily.points[names.index("Seats")]
    assert seats[0] == (Decimal(12), 14000)


def test_daily_series_before_the_period():
    """At an instant before the period only the start is drawn."""
    calls = plan(charge("standard", {"amount": "1"}))
    march = month_period(2024, 3)
    daily = daily_series(calls, [event("m", utc(2024, 3, 2))], march, now="2024-02-20T00:00:00Z")
    assert (daily.elapsed, daily.points) == (0, (((Decimal(1), 100),),))


# ---------------------------------------------------------------------------------------------
# Text tables.

REGIONS = metric("count_agg", filters=[{"key": "region", "values": ["eu", "us"]}])
FILTERED = charge(
    "standard",
    {"amount": "1", "pricing_group_keys": ["tier"]},
    billable_metric=REGIONS,
    filters=[
        {
            "values": {"region": ["eu"]},
            "invoice_display_name": "Europe",
            "properties": {"amount": "2", "pricing_group_keys": ["tier"]},
        }
    ],
)
EVENTS = [
    event("m", utc(2024, 3, 2), {"region": "eu", "tier": "gold"}),
    event("m", utc(2024, 3, 2), {"region": "eu", "tier": "free"}),
    event("m", utc(2024, 3, 3), {"region": "us", "tier": "gold"}),
]


def test_usage_table_nests_filters_and_groups():
    """Filter buckets sit under their charge and pricing groups under their bucket."""
    usage = current_usage(plan(FILTERED), EVENTS, month_period(2024, 3))
    assert usage_table(usage, title="March").splitlines() == [
        "March",
        "",
        "charge               model     units  events  amount EUR",
        "-------------------  --------  -----  ------  ----------",
        "m                    standard      3       3        5.00",
        "  Europe                           2       2        4.00",
        "    tier=free                      1       1        2.00",
        "    tier=gold                      1       1        2.00",
        "  no filter matched                1       1        1.00",
        "    tier=gold                      1       1        1.00",
        "-------------------  --------  -----  ------  ----------",
        "usage                                               5.00",
        "taxes                                               0.00",
        "total                                               5.00",
    ]


def test_usage_table_with_projection():
    """A projected usage shows its ratio and projected columns."""
    usage = projected_usage(
        plan(FILTERED), EVENTS, month_period(2024, 3), now="2024-03-03T12:00:00Z"
    )
    lines = usage_table(usage, title="March").splitlines()
    assert lines[1:3] == [
        "projection to the period end, method lago:",
        "9.7 % of the period elapsed, today included",  # 3 of 31 days: 9.677...%
    ]
    rows = [line.split() for line in lines]
    assert rows[6] == ["m", "standard", "3", "3", "5.00", "30.99", "51.65"]
    assert rows[7] == ["Europe", "2", "2", "4.00", "20.66", "41.32"]
    assert rows[-3] == ["usage", "5.00", "51.65"]


def test_past_table_lists_true_ups_apart():
    """A true-up is its own line under the totals, with the digest last."""
    the_plan = plan(charge("standard", {"amount": "1"}, min_amount_cents=500))
    frozen = past_usage(the_plan, [event("m", utc(2024, 3, 2))], month_period(2024, 3))
    lines = past_table(frozen, title="March").splitlines()
    assert lines[:2] == ["March", "issued 2024-04-01"]
    assert lines[-6:] == [
        "usage                                  1.00",
        "taxes                                  0.00",
        "total                                  1.00",
        "true-up  m: adds 4.00 EUR, apart from the usage totals",
        "         (minimum 5.00 prorated to 5.00)",
        f"digest   sha256:{frozen.digest}",
    ]


def test_past_table_without_fees():
    """A period without usage says so."""
    frozen = past_usage(plan(charge("standard", {"amount": "1"})), [], month_period(2024, 3))
    assert "(no fees)" in past_table(frozen)


# ---------------------------------------------------------------------------------------------
# Exact formatting and terminal safety.

_PLACES = {"EUR": 2, "JPY": 0, "KWD": 3, "CLF": 4}


@given(cents=st.integers(-(10**70), 10**70), currency=st.sampled_from(sorted(_PLACES)))
def test_money_keeps_every_digit_whatever_the_thread_context(cents, currency):
    """Property: the text read back is the amount, even under a 5-digit thread context."""
    with localcontext(Context(prec=5, traps=[InvalidOperation, Inexact])):
        text = format_money(cents, currency)
    wide = Context(prec=200)
    assert Decimal(text.replace(",", "")).scaleb(_PLACES[currency], context=wide) == cents


@given(
    value=st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
        lambda value: abs(value.adjusted()) < 80
    ),
    places=st.integers(0, 6),
)
def test_quantity_rounds_half_up_exactly_whatever_the_thread_context(value, places):
    """Property: the units shown are the value rounded half up to ``places``, every digit kept."""
    with localcontext(Context(prec=5, traps=[InvalidOperation, Inexact])):
        text = format_quantity(value, places)
    wide = Context(prec=200, rounding=ROUND_HALF_UP)
    expected = value.quantize(Decimal(1).scaleb(-places), context=wide)
    assert Decimal(text.replace(",", "")) == expected


def test_thirty_two_digit_amounts_and_units_in_the_tables():
    """A 32-digit amount and 25-digit units print whole in usage and past tables."""
    big = plan(charge("standard", {"amount": "1"}, billable_metric=metric("sum_agg", code="m")))
    period = month_period(2025, 3)
    events = [event("m", utc(2025, 3, 5), {"value": "12345678901234567890123456789012"})]
    current = usage_table(current_usage(big, events, period), title="t")
    row = current.splitlines()[4].split()
    assert row[1:3] == ["standard", "12,345,678,901,234,567,890,123,456,789,012"]
    assert ["usage", "12,345,678,901,234,567,890,123,456,789,012.00"] in [
        line.split() for line in current.splitlines()
    ]
    frozen = past_table(past_usage(big, events, period), title="t")
    assert ["total", "12,345,678,901,234,567,890,123,456,789,012.00"] in [
        line.split() for line in frozen.splitlines()
    ]


@given(text=st.text())
def test_visible_text_holds_no_control_character(text):
    """Property: no C0, DEL, C1 or bidi control survives, and escaping twice changes nothing."""
    shown = visible(text)
    assert not any(
        ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 or char in "\u2028\u2029\u202e\u2066"
        for char in shown
    )
    assert visible(shown) == shown


def test_tables_escape_names_and_stay_aligned():
    """A charge named with an escape sequence is shown escaped, its columns aligned."""
    hostile = plan(
        charge(
            "standard",
            {"amount": "1"},
            billable_metric=metric("count_agg", code="m", field_name=None),
            invoice_display_name="\x1b[2JAPI\x07",
        )
    )
    period = month_period(2025, 3)
    lines = usage_table(current_usage(hostile, [], period), title="\x1b]0;t\x07").splitlines()
    assert lines[0] == "\\x1b]0;t\\x07"
    assert lines[4].startswith("\\x1b[2JAPI\\x07  standard")
    assert len(lines[2]) == len(lines[3]) == len(lines[4])


def test_html_escaping_of_names_is_kept():
    """Markup in names is escaped in the page; control characters are shown as escapes."""
    named = plan(
        charge(
            "standard",
            {"amount": "1"},
            billable_metric=metric("count_agg", code="m", field_name=None, name="<i>A&B</i>\x9b"),
        ),
        name='"Pro" <plan>',
    )
    period = month_period(2025, 3)
    at = "2025-03-10T00:00:00Z"
    usage = projected_usage(named, [], period, now=at)
    page = html_report(
        usage, daily_series(named, [], period, now=at), plan=named, period=period, now=at
    )
    assert "<h3>&lt;i&gt;A&amp;B&lt;/i&gt;\\x9b</h3>" in page
    assert "Plan &quot;Pro&quot; &lt;plan&gt; (plan)" in page
    assert "\x9b" not in page


# ---------------------------------------------------------------------------------------------
# The day-by-day series against current usage, day by day.


def _series_by_prefixes(case, events):
    """The definition: current usage over the events up to each day's local end, input order."""
    period = case.period
    zone = ZoneInfo(period.timezone)
    first = period.charges_from_datetime.astimezone(zone).date()
    last = period.charges_to_datetime.astimezone(zone).date()
    days = (last - first).days + 1
    now = case.now
    if now < period.charges_from_datetime:
        elapsed = 0
    elif now >= period.charges_to_datetime:
        elapsed = days
    else:
        elapsed = min(max((now.astimezone(zone).date() - first).days + 1, 1), days)
    rows = []
    for point in range(elapsed + 1):
        if point == elapsed:
            chosen = events
        else:
            # Point 0 is the period start (history only); point k the k-th day's local end.
            midnight = datetime.combine(first + timedelta(days=point), time(), tzinfo=zone)
            ends = period.charges_from_datetime if point == 0 else midnight
            chosen = [item for item in events if _stamp(item) < ends]
        usage = current_usage(case.plan, chosen, period, taxes=case.taxes, invalid_events="collect")
        rows.append([(item.units, item.amount_cents) for item in usage.charges_usage])
    return elapsed, tuple(zip(*rows, strict=True)) if rows and rows[0] else ()


def _stamp(item):
    return from_micros(event_micros(item["timestamp"]))


@settings(max_examples=max(10, settings().max_examples // 3))
@given(case=usage_cases(max_events=12), data=st.data())
def test_daily_series_is_current_usage_at_each_days_end(case, data):
    """One pass gives, at each day's end, the current usage of the events stamped by then,
    also when a transaction_id is re-sent with another timestamp or other content."""
    events = [dict(item) for item in case.events]
    if events:
        picked = data.draw(st.lists(st.sampled_from(events), max_size=4))
        resent = [
            {**item, "timestamp": data.draw(st.sampled_from([e["timestamp"] for e in events]))}
            for item in picked
        ]
        events = data.draw(st.permutations(events + resent))
    # The series reads a UsageState: where the state itself disagrees with current usage (a
    # graduated charge with two filters of the same values and a flat amount per pricing group,
    # an event before the period) the series cannot agree either; that is the state's to fix.
    state = UsageState(case.plan, case.period, taxes=case.taxes, invalid_events="collect")
    state.add(events)
    whole = current_usage(
        case.plan, events, case.period, taxes=case.taxes, invalid_events="collect"
    )
    assume(state.current_usage().charges_usage == whole.charges_usage)
    daily = daily_series(case.plan, events, case.period, now=case.now, taxes=case.taxes)
    elapsed, points = _series_by_prefixes(case, events)
    assert daily.elapsed == elapsed
    assert daily.points == points


def test_daily_series_lets_the_first_copy_win_when_it_comes_later():
    """A transaction_id sent on day 5, then again stamped day 2: day 2..4 count the second copy
    (the only one by then), from day 5 on the first copy wins, as in current usage."""
    sums = plan(
        charge("standard", {"amount": "1"}, billable_metric=metric("sum_agg", field_name="n"))
    )
    march = month_period(2024, 3)
    first = event("m", utc(2024, 3, 5), {"n": 10}, transaction_id="t")
    second = event("m", utc(2024, 3, 2), {"n": 3}, transaction_id="t")
    daily = daily_series(sums, [first, second], march, now="2024-03-06T12:00:00Z")
    assert [cents for _, cents in daily.points[0]] == [0, 0, 300, 300, 300, 1000, 1000]


def test_the_page_is_for_a_reader_titled_by_name_details_apart(acme):
    """Titled with the subscription's name; method and digest in a closed details block; the
    share of the period as a percentage, and no long decimal anywhere."""
    result, _, page, _ = acme
    assert "<h1>Usage of Acme Robotics</h1>" in page
    assert "<title>Usage of Acme Robotics: 2026-10-01 to 2026-10-31 (Europe/Paris)</title>" in page
    start = page.index('<details class="meta">')
    details = page[start : page.index("</details>", start)]
    assert "Projection method: Lago&#x27;s: the units so far divided by" in details
    assert f"<code>sha256:{result.previous.digest}</code>" in details
    assert page.count("sha256:") == 1
    # How each charge's fees split between events: a fact for a linear price, else a convention.
    assert "api_requests: marginal, a fact; compute: marginal, a convention;" in details
    assert "connections: decider, a convention;" in details
    assert re.search(r"\d\.\d{7,}", page) is None
