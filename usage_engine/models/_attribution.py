"""Which events a bill came from: the results of ``attribute``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ._result import Model
from .usage import ChargeRef, Usage

__all__ = ["Attribution", "ChargeMethod", "Residual", "Share"]


class Share(Model):
    """What one event brought to one charge's fee (a bucket and pricing group of it).

    ``status``: ``billed`` (it moved the amount), ``free`` (rated, at no cost), or why it was
    set aside: ``duplicate``, ``out_of_period``, ``unmatched`` (its code matches no metric),
    ``malformed``; a set-aside event has no charge and zero amounts.
    """

    transaction_id: str | None
    timestamp: datetime | None
    charge: ChargeRef | None
    metric_code: str | None
    filter: str | None
    group: str | None
    units: Decimal
    precise_amount: Decimal
    amount_cents: int
    status: str
    components: tuple[tuple[str, Decimal, Decimal], ...] = ()
    """``(name, units, precise amount)`` the event added to each part of the fee:
    ``tier[2].per_unit`` and ``tier[2].flat`` of a graduated ladder, ``tier[2]`` of a volume
    one, ``package``, ``percentage.rate``, ``percentage.fixed_fee`` and
    ``percentage.min_max_adjustment``, else ``usage``; they add up to the share."""


class Residual(Model):
    """What no event caused in a fee: ``flat_at_zero`` (the price of no units, a first tier's
    flat amount), ``carried_over`` (a recurring metric's events before the period) or
    ``true_up`` (a closed period's ``min_amount_cents``)."""

    charge: ChargeRef
    filter: str | None
    group: str | None
    reason: str
    precise_amount: Decimal
    amount_cents: int


class ChargeMethod(Model):
    """How a charge's fees were split: ``marginal`` (each event, in ``(timestamp,
    transaction_id)`` order, gets the price after it less the price before it),
    ``proportional`` (units x the bucket's average price) or ``decider`` (everything to the
    event that decides a max or a latest value). ``fact`` is True when every method gives the
    same split (a price linear in the units): then the split is a fact, else a convention."""

    charge: ChargeRef
    method: str
    fact: bool


class Attribution(Model):
    """The shares of every event and the residuals of a period's usage, in cents that add up.

    ``usage`` is the result explained (current usage while the period is open at ``now``,
    else past usage). ``amount_cents`` is its amount plus any true-ups; it equals the sum of
    every share's and residual's ``amount_cents``, and their precise amounts add up to the
    fees' precise amounts (plus true-ups).
    """

    usage: Usage
    shares: tuple[Share, ...]
    residuals: tuple[Residual, ...]
    methods: tuple[ChargeMethod, ...]

    @property
    def amount_cents(self) -> int:
        """The usage's amount plus its true-ups (a closed period's minimums)."""
        true_ups: tuple[Any, ...] = getattr(self.usage, "true_ups", ())
        return self.usage.amount_cents + sum(int(item.amount_cents) for item in true_ups)

    def by(self, key: str) -> dict[Any, int]:
        """Cents per value of the share field ``key`` (``transaction_id``, ``filter``, ...)."""
        found: dict[Any, int] = {}
        for share in self.shares:
            value = getattr(share, key)
            found[value] = found.get(value, 0) + share.amount_cents
        return found

    def to_rows(self) -> list[dict[str, Any]]:
        """One plain row per share, then per residual (``status`` names the residual's reason)."""
        rows = [
            {
                "transaction_id": share.transaction_id,
                "timestamp": share.timestamp,
                "charge_code": None if share.charge is None else share.charge.code,
                "metric_code": share.metric_code,
                "filter": share.filter,
                "group": share.group,
                "units": share.units,
                "precise_amount": share.precise_amount,
                "amount_cents": share.amount_cents,
                "status": share.status,
            }
            for share in self.shares
        ]
        rows += [
            {
                "transaction_id": None,
                "timestamp": None,
                "charge_code": item.charge.code,
                "metric_code": None,
                "filter": item.filter,
                "group": item.group,
                "units": Decimal(0),
                "precise_amount": item.precise_amount,
                "amount_cents": item.amount_cents,
                "status": item.reason,
            }
            for item in self.residuals
        ]
        return rows
