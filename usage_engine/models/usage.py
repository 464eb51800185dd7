"""Usage results: frozen models whose ``to_lago()`` gives Lago's JSON shape."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, Self

from ._result import Model
from .account import EventAccount
from .period import lago_datetime

__all__ = [
    "BucketFee",
    "ChargeRef",
    "ChargeUsage",
    "FilterUsage",
    "GroupedUsage",
    "MetricRef",
    "ProjectedUsage",
    "RejectedEvents",
    "Usage",
    "attach_account",
    "format_units",
]


def format_units(value: Decimal) -> str:
    """Units as Lago prints them: plain notation, no trailing zeros, at least one decimal.

    >>> format_units(Decimal("3")), format_units(Decimal("10.330")), format_units(Decimal("-5"))
    ('3.0', '10.33', '-5.0')
    >>> format_units(Decimal("1E+3")), format_units(Decimal("0E-20"))
    ('1000.0', '0.0')
    >>> format_units(Decimal("1" + "0" * 69 + ".5"))
    '1000000000000000000000000000000000000000000000000000000000000000000000.5'

    """
    from ..money import EXACT

    # Exact: units are aggregated without losing a digit, and printed the same way.
    text = f"{value.normalize(EXACT):f}" if value else "0"
    if text.startswith("-0") and not value:
        text = "0"
    return text if "." in text else f"{text}.0"


Pairs = tuple[tuple[str, tuple[str, ...]], ...]
Grouping = tuple[tuple[str, str | None], ...]


class RejectedEvents(Model):
    """Malformed events set aside with ``invalid_events="collect"``: how many, first reasons."""

    count: int = 0
    reasons: tuple[str, ...] = ()


class ChargeRef(Model):
    """The charge a usage line belongs to, as Lago names it in the response."""

    lago_id: str
    code: str | None
    charge_model: str
    invoice_display_name: str | None


class MetricRef(Model):
    """The billable metric of a usage line."""

    lago_id: str
    name: str
    code: str
    aggregation_type: str


class BucketFee(Model):
    """One fee: a (filter bucket, pricing group) of a charge, aggregated and priced.

    ``filter_index`` is the position of the charge filter, or None for the default bucket (and
    for charges without filters). ``amount`` is the unrounded amount in currency units.
    """

    filter_index: int | None
    grouped_by: Grouping
    units: Decimal
    priced_units: Decimal
    total_aggregated_units: Decimal
    events_count: int
    amount: Decimal
    amount_cents: int
    projected_units: Decimal | None = None
    projected_amount_cents: int | None = None


class FilterUsage(Model):
    """One filter bucket of a charge (``values`` None for the default bucket).

    ``filter_index`` is the position of the charge filter (None for the default bucket); it is
    not part of Lago's shape but tells identical filters apart.
    """

    units: Decimal
    total_aggregated_units: Decimal
    events_count: int
    amount_cents: int
    invoice_display_name: str | None
    values: Pairs | None
    filter_index: int | None = None
    projected_units: Decimal | None = None
    projected_amount_cents: int | None = None

    def to_lago(self) -> dict[str, Any]:
        """The ``filters[]`` entry of Lago's response."""
        return {
            "units": format_units(self.units),
            "total_aggregated_units": format_units(self.total_aggregated_units),
            "events_count": self.events_count,
            "amount_cents": self.amount_cents,
            "pricing_unit_details": None,
            "invoice_display_name": self.invoice_display_name,
            "values": None if self.values is None else {k: list(v) for k, v in self.values},
            "presentation_breakdowns": [],
        }

    def to_lago_projected(self) -> dict[str, Any]:
        """The ``filters[]`` entry of Lago's projected-usage response.

        The default bucket's ``values`` is ``{}`` rather than Lago's ``null``: the official
        client's projected model requires an object there.
        """
        return {
            "units": format_units(self.units),
            "events_count": self.events_count,
            "amount_cents": self.amount_cents,
            "projected_units": format_units(self.projected_units or Decimal(0)),
            "projected_amount_cents": self.projected_amount_cents or 0,
            "projected_presentation_breakdowns": [],
            "pricing_unit_details": None,
            "invoice_display_name": self.invoice_display_name,
            "values": {} if self.values is None else {k: list(v) for k, v in self.values},
            "presentation_breakdowns": [],
        }


class GroupedUsage(Model):
    """One pricing group of a charge, with its filter buckets."""

    units: Decimal
    total_aggregated_units: Decimal
    events_count: int
    amount_cents: int
    grouped_by: Grouping
    filters: tuple[FilterUsage, ...]
    projected_units: Decimal | None = None
    projected_amount_cents: int | None = None

    def to_lago(self) -> dict[str, Any]:
        """The ``grouped_usage[]`` entry of Lago's response."""
        return {
            "units": format_units(self.units),
            "total_aggregated_units": format_units(self.total_aggregated_units),
            "events_count": self.events_count,
            "amount_cents": self.amount_cents,
            "pricing_unit_details": None,
            "grouped_by": dict(self.grouped_by),
            "filters": [item.to_lago() for item in self.filters],
            "presentation_breakdowns": [],
        }

    def to_lago_projected(self) -> dict[str, Any]:
        """The ``grouped_usage[]`` entry of Lago's projected-usage response."""
        return {
            "units": format_units(self.units),
            "events_count": self.events_count,
            "amount_cents": self.amount_cents,
            "projected_units": format_units(self.projected_units or Decimal(0)),
            "projected_amount_cents": self.projected_amount_cents or 0,
            "pricing_unit_details": None,
            "grouped_by": dict(self.grouped_by),
            "filters": [item.to_lago_projected() for item in self.filters],
            "presentation_breakdowns": [],
        }


class ChargeUsage(Model):
    """The usage of one charge: totals over its fees, per filter and per group."""

    units: Decimal
    total_aggregated_units: Decimal
    events_count: int
    amount_cents: int
    amount_currency: str
    charge: ChargeRef
    billable_metric: MetricRef
    filters: tuple[FilterUsage, ...]
    grouped_usage: tuple[GroupedUsage, ...]
    fees: tuple[BucketFee, ...]
    projected_units: Decimal | None = None
    projected_amount_cents: int | None = None

    def to_lago(self) -> dict[str, Any]:
        """The ``charges_usage[]`` entry of Lago's response."""
        return {
            "units": format_units(self.units),
            "total_aggregated_units": format_units(self.total_aggregated_units),
            "events_count": self.events_count,
            "amount_cents": self.amount_cents,
            "amount_currency": self.amount_currency,
            "pricing_unit_details": None,
            "charge": self.charge.model_dump(),
            "billable_metric": self.billable_metric.model_dump(),
            "filters": [item.to_lago() for item in self.filters],
            "grouped_usage": [item.to_lago() for item in self.grouped_usage],
            "presentation_breakdowns": [],
        }

    def to_lago_projected(self) -> dict[str, Any]:
        """The ``charges_usage[]`` entry of Lago's projected-usage response."""
        charge = self.charge.model_dump(exclude={"code"})
        return {
            "units": format_units(self.units),
            "events_count": self.events_count,
            "amount_cents": self.amount_cents,
            "amount_currency": self.amount_currency,
            "projected_units": format_units(self.projected_units or Decimal(0)),
            "projected_amount_cents": self.projected_amount_cents or 0,
            "pricing_unit_details": None,
            "charge": charge,
            "billable_metric": self.billable_metric.model_dump(),
            "filters": [item.to_lago_projected() for item in self.filters],
            "grouped_usage": [item.to_lago_projected() for item in self.grouped_usage],
            "presentation_breakdowns": [],
            "projected_presentation_breakdowns": [],
        }


_ACCOUNT: Final = "_event_account"
_NO_ACCOUNT: Final = EventAccount()


def attach_account(result: Usage, account: EventAccount) -> None:
    """Give a result just built its event account (kept beside its fields, see
    :attr:`Usage.event_account`)."""
    result.__dict__[_ACCOUNT] = account


class Usage(Model):
    """The usage of one subscription's period (``current_usage``).

    Amounts are integer minor units of ``currency``; ``taxes_amount_cents`` is rounded once
    over all fees, as Lago's current usage does.
    """

    from_datetime: datetime
    to_datetime: datetime
    issuing_date: date
    currency: str
    amount_cents: int
    taxes_amount_cents: int
    total_amount_cents: int
    charges_usage: tuple[ChargeUsage, ...]
    rejected_events: RejectedEvents = RejectedEvents()

    @property
    def event_account(self) -> EventAccount:
        """Every event read: rated, or set aside and why (:class:`EventAccount`).

        It describes the events the result was computed from, not the bill: it is not part of
        equality, hashing, ``to_lago()`` or a past usage's digest.
        """
        found = self.__dict__.get(_ACCOUNT)
        return found if found is not None else _NO_ACCOUNT

    def with_account(self, account: EventAccount) -> Self:
        """The same result, carrying ``account``."""
        result = self.model_copy()
        attach_account(result, account)
        return result

    def to_rows(self) -> list[dict[str, Any]]:
        """One plain row per (charge, filter bucket, pricing group), for a DataFrame or CSV.

        Keys are the same for every result of a kind; units and amounts stay exact
        (``Decimal``), cents are ``int``. See ``docs/rows.md``.
        """
        from .._rows import usage_rows

        return usage_rows(self)

    def to_csv(self) -> str:
        """:meth:`to_rows` as CSV text with a header line (also when there is no row).

        Decimals are written in plain notation with every digit, instants as Lago writes them.
        """
        from .._rows import columns_of, csv_text, usage_rows

        return csv_text(columns_of(self), usage_rows(self))

    def to_lago(self) -> dict[str, Any]:
        """The inner object of Lago's current-usage response (``customer_usage``)."""
        return {
            "from_datetime": lago_datetime(self.from_datetime),
            "to_datetime": lago_datetime(self.to_datetime),
            "issuing_date": self.issuing_date.isoformat(),
            "currency": self.currency,
            "amount_cents": self.amount_cents,
            "taxes_amount_cents": self.taxes_amount_cents,
            "total_amount_cents": self.total_amount_cents,
            "lago_invoice_id": None,
            "charges_usage": [item.to_lago() for item in self.charges_usage],
        }


class ProjectedUsage(Usage):
    """Current usage plus its linear projection to the period end (``projected_usage``).

    ``ratio`` is the share of the period elapsed and ``method`` the projection rules
    used (``"lago"`` or ``"exact"``). ``projected_amount_cents`` is the sum of the charges'.
    """

    projected_amount_cents: int
    ratio: Decimal
    method: str

    def to_lago(self) -> dict[str, Any]:
        """The inner object of Lago's projected-usage response (``customer_projected_usage``)."""
        payload: dict[str, Any] = {}
        for key, value in super().to_lago().items():
            payload[key] = value
            if key == "amount_cents":  # Lago places the projection right after it
                payload["projected_amount_cents"] = self.projected_amount_cents
        payload["charges_usage"] = [item.to_lago_projected() for item in self.charges_usage]
        return payload
