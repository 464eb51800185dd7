"""The charge-model registry: every model's record, by model.

A new charge model is one module of this package defining its properties class, its pricer and
its :class:`ChargeModelRecord`, listed here (see docs/charge-models.md); a test checks that every
:class:`~usage_engine.models.ChargeModel` member has a record.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from ..models.properties import ChargeModel
from . import dynamic, graduated, graduated_percentage, package, percentage, standard, volume
from ._record import ChargeModelRecord, Prorating

__all__ = ["RECORDS", "ChargeModelRecord", "Prorating", "record_of"]

RECORDS: Final[Mapping[ChargeModel, ChargeModelRecord[Any]]] = MappingProxyType(
    {
        module.RECORD.model: module.RECORD
        for module in (
            standard,
            graduated,
            graduated_percentage,
            package,
            percentage,
            volume,
            dynamic,
        )
    }
)
"""Every charge model's record, in the order of :class:`~usage_engine.models.ChargeModel`."""


def record_of(model: ChargeModel) -> ChargeModelRecord[Any]:
    """The record of ``model``.

    >>> record_of(ChargeModel.VOLUME).pay_in_advance
    False
    """
    return RECORDS[model]
