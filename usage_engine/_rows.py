"""A result as flat rows: one per (charge, filter bucket, pricing group), for tables and CSV.

Rows are plain dicts with the same keys in the same order for every result of a kind, so that
``pandas.DataFrame(rows)`` or ``polars.DataFrame(rows)`` works as it is. Values stay exact:
units and amounts are ``Decimal``, cents are ``int``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any, Final

from ._labels import filter_text, group_text
from .models.period import lago_datetime
from .models.usage import ChargeUsage, FilterUsage, ProjectedUsage, format_units
from .money import exponent, subunit_to_unit

if TYPE_CHECKING:
    from .models.usage import BucketFee, Usage

__all__ = [
    "COLUMNS",
    "PROJECTED_COLUMNS",
    "SUBSCRIPTION_COLUMN",
    "cell",
    "columns_of",
    "csv_text",
    "currency_amount",
    "usage_rows",
    "write_csv",
]

COLUMNS: Final = (
    "from_datetime",
    "to_datetime",
    "currency",
    "charge_id",
    "charge_code",
    "charge_model",
    "charge_name",
    "metric_code",
    "aggregation_type",
    "filter",
    "group",
    "units",
    "events_count",
    "amount",
    "amount_cents",
)
PROJECTED_COLUMNS: Final = ("projected_units", "projected_amount", "projected_amount_cents")
SUBSCRIPTION_COLUMN: Final = "external_subscription_id"


def currency_amount(cents: int, currency: str) -> Decimal:
    """``cents`` minor units as an exact amount of ``currency``, with its decimal places.

    >>> currency_amount(1230, "EUR"), currency_amount(7, "MRO"), currency_amount(5, "JPY")
    (Decimal('12.30'), Decimal('1.4'), Decimal('5'))
    """
    places = exponent(currency)
    # The subunit divides a power of ten (100, 1, 5, ...), so the quotient is exact.
    whole = Decimal(cents * 10**places // subunit_to_unit(currency)).as_tuple()
    # Built from its digits: scaling in a context would round past its precision.
    return Decimal((whole.sign, whole.digits, -places))


def _units(value: Decimal) -> Decimal:
    # The same digits Lago prints ("3.0", "10.33"), kept as a number.
    return Decimal(format_units(value))


def _filters_by_index(charge: ChargeUsage) -> dict[int | None, FilterUsage]:
    found = {item.filter_index: item for item in charge.filters}
    for group in charge.grouped_usage:
        for item in group.filters:
            found.setdefault(item.filter_index, item)
    return found


def _fee_row(
    usage: Usage, charge: ChargeUsage, fee: BucketFee, filters: Mapping[int | None, FilterUsage]
) -> dict[str, Any]:
    bucket = filters.get(fee.filter_index)
    label = None if bucket is None else filter_text(bucket.values, bucket.invoice_display_name)
    row: dict[str, Any] = {
        "from_datetime": usage.from_datetime,
        "to_datetime": usage.to_datetime,
        "currency": usage.currency,
        "charge_id": charge.charge.lago_id,
        "charge_code": charge.charge.code,
        "charge_model": charge.charge.charge_model,
        "charge_name": charge.charge.invoice_display_name,
        "metric_code": charge.billable_metric.code,
        "aggregation_type": charge.billable_metric.aggregation_type,
        "filter": label,
        "group": group_text(fee.grouped_by) or None,
        "units": _units(fee.units),
        "events_count": fee.events_count,
        "amount": currency_amount(fee.amount_cents, usage.currency),
        "amount_cents": fee.amount_cents,
    }
    if isinstance(usage, ProjectedUsage):
        projected_cents = fee.projected_amount_cents or 0
        row["projected_units"] = _units(fee.projected_units or Decimal(0))
        row["projected_amount"] = currency_amount(projected_cents, usage.currency)
        row["projected_amount_cents"] = projected_cents
    return row


def usage_rows(usage: Usage, *, subscription: str | None = None) -> list[dict[str, Any]]:
    """One row per fee of ``usage``: (charge, filter bucket, pricing group), in Lago's order.

    ``filter`` is None for a charge without filters; ``group`` is None for an ungrouped fee.
    With ``subscription``, each row starts with ``external_subscription_id``. The sum of
    ``amount_cents`` over the rows is ``usage.amount_cents`` (a past usage's true-ups are
    reported apart, in ``true_ups``, as they are in the result).
    """
    rows = []
    for charge in usage.charges_usage:
        filters = _filters_by_index(charge)
        for fee in charge.fees:
            row = _fee_row(usage, charge, fee, filters)
            rows.append(row if subscription is None else {SUBSCRIPTION_COLUMN: subscription, **row})
    return rows


def columns_of(usage: Usage, *, subscription: bool = False) -> tuple[str, ...]:
    """The header of :func:`usage_rows` for ``usage``, also when there is no row."""
    head = (SUBSCRIPTION_COLUMN,) if subscription else ()
    tail = PROJECTED_COLUMNS if isinstance(usage, ProjectedUsage) else ()
    return head + COLUMNS + tail


def cell(value: Any) -> str:
    """A row value as CSV text: exact decimals in plain notation, instants in Lago's form.

    >>> cell(Decimal("1E-7")), cell(Decimal("12.30")), cell(None), cell(3)
    ('0.0000001', '12.30', '', '3')
    """
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime):
        return lago_datetime(value)
    return str(value)


def write_csv(stream: IO[str], columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """Write ``rows`` to ``stream`` as CSV with a header line, cells as :func:`cell` gives."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row[name]) for name in columns])


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """:func:`write_csv` into a string."""
    stream = io.StringIO()
    write_csv(stream, columns, rows)
    return stream.getvalue()
