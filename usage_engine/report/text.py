"""Text for a terminal: control characters shown, figures formatted, columns aligned."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from ..money import exponent, subunit_to_unit

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
    """Units for a person: at most ``places`` decimals (half up), no trailing zeros, grouped.

    The one rule for units in tables, the HTML report and the demo; JSON and CSV carry the
    exact figure.

    >>> format_quantity(Decimal("1111.18653972520908004779")), format_quantity(Decimal("3.0"))
    ('1,111.1865', '3')
    >>> format_quantity(Decimal("63476")), format_quantity(Decimal("-0.00001"))
    ('63,476', '0')
    >>> format_quantity(Decimal("1" + "0" * 24 + ".00005"))
    '1,000,000,000,000,000,000,000,000.0001'
    """
    numerator, denominator = value.as_integer_ratio()
    return _grouped(_half_up(numerator * 10**places, denominator), places, trim=True)


def format_share(ratio: Decimal) -> str:
    """A share of the period as a percentage with one decimal (half up), never 16 digits.

    >>> format_share(Decimal("0.6451612903225806451612903226")), format_share(Decimal(1))
    ('64.5 %', '100 %')
    >>> format_share(Decimal("0.00049"))
    '0 %'
    """
    numerator, denominator = ratio.as_integer_ratio()
    return f"{_grouped(_half_up(numerator * 1000, denominator), 1, trim=True)} %"


def whole_cents(cents: Decimal) -> int:
    return int(cents.to_integral_value(rounding=ROUND_HALF_UP))


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
