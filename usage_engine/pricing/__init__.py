"""Charge models: one pure function per ``charge_model``, chosen through a registry (spec 4).

Every pricer returns an unrounded amount in currency units; rounding to cents happens per fee,
elsewhere (:func:`usage_engine.money.to_cents`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, DecimalException
from types import MappingProxyType
from typing import Any, Final

from ..errors import InvalidInput
from ..models import (
    ChargeModel,
    ChargeProperties,
    DynamicProperties,
    GraduatedPercentageProperties,
    GraduatedProperties,
    PackageProperties,
    PercentageProperties,
    StandardProperties,
    VolumeProperties,
)
from ..money import AMOUNT, TOO_LARGE
from ._base import Pricer, PricingInput
from .dynamic import price_dynamic
from .graduated import price_graduated
from .graduated_percentage import price_graduated_percentage
from .package import price_package
from .percentage import price_percentage
from .prorated_graduated import price_prorated_graduated
from .standard import price_standard
from .volume import price_volume

__all__ = [
    "PRICERS",
    "Pricer",
    "PricingInput",
    "price",
    "price_dynamic",
    "price_graduated",
    "price_graduated_percentage",
    "price_package",
    "price_percentage",
    "price_prorated_graduated",
    "price_standard",
    "price_volume",
]

ZERO = Decimal(0)

PRICERS: Final[Mapping[ChargeModel, Pricer[Any]]] = MappingProxyType(
    {
        ChargeModel.STANDARD: price_standard,
        ChargeModel.GRADUATED: price_graduated,
        ChargeModel.GRADUATED_PERCENTAGE: price_graduated_percentage,
        ChargeModel.PACKAGE: price_package,
        ChargeModel.PERCENTAGE: price_percentage,
        ChargeModel.VOLUME: price_volume,
        ChargeModel.DYNAMIC: price_dynamic,
    }
)
"""The pricer of each charge model (complete: a test checks every model has one)."""

_PROPERTIES: Final[Mapping[ChargeModel, type[Any]]] = MappingProxyType(
    {
        ChargeModel.STANDARD: StandardProperties,
        ChargeModel.GRADUATED: GraduatedProperties,
        ChargeModel.GRADUATED_PERCENTAGE: GraduatedPercentageProperties,
        ChargeModel.PACKAGE: PackageProperties,
        ChargeModel.PERCENTAGE: PercentageProperties,
        ChargeModel.VOLUME: VolumeProperties,
        ChargeModel.DYNAMIC: DynamicProperties,
    }
)


def price(
    charge_model: ChargeModel, properties: ChargeProperties, pricing_input: PricingInput
) -> Decimal:
    """Return the amount of one bucket, in currency units, unrounded.

    A prorated graduated charge is priced by :func:`price_prorated_graduated`; every other by
    its :data:`PRICERS` entry. Negative units or a negative amount give 0 (Lago:
    ``fees/charge_service.rb``, spec 4.0):

    >>> from usage_engine.aggregation import Aggregation
    >>> from usage_engine.models import AggregationType
    >>> def at(units, cents="0"):
    ...     aggregation = Aggregation(
    ...         Decimal(units), 1, Decimal(units), Decimal(units),
    ...         precise_total_amount_cents=Decimal(cents),
    ...     )
    ...     return PricingInput(aggregation, AggregationType.SUM_AGG, False, "EUR")
    >>> standard = StandardProperties(amount="2")
    >>> price(ChargeModel.STANDARD, standard, at(3)), price(ChargeModel.STANDARD, standard, at(-3))
    (Decimal('6'), Decimal('0'))
    >>> price(ChargeModel.DYNAMIC, DynamicProperties(), at(3, cents="-150"))
    Decimal('0')
    """
    expected = _PROPERTIES[charge_model]
    if not isinstance(properties, expected):
        msg = f"a {charge_model.value} charge needs {expected.__name__}"
        path = "properties"
        raise InvalidInput.at(path, msg, type(properties).__name__)
    aggregation = pricing_input.aggregation
    if aggregation.units < 0:
        return ZERO
    if charge_model is ChargeModel.GRADUATED and pricing_input.prorated:
        assert isinstance(properties, GraduatedProperties)  # checked above
        amount = price_prorated_graduated(
            properties,
            aggregation.prorated_entries,
            aggregation.units,
            invoicing=pricing_input.invoicing,
        )
    else:
        try:
            amount = PRICERS[charge_model](properties, pricing_input)
        except DecimalException:
            # A quotient or remainder past the rounding context (package's divmod of 1E+61).
            raise InvalidInput.at(AMOUNT, TOO_LARGE, aggregation.units) from None
    return max(amount, ZERO)
