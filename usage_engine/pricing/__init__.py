"""Charge models: one pure function per ``charge_model``, chosen through a registry.

Every pricer returns an unrounded amount in currency units; rounding to cents happens per fee,
elsewhere (:func:`usage_engine.money.to_cents`). Each model's pricer, properties and rules sit
in one record (:mod:`usage_engine.pricing.registry`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from ..models.properties import ChargeModel, ChargePropertiesBase
from ._base import Pricer, PricingInput
from .dynamic import price_dynamic
from .graduated import price_graduated
from .graduated_percentage import price_graduated_percentage
from .package import price_package
from .percentage import price_percentage
from .prorated_graduated import price_prorated_graduated
from .registry import RECORDS, ChargeModelRecord, record_of
from .standard import price_standard
from .volume import price_volume

__all__ = [
    "PRICERS",
    "RECORDS",
    "ChargeModelRecord",
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
    "record_of",
]

PRICERS: Final[Mapping[ChargeModel, Pricer[Any]]] = MappingProxyType(
    {model: record.pricer for model, record in RECORDS.items()}
)
"""The pricer of each charge model (complete: a test checks every model has one)."""


def price(
    charge_model: ChargeModel, properties: ChargePropertiesBase, pricing_input: PricingInput
) -> Decimal:
    """Return the amount of one bucket, in currency units, unrounded.

    A prorated charge is priced by its record's prorated pricer where it has one (prorated
    graduated, :func:`price_prorated_graduated`); every other by its :data:`PRICERS` entry.
    Negative units or a negative amount give 0 (Lago: ``fees/charge_service.rb``):

    >>> from usage_engine.aggregation import Aggregation
    >>> from usage_engine.models import AggregationType, DynamicProperties, StandardProperties
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
    return RECORDS[charge_model].price(properties, pricing_input)
