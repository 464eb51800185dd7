"""Prorated graduated (spec 4.8)."""

from decimal import Decimal

import pytest
from hypothesis import given

from tests.factories import event, metric, month_period, utc
from tests.pricing import strategies
from tests.pricing.builders import graduated, units_input
from usage_engine.aggregate import aggregate
from usage_engine.aggregation import Aggregation, Options
from usage_engine.models import AggregationType
from usage_engine.money import round_places, to_cents
from usage_engine.pricing import PricingInput
from usage_engine.pricing._tiers import tier_walk
from usage_engine.pricing.graduated import price_graduated
from usage_engine.pricing.prorated_graduated import price_prorated_graduated

SERVICE = graduated((0, 5, 10, 100), (6, None, 5, 50))
SEPTEMBER = graduated((0, 5, 10, 100), (6, 15, 5, 50), (16, None, 2, 0))


def _entries(full, prorated):
    return tuple(zip(map(Decimal, full), map(Decimal, prorated), strict=True))


def _price(properties, entries, units, *, invoicing=False):
    """The pricer on a bucket of prorated ``units`` with ``(full, prorated)`` ``entries``."""
    aggregation = Aggregation(units, len(entries), units, units, prorated_entries=tuple(entries))
    pricing_input = PricingInput(
        aggregation, AggregationType.SUM_AGG, True, "EUR", invoicing=invoicing
    )
    return price_prorated_graduated(properties, pricing_input)


@pytest.mark.parametrize(
    ("full", "prorated", "units", "expected"),
    [
        pytest.param(
            [5, 5, 10, -6],
            ["3.5", "2.66667", "2", "-2.2"],
            "5.96667",
            Decimal("197.33"),
            id="35 + 2.46667 × 5 + 150 flats = 197.33",
        ),
        pytest.param(
            [2, 5, 10, -6],
            ["1.4", "2.66667", "2", "-2.2"],
            "3.86667",
            Decimal("184.33"),
            id="an event straddling the boundary moves its overflow up: 184.33",
        ),
        pytest.param([], [], "0", Decimal(100), id="zero usage costs the first flat 100"),
    ],
)
def test_prorated_graduated_service_spec(full, prorated, units, expected):
    """The prorated_graduated_service_spec amounts, rounded half up to cents."""
    amount = _price(SERVICE, _entries(full, prorated), Decimal(units))
    assert round_places(amount, 2) == expected


@pytest.mark.parametrize(
    ("full", "prorated", "units", "expected", "cents"),
    [
        pytest.param([], [], "0", Decimal(100), 10_000, id="no events: the first flat"),
        pytest.param([2], ["1.4"], "1.4", Decimal(114), 11_400, id="+2 on 09-10 (p 1.4): 114.00"),
        pytest.param(
            [2, 5],
            ["1.4", "2.5"],
            "3.9",
            Decimal(184),
            18_400,
            id="+5 on 09-16 (p 2.5) crosses into the second tier: 184.00",
        ),
        pytest.param(
            [2, 5, -6],
            ["1.4", "2.5", "-2.2"],
            "1.7",
            Decimal("165.67"),
            16_567,
            id="-6 on 09-20 (p -2.2) keeps the peak's flats: 165.67",
        ),
    ],
)
def test_september_2023_scenario(full, prorated, units, expected, cents):
    """The prorated_graduated_spec scenario of September 2023, amounts and cents."""
    amount = _price(SEPTEMBER, _entries(full, prorated), Decimal(units))
    assert (round_places(amount, 2), to_cents(amount, "EUR")) == (expected, cents)


def test_scenario_through_the_sum_aggregation():
    """The aggregation's own entries for +2, +5, −6 in September 2023 price to 16 567 cents."""
    events = [
        event("m", utc(2023, 9, 10, 12), {"value": 2}),
        event("m", utc(2023, 9, 16, 12), {"value": 5}),
        event("m", utc(2023, 9, 20, 12), {"value": -6}),
    ]
    options = Options(recurring=True, prorated=True, keep_events=True)
    result, _ = aggregate(
        metric("sum_agg", recurring=True), events, month_period(2023, 9), options=options
    )
    amount = _price(SEPTEMBER, result.prorated_entries, result.units)
    assert to_cents(amount, "EUR") == 16_567


@pytest.mark.parametrize(
    ("units", "invoicing", "expected"),
    [
        pytest.param("-1.2", True, Decimal(0), id="invoicing: a negative full total costs 0"),
        pytest.param(
            "0", False, Decimal(100), id="current usage: floored units cost the first flat"
        ),
    ],
)
def test_negative_balance(units, invoicing, expected):
    """A balance driven below zero (+5 then −6) costs 0 when invoiced, the first flat in usage."""
    entries = _entries([5, -6], ["1", "-2.2"])
    amount = _price(SERVICE, entries, Decimal(units), invoicing=invoicing)
    assert amount == expected


def test_negative_total_with_positive_units():
    """Only the invoicing path stops at a negative full total; usage walks the entries."""
    entries = _entries([5, -6], ["2.5", "-2.2"])
    assert (
        _price(SERVICE, entries, Decimal("0.3"), invoicing=True),
        _price(SERVICE, entries, Decimal("0.3")),
    ) == (Decimal(0), Decimal("103.0"))


def test_zero_units_ignore_entries():
    """Zero prorated units cost the first tier's flat amount whatever the entries say."""
    entries = _entries([20], ["10"])
    assert _price(SERVICE, entries, Decimal(0)) == Decimal(100)


def test_adds_worth_nothing_are_skipped():
    """An add with no prorated value neither moves the tier nor prices anything."""
    entries = _entries([10, 3], ["0", "1.5"])
    assert _price(SERVICE, entries, Decimal("1.5")) == Decimal(115)


def test_missing_entries_are_refused():
    """Non-zero units without entries mean the events were not kept: a caller error."""
    with pytest.raises(ValueError, match="keep_events"):
        _price(SERVICE, (), Decimal(3))


@given(
    properties=strategies.graduated_properties(),
    entries=strategies.prorated_entries(allow_negative=False),
    ratio=strategies.ratios(),
)
def test_one_ratio_for_all_entries_scales_graduated(properties, entries, ratio):
    """When every entry has the same ratio, the unit prices of plain graduated scale by it."""
    entries = tuple((full, full * ratio) for full, _ in entries)
    total = sum((full for full, _ in entries), Decimal(0))
    flats = sum(
        (tier.flat_amount for tier in tier_walk(properties.graduated_ranges, total)), Decimal(0)
    )
    plain = price_graduated(properties, units_input(total))
    amount = _price(properties, entries, total * ratio)
    assert amount == (plain - flats) * ratio + flats


@given(properties=strategies.graduated_properties(), entries=strategies.prorated_entries())
def test_any_entries_price_to_a_non_negative_amount(properties, entries):
    """Rises, falls and worthless entries always finish the walk with an amount ≥ 0."""
    assert _price(properties, entries, Decimal(1)) >= 0


@pytest.mark.parametrize(
    ("full", "prorated"),
    [("0.2", "0.1"), ("0.5", "0.25"), ("3", "1.5"), ("0.15", "0.15")],
)
def test_a_gap_between_decimal_tiers_ends(full, prorated):
    """Tiers 0-0.1 and 0.1-0.2 at 1, then 1.2- at 2: full units that end at, or pass through,
    the gap between 0.2 and 1.2 move on to the next tier instead of walking the same units
    again forever. Whatever the split, every prorated unit costs between 1 and 2."""
    tiers = graduated(("0", "0.1", 1, 0), ("0.1", "0.2", 1, 0), ("1.2", None, 2, 0))
    units = Decimal(prorated)
    amount = _price(tiers, _entries([full], [prorated]), units)
    assert units <= amount <= 2 * units
