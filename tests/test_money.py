"""usage_engine.money: currency exponents (spec 7.2), half-up cents and the named roundings."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from usage_engine.money import (
    ACCEPTED_CURRENCIES,
    add,
    ceil_places,
    divide,
    exponent,
    floor_places,
    multiply,
    round_places,
    subunit_to_unit,
    to_cents,
)

D = Decimal

# Spec 7.2 (money 7.0.2, Lago's accepted list).
CURRENCY_TABLE = [
    pytest.param("EUR", 2, 100, id="EUR has cents"),
    pytest.param("USD", 2, 100, id="USD has cents"),
    pytest.param("HRK", 2, 100, id="HRK, from the backward-compatible table, has cents"),
    pytest.param("JPY", 0, 1, id="JPY has no minor unit"),
    pytest.param("HUF", 0, 1, id="HUF has no minor unit since money 7"),
    pytest.param("MGA", 0, 1, id="MGA has no minor unit since money 7"),
    pytest.param("KWD", 3, 1000, id="KWD has three decimals"),
    pytest.param("BHD", 3, 1000, id="BHD has three decimals"),
    pytest.param("JOD", 3, 1000, id="JOD has three decimals"),
    pytest.param("CLF", 4, 10_000, id="CLF has four decimals"),
    pytest.param("MRO", 1, 5, id="MRO has a subunit of 5 and exponent 1 (quirk Q11)"),
]
ZERO_DECIMAL = "BIF CLP DJF GNF HUF ISK JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()


@pytest.mark.parametrize(("currency", "places", "subunit"), CURRENCY_TABLE)
def test_currency_exponent_and_subunit(currency: str, places: int, subunit: int) -> None:
    """Each currency of spec 7.2 has its exponent and subunit, and Lago accepts it."""
    assert (exponent(currency), subunit_to_unit(currency)) == (places, subunit)
    assert currency in ACCEPTED_CURRENCIES


@pytest.mark.parametrize("currency", ZERO_DECIMAL)
def test_zero_decimal_currencies(currency: str) -> None:
    """Every zero-decimal currency of spec 7.2 has exponent 0 and subunit 1."""
    assert (exponent(currency), subunit_to_unit(currency)) == (0, 1)
    assert currency in ACCEPTED_CURRENCIES


def test_every_other_accepted_currency_has_cents() -> None:
    """Outside the table's exceptions, every accepted currency has two decimals."""
    exceptions = {*ZERO_DECIMAL, "BHD", "JOD", "KWD", "CLF", "MRO"}
    for currency in ACCEPTED_CURRENCIES - exceptions:
        assert (currency, exponent(currency), subunit_to_unit(currency)) == (currency, 2, 100)


def test_currencies_lago_does_not_accept() -> None:
    """Codes Lago does not accept are not in the list (crypto, lower case, withdrawn)."""
    assert {"BTC", "eur", "XXX", "VEF", ""} & ACCEPTED_CURRENCIES == set()


TO_CENTS = [
    pytest.param("12.50", "EUR", 1250, id="an exact amount scales"),
    pytest.param("0.005", "EUR", 1, id="half a cent rounds up"),
    pytest.param("-0.005", "EUR", -1, id="minus half a cent rounds away from zero"),
    pytest.param("0.0049999", "EUR", 0, id="just below half a cent rounds down"),
    pytest.param("-0.0049999", "EUR", 0, id="just above minus half a cent rounds to zero"),
    pytest.param("12.345", "USD", 1235, id="a half on the last place rounds up"),
    pytest.param("-12.345", "USD", -1235, id="a negative half rounds away from zero"),
    pytest.param("0.015", "EUR", 2, id="half-up, not half-even"),
    pytest.param("0", "EUR", 0, id="zero is zero"),
    pytest.param("99.5", "JPY", 100, id="half a yen rounds up"),
    pytest.param("-99.5", "JPY", -100, id="minus half a yen rounds away from zero"),
    pytest.param("100.49", "HUF", 100, id="HUF rounds to whole forints"),
    pytest.param("100.50", "KWD", 100_500, id="KWD amount 100.50 is 100 500 fils (spec 7.2)"),
    pytest.param("0.0005", "KWD", 1, id="half a fils rounds up"),
    pytest.param("-0.0005", "BHD", -1, id="minus half a fils rounds away from zero"),
    pytest.param("1.00005", "CLF", 10_001, id="CLF rounds at the fourth decimal"),
    pytest.param("1.00004", "CLF", 10_000, id="CLF below half rounds down"),
    pytest.param("2", "MRO", 10, id="2 ouguiyas are 10 khoums"),
    pytest.param("0.2", "MRO", 1, id="0.2 ouguiya is one khoum"),
    pytest.param("1.25", "MRO", 6, id="MRO rounds to 1.3 then drops the half khoum"),
    pytest.param("-1.25", "MRO", -6, id="negative MRO drops the half khoum toward zero"),
    pytest.param("12.345", "ZZZ", 1235, id="an unknown currency is treated as two decimals"),
    pytest.param(
        "123456789012345678901.235",
        "EUR",
        12_345_678_901_234_567_890_124,
        id="a large amount stays exact",
    ),
]


@pytest.mark.parametrize(("amount", "currency", "cents"), TO_CENTS)
def test_to_cents(amount: str, currency: str, cents: int) -> None:
    """to_cents rounds half up (away from zero) at the currency's exponent, then scales."""
    result = to_cents(D(amount), currency)
    assert (result, type(result)) == (cents, int)


def test_to_cents_ignores_the_thread_decimal_context() -> None:
    """to_cents gives the same cents whatever the caller's decimal context is."""
    with localcontext() as context:
        context.prec = 3
        context.rounding = ROUND_DOWN
        assert to_cents(D("12345.675"), "EUR") == 1_234_568


EXACT_CURRENCIES = ["EUR", "USD", "JPY", "HUF", "MGA", "KWD", "BHD", "JOD", "CLF"]


@given(st.sampled_from(EXACT_CURRENCIES), st.integers(min_value=-(10**20), max_value=10**20))
def test_amount_with_exactly_exponent_decimals_converts_exactly(currency: str, minor: int) -> None:
    """An amount with exactly the currency's decimals becomes its minor units, unrounded."""
    amount = D(minor).scaleb(-exponent(currency))
    assert to_cents(amount, currency) == minor


@given(st.integers(min_value=-(10**20), max_value=10**20))
def test_mro_amounts_in_whole_khoums_convert_exactly(khoums: int) -> None:
    """An MRO amount that is a whole number of khoums (0.2 ouguiya) converts exactly."""
    assert to_cents(divide(khoums, 5), "MRO") == khoums


@given(st.sampled_from(EXACT_CURRENCIES), st.integers(min_value=0, max_value=10**20))
def test_a_half_minor_unit_rounds_away_from_zero(currency: str, minor: int) -> None:
    """Half a minor unit above n rounds to n + 1, and its negative to -(n + 1)."""
    places = exponent(currency)
    amount = D(minor).scaleb(-places) + D(5).scaleb(-places - 1)
    assert (to_cents(amount, currency), to_cents(-amount, currency)) == (minor + 1, -minor - 1)


ROUNDINGS = [
    pytest.param(round_places, "123.456", 2, "123.46", id="round half up to 2 places"),
    pytest.param(ceil_places, "123.456", 2, "123.46", id="ceil to 2 places"),
    pytest.param(floor_places, "123.456", 2, "123.45", id="floor to 2 places"),
    pytest.param(round_places, "123.456", 0, "123", id="round to units"),
    pytest.param(ceil_places, "123.456", 0, "124", id="ceil to units"),
    pytest.param(floor_places, "123.456", 0, "123", id="floor to units"),
    pytest.param(round_places, "123.456", -2, "100", id="round to hundreds"),
    pytest.param(ceil_places, "123.456", -2, "200", id="ceil to hundreds"),
    pytest.param(floor_places, "123.456", -2, "100", id="floor to hundreds"),
    pytest.param(round_places, "-2.5", 0, "-3", id="round a negative half away from zero"),
    pytest.param(ceil_places, "-1.5", 0, "-1", id="ceil a negative toward +infinity"),
    pytest.param(floor_places, "-1.5", 0, "-2", id="floor a negative toward -infinity"),
    pytest.param(ceil_places, "0.516129", 5, "0.51613", id="ceil at 5 places (prorations)"),
    pytest.param(round_places, "150", -2, "200", id="round 150 to hundreds goes up"),
]


@pytest.mark.parametrize(("function", "value", "places", "expected"), ROUNDINGS)
def test_named_roundings(function: object, value: str, places: int, expected: str) -> None:
    """Each rounding names its mode and prints without exponent notation."""
    result = function(D(value), places)  # type: ignore[operator]
    assert (str(result), result) == (expected, D(expected))


def test_divide_keeps_sixty_significant_digits() -> None:
    """divide is exact to 60 significant digits, rounding the last one half up."""
    assert divide(2, 3) == D("0." + "6" * 59 + "7")
    assert divide(D("10.5"), 2) == D("5.25")


def test_add_and_multiply_keep_integers_integers() -> None:
    """add and multiply keep int inputs int, and decimal inputs exact."""
    assert (add(2, 3), type(add(2, 3))) == (5, int)
    assert (multiply(3, 4), type(multiply(3, 4))) == (12, int)
    assert add(2, D("0.5")) == D("2.5")
    assert multiply(D("1.5"), 3) == D("4.5")
