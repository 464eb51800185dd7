"""What every charge model's properties share: the model names, the base class, tiers.

Each charge model's own properties class lives with its pricer in :mod:`usage_engine.pricing`;
this module is below both, so that the charge validator and the pricers can read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import field_validator

from ._base import Amount, FieldProblem, Model, scalar_text

__all__ = [
    "ChargeModel",
    "ChargePropertiesBase",
    "GraduatedPercentageRange",
    "GraduatedRange",
    "check_tiers",
    "text_tuple",
]


class ChargeModel(StrEnum):
    """How a bucket's units become an amount (Lago's ``charge_model``)."""

    STANDARD = "standard"
    GRADUATED = "graduated"
    GRADUATED_PERCENTAGE = "graduated_percentage"
    PACKAGE = "package"
    PERCENTAGE = "percentage"
    VOLUME = "volume"
    DYNAMIC = "dynamic"


def text_tuple(value: Any) -> Any:
    """A list or tuple of scalars as a tuple of their text; anything else unchanged."""
    if isinstance(value, list | tuple):
        return tuple(scalar_text(item) for item in value)
    return value


class ChargePropertiesBase(Model):
    """The pricing-group keys every charge model's properties accept."""

    pricing_group_keys: tuple[str, ...] | None = None
    grouped_by: tuple[str, ...] | None = None

    _text_keys = field_validator("pricing_group_keys", "grouped_by", mode="before")(
        classmethod(lambda cls, value: text_tuple(value))
    )

    @property
    def group_keys(self) -> tuple[str, ...]:
        """``pricing_group_keys``, or the legacy ``grouped_by`` when the former is empty."""
        return self.pricing_group_keys or self.grouped_by or ()


class GraduatedRange(Model):
    """One tier of a graduated or volume charge; ``to_value`` None means open-ended."""

    from_value: Amount
    to_value: Amount | None = None
    per_unit_amount: Amount
    flat_amount: Amount = Decimal(0)


class GraduatedPercentageRange(Model):
    """One tier of a graduated-percentage charge; ``rate`` is a percentage."""

    from_value: Amount
    to_value: Amount | None = None
    rate: Amount
    flat_amount: Amount = Decimal(0)


def check_tiers(
    ranges: Sequence[GraduatedRange | GraduatedPercentageRange],
    field: str,
    next_from_offsets: tuple[int, ...],
) -> None:
    """Lago's tier rules (graduated, volume): start at 0 or 1, contiguous, only the last open.

    >>> check_tiers((GraduatedRange(from_value=2, per_unit_amount=1),), "ranges", (0, 1))
    Traceback (most recent call last):
    ...
    usage_engine.models._base.FieldProblem: the first range must start at 0 (or 1)
    """
    if not ranges:
        msg = "needs at least one range"
        raise FieldProblem((field,), msg, [])
    if ranges[0].from_value not in (0, 1):
        msg = "the first range must start at 0 (or 1)"
        raise FieldProblem((field, 0, "from_value"), msg, ranges[0].from_value)
    for index, tier in enumerate(ranges):
        last = index == len(ranges) - 1
        if tier.to_value is None and not last:
            msg = "only the last range may be open-ended (to_value null)"
            raise FieldProblem((field, index, "to_value"), msg, None)
        if tier.to_value is not None and last:
            msg = "the last range must be open-ended: set to_value to null"
            raise FieldProblem((field, index, "to_value"), msg, tier.to_value)
        if tier.to_value is not None and tier.to_value <= tier.from_value:
            msg = f"must be greater than from_value {tier.from_value}"
            raise FieldProblem((field, index, "to_value"), msg, tier.to_value)
        if index:
            previous = ranges[index - 1].to_value
            assert previous is not None  # checked on the previous iteration
            allowed = [previous + offset for offset in next_from_offsets]
            if tier.from_value not in allowed:
                shown = " or ".join(str(value) for value in allowed)
                msg = f"must follow the previous range: expected {shown}"
                raise FieldProblem((field, index, "from_value"), msg, tier.from_value)
