"""Currencies, exact decimal arithmetic and every rounding the engine does.

Money is :class:`~decimal.Decimal` end to end and leaves the engine as integer minor units. This
module is the only place that rounds: each rounding names its mode, and all arithmetic that can
lose digits runs in :data:`CONTEXT`, never in the thread's global decimal context.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)
from types import MappingProxyType
from typing import Final, ParamSpec, TypeVar

__all__ = [
    "ACCEPTED_CURRENCIES",
    "AMOUNT",
    "CONTEXT",
    "EXACT",
    "ROUNDING",
    "TOO_LARGE",
    "add",
    "ceil_places",
    "divide",
    "exact_decimals",
    "exponent",
    "floor_places",
    "multiply",
    "round_places",
    "subtract",
    "subunit_to_unit",
    "to_cents",
    "within_numeric_range",
]

ROUNDING: Final = ROUND_HALF_UP
"""Lago rounds money half away from zero (Ruby ``BigDecimal#round``)."""

AMOUNT: Final = "amount"
"""The path of an amount too large to compute: the callers that know whose it is rename it."""

CONTEXT: Final = Context(prec=60, rounding=ROUND_HALF_UP)
"""Precision for divisions and roundings: 60 significant digits, well past every figure Lago
prints. An amount that needs more digits than this is refused, never rounded silently."""

EXACT: Final = Context(
    prec=MAX_PREC,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    rounding=ROUND_HALF_UP,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)
"""Additions, subtractions and multiplications: exact whatever the magnitude, as PostgreSQL's
numeric is (``Inexact`` is trapped, so a lost digit could never pass unseen). Never divide
in it: a quotient such as 1/3 has no exact decimal form."""

TOO_LARGE: Final = f"is too large to compute exactly (more than {CONTEXT.prec} digits)"
"""The message of an amount that the rounding context cannot hold."""

# Lago's accepted currencies (app/models/concerns/currencies.rb).
ACCEPTED_CURRENCIES: Final = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BWP BYN
    BZD CAD CDF CHF CLF CLP CNY COP CRC CVE CZK DJF DKK DOP DZD EGP ETB EUR FJD FKP GBP GEL GHS
    GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR ISK JMD JOD JPY KES KGS KHR KMF KRW KWD
    KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRO MUR MVR MWK MXN MYR MZN NAD NGN
    NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SEK SGD SHP SLL
    SOS SRD STD SZL THB TJS TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VND VUV WST XAF XCD XOF XPF
    YER ZAR ZMW
    """.split()
)

# Minor-unit factors that differ from 100 (money gem 7.0.2). HUF and MGA are zero-decimal
# since money 7.
_SUBUNIT_TO_UNIT: Final[Mapping[str, int]] = MappingProxyType(
    {
        **dict.fromkeys(
            "BIF CLP DJF GNF HUF ISK JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split(), 1
        ),
        **dict.fromkeys("BHD JOD KWD".split(), 1000),
        "CLF": 10_000,
        # Lago's rule: the ouguiya's subunit is 5, so its exponent is round(log10 5) = 1
        # (docs/lago-differences.md, Q11).
        "MRO": 5,
    }
)
_EXPONENT: Final[Mapping[str, int]] = MappingProxyType(
    {code: len(str(factor)) - 1 for code, factor in _SUBUNIT_TO_UNIT.items()} | {"MRO": 1}
)
_QUANTUM: Final = {places: Decimal(1).scaleb(-places) for places in range(-6, 41)}


def exponent(currency: str) -> int:
    """Return the number of decimal places of ``currency``'s minor unit.

    >>> exponent("EUR"), exponent("JPY"), exponent("KWD"), exponent("CLF"), exponent("MRO")
    (2, 0, 3, 4, 1)
    """
    return _EXPONENT.get(currency, 2)


def subunit_to_unit(currency: str) -> int:
    """Return how many minor units make one unit of ``currency`` (``100`` for most).

    >>> subunit_to_unit("USD"), subunit_to_unit("HUF"), subunit_to_unit("MRO")
    (100, 1, 5)
    """
    return _SUBUNIT_TO_UNIT.get(currency, 100)


def _quantum(places: int) -> Decimal:
    quantum = _QUANTUM.get(places)
    return quantum if quantum is not None else Decimal(1).scaleb(-places)


def _round(value: Decimal, places: int, rounding: str) -> Decimal:
    # quantize to a positive exponent (places < 0) would give "1E+2"; normalise back to a plain
    # integer so that every result prints without an exponent.
    try:
        rounded = value.quantize(_quantum(places), rounding=rounding, context=CONTEXT)
    except InvalidOperation:
        from .errors import InvalidInput

        raise InvalidInput.at(AMOUNT, TOO_LARGE, value) from None
    return rounded.quantize(Decimal(1), context=CONTEXT) if places < 0 else rounded


def round_places(value: Decimal, places: int) -> Decimal:
    """Round half away from zero to ``places`` decimals (negative places round to tens...).

    >>> round_places(Decimal("2.345"), 2), round_places(Decimal("-2.5"), 0)
    (Decimal('2.35'), Decimal('-3'))
    >>> round_places(Decimal("150"), -2)
    Decimal('200')
    """
    return _round(value, places, ROUND_HALF_UP)


def ceil_places(value: Decimal, places: int) -> Decimal:
    """Round toward +infinity to ``places`` decimals (Ruby's ``ceil(n)``).

    >>> ceil_places(Decimal("0.516129"), 5), ceil_places(Decimal("-1.5"), 0)
    (Decimal('0.51613'), Decimal('-1'))
    """
    return _round(value, places, ROUND_CEILING)


def floor_places(value: Decimal, places: int) -> Decimal:
    """Round toward -infinity to ``places`` decimals (Ruby's ``floor(n)``).

    >>> floor_places(Decimal("123.456"), 2), floor_places(Decimal("-1.5"), 0)
    (Decimal('123.45'), Decimal('-2'))
    """
    return _round(value, places, ROUND_FLOOR)


def divide(numerator: Decimal | int, denominator: Decimal | int) -> Decimal:
    """Divide exactly to 60 significant digits (half-up on the last one).

    >>> divide(1, 3)
    Decimal('0.333333333333333333333333333333333333333333333333333333333333')
    """
    return CONTEXT.divide(Decimal(numerator), Decimal(denominator))


def add(left: Decimal | int, right: Decimal | int) -> Decimal | int:
    """Add exactly: integers stay integers, decimals are added in :data:`EXACT`.

    No digit is lost whatever the magnitudes, so the order of additions does not matter:

    >>> add(2, 3), add(2, Decimal("0.5"))
    (5, Decimal('2.5'))
    >>> add(Decimal("1E+70"), Decimal("1E-30"))
    Decimal('10000000000000000000000000000000000000000000000000000000000000000000000.000000000000000000000000000001')
    """
    if type(left) is int and type(right) is int:
        return left + right
    return EXACT.add(left, right)


def subtract(left: Decimal | int, right: Decimal | int) -> Decimal | int:
    """Subtract exactly: integers stay integers, decimals are subtracted in :data:`EXACT`.

    >>> subtract(2, 3), subtract(Decimal("1E+61"), Decimal("0.5"))
    (-1, Decimal('9999999999999999999999999999999999999999999999999999999999999.5'))
    """
    if type(left) is int and type(right) is int:
        return left - right
    return EXACT.subtract(left, right)


def multiply(left: Decimal | int, right: Decimal | int) -> Decimal | int:
    """Multiply exactly: integers stay integers, decimals are multiplied in :data:`EXACT`.

    >>> multiply(3, 4), multiply(Decimal("1.5"), 3)
    (12, Decimal('4.5'))
    """
    if type(left) is int and type(right) is int:
        return left * right
    return EXACT.multiply(left, right)


def to_cents(amount: Decimal, currency: str) -> int:
    """Convert an amount in currency units to integer minor units, rounding half up.

    The amount is rounded to the currency's exponent first, then scaled, as Lago does
    (``fees/charge_service.rb``).

    >>> to_cents(Decimal("0.005"), "EUR"), to_cents(Decimal("-0.005"), "EUR")
    (1, -1)
    >>> to_cents(Decimal("100.50"), "KWD"), to_cents(Decimal("99.5"), "JPY")
    (100500, 100)
    """
    places = exponent(currency)
    try:
        scaled = EXACT.multiply(round_places(amount, places), subunit_to_unit(currency))
    except InvalidOperation:
        from .errors import InvalidInput

        msg = f"is too large to be a {currency} amount (at most {CONTEXT.prec} digits)"
        raise InvalidInput.at(AMOUNT, msg, amount) from None
    # Only MRO (subunit 5, exponent 1) can land between two integers here; Lago's integer column
    # then drops the fraction.
    return int(scaled.to_integral_value(rounding=ROUND_DOWN, context=CONTEXT))


# Postgres numeric's range: digits before and after the decimal point.
_NUMERIC_INTEGER_DIGITS: Final = 131_072
_NUMERIC_DECIMAL_DIGITS: Final = 16_383


def within_numeric_range(number: Decimal) -> bool:
    """Whether Postgres numeric, hence Lago's store, can hold the finite ``number``.

    Far beyond any real amount, yet a bound: exact arithmetic on ``1E+999999999`` would need a
    billion digits.

    >>> within_numeric_range(Decimal("1E+131071")), within_numeric_range(Decimal("1E+131072"))
    (True, False)
    >>> within_numeric_range(Decimal("1E-16383")), within_numeric_range(Decimal("1E-16384"))
    (True, False)
    """
    if not number:
        return True
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    return number.adjusted() < _NUMERIC_INTEGER_DIGITS and -exponent <= _NUMERIC_DECIMAL_DIGITS


P = ParamSpec("P")
R = TypeVar("R")


def exact_decimals(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` with :data:`CONTEXT` as the thread's decimal context, restored after.

    The public entry points are wrapped with it, so that every decimal operation inside the
    engine, explicit or not, has 60 digits and half-up rounding whatever the caller's context.
    """

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with localcontext(CONTEXT):
            return function(*args, **kwargs)

    return wrapper
