"""The correction of a closed period: lines an invoicing system can book, and the new result."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ..past import PastUsage
from ._result import Model
from .period import lago_datetime
from .usage import format_units

__all__ = ["Correction", "CorrectionLine"]


class CorrectionLine(Model):
    """One line of a correction: a ``delta`` (the same unit price, more or fewer units), or the
    ``reversal`` of a frozen line and the ``rebill`` of the new one (never a mixed price).

    ``key`` names the charge (its code, else its id), filter bucket, pricing group and
    component (``usage``, ``tier[2].per_unit``, ``package``, ``true_up`` ...). ``units`` and
    ``amount`` (exact, currency units) and ``amount_cents`` are signed. ``reference`` is
    deterministic: the same correction gives the same references.
    """

    key: tuple[str, str | None, str | None, str]
    kind: str
    units: Decimal
    amount: Decimal
    amount_cents: int
    service_period: tuple[datetime, datetime]
    booking_period: tuple[datetime, datetime]
    corrects: str
    reference: str

    def to_lago(self) -> dict[str, Any]:
        """The line as a Lago fee: a charge fee with its units, amount and period."""
        charge, filter_label, group, component = self.key
        return {
            "lago_id": self.reference,
            "item": {"type": "charge", "code": charge, "name": component},
            "filter": filter_label,
            "grouped_by": group,
            "units": format_units(self.units),
            "amount_cents": self.amount_cents,
            "from_datetime": lago_datetime(self.service_period[0]),
            "to_datetime": lago_datetime(self.service_period[1]),
            "booking_from_datetime": lago_datetime(self.booking_period[0]),
            "booking_to_datetime": lago_datetime(self.booking_period[1]),
            "corrects": self.corrects,
            "kind": self.kind,
        }


class Correction(Model):
    """The exact difference between a frozen period and what the complete events now say.

    ``lines`` add up to ``amount_cents`` (fees and true-ups); ``taxes_amount_cents`` follows
    the ``tax_mode`` chosen, and ``tax_residual_cents`` is what the other mode would differ by.
    ``target`` is the recomputed period (:func:`usage_engine.apply_correction` gives it).
    """

    base_digest: str
    target_digest: str
    lines: tuple[CorrectionLine, ...]
    amount_cents: int
    taxes_amount_cents: int
    tax_residual_cents: int
    total_amount_cents: int
    added_ids: tuple[str, ...]
    voided_ids: tuple[str, ...]
    digest: str
    target: PastUsage

    def to_lago(self) -> dict[str, Any]:
        """The lines as a Lago fee list, with the totals."""
        return {
            "fees": [line.to_lago() for line in self.lines],
            "amount_cents": self.amount_cents,
            "taxes_amount_cents": self.taxes_amount_cents,
            "total_amount_cents": self.total_amount_cents,
            "corrects": self.base_digest,
        }
