"""Plans: an interval, a currency, charges and taxes."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import AliasChoices, Field, field_validator

from ..errors import suggest
from ..money import ACCEPTED_CURRENCIES
from ._base import Model, NonNegativeInt, enum_validator
from .charge import Charge
from .tax import Tax

__all__ = ["Plan", "PlanInterval"]


class PlanInterval(StrEnum):
    """The length of a plan's billing period."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    YEARLY = "yearly"


class Plan(Model):
    """A plan in Lago's shape (``plan`` object), its charges embedding their metrics."""

    code: str = Field(min_length=1)
    name: str = ""
    lago_id: str | None = Field(default=None, validation_alias=AliasChoices("lago_id", "id"))
    interval: Annotated[PlanInterval, enum_validator(PlanInterval, "interval")]
    amount_cents: NonNegativeInt = 0
    amount_currency: str
    pay_in_advance: bool = False
    bill_charges_monthly: bool = False
    charges: tuple[Charge, ...] = ()
    taxes: tuple[Tax, ...] = ()

    @field_validator("amount_currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> Any:
        if isinstance(value, str) and value.upper() in ACCEPTED_CURRENCIES:
            return value.upper()
        msg = suggest(
            "is not a currency Lago accepts (ISO 4217 code such as 'EUR')",
            value,
            sorted(ACCEPTED_CURRENCIES),
            max_edits=1,
        )
        raise ValueError(msg)

    @property
    def currency(self) -> str:
        """The plan's ISO 4217 currency code."""
        return self.amount_currency

    @property
    def charges_monthly(self) -> bool:
        """Whether charges use monthly periods (only yearly and semiannual plans can)."""
        return self.bill_charges_monthly and self.interval in (
            PlanInterval.YEARLY,
            PlanInterval.SEMIANNUAL,
        )
