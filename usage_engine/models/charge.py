"""Charges: a metric priced by a charge model, with its filters and taxes."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import (
    AliasChoices,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from ..errors import EmptyFilterWarning, OverlappingFiltersWarning, suggest
from ..pricing.dynamic import DynamicProperties
from ..pricing.graduated import GraduatedProperties
from ..pricing.graduated_percentage import GraduatedPercentageProperties
from ..pricing.package import PackageProperties
from ..pricing.percentage import PercentageProperties
from ..pricing.registry import RECORDS, Prorating
from ..pricing.standard import StandardProperties
from ..pricing.volume import VolumeProperties
from ._base import (
    FieldProblem,
    Model,
    NonNegativeInt,
    enum_validator,
    scalar_text,
    without_nulls,
)
from .metric import AggregationType, BillableMetric
from .properties import (
    ChargeModel,
    ChargePropertiesBase,
    GraduatedPercentageRange,
    GraduatedRange,
)
from .properties import text_tuple as _text_tuple
from .tax import Tax

__all__ = [
    "ALL_FILTER_VALUES",
    "Charge",
    "ChargeFilter",
    "ChargeModel",
    "ChargeProperties",
    "DynamicProperties",
    "GraduatedPercentageProperties",
    "GraduatedPercentageRange",
    "GraduatedProperties",
    "GraduatedRange",
    "PackageProperties",
    "PercentageProperties",
    "StandardProperties",
    "VolumeProperties",
]

ALL_FILTER_VALUES = "__ALL_FILTER_VALUES__"
"""Filter value that expands to every value the metric declares for the key, as in Lago."""

# Key under which the charge model travels into the properties mapping, to pick its model.
_MODEL_KEY = "__charge_model__"

# Each model's properties class and rules come from its record (usage_engine.pricing.registry).
_TAG_OF_CLASS = {record.properties: model.value for model, record in RECORDS.items()}


def _properties_tag(value: Any) -> str | None:
    if isinstance(value, Mapping):
        tag = value.get(_MODEL_KEY)
        return tag if isinstance(tag, str) else None
    return _TAG_OF_CLASS.get(type(value))


if TYPE_CHECKING:
    ChargeProperties = ChargePropertiesBase
else:
    ChargeProperties = Annotated[
        Union[  # noqa: UP007 - a union built from the registry needs the subscript form
            tuple(
                Annotated[record.properties, Tag(model.value)] for model, record in RECORDS.items()
            )
        ],
        Discriminator(_properties_tag),
    ]
"""The properties model of a charge, chosen by its ``charge_model``."""


def _tag_properties(properties: Any, charge_model: Any) -> Any:
    """Attach the charge model to a properties mapping so the union can pick its model.

    Absent properties are an empty mapping (valid for ``dynamic``, a "missing amount" for
    ``standard``...); a properties model of another charge model is re-read as a mapping.
    """
    if properties is None:
        properties = {}
    if not isinstance(charge_model, str):
        return properties
    if (
        isinstance(properties, ChargePropertiesBase)
        and _TAG_OF_CLASS.get(type(properties)) != charge_model
    ):
        properties = properties.model_dump(exclude_unset=True)
    if isinstance(properties, Mapping):
        return {**properties, _MODEL_KEY: charge_model}
    return properties


def _retagged_filter(item: Any, charge_model: Any) -> Any:
    """A ChargeFilter model whose properties belong to another charge model, as a mapping."""
    if (
        isinstance(item, ChargeFilter)
        and isinstance(charge_model, str)
        and _TAG_OF_CLASS.get(type(item.properties)) != charge_model
    ):
        dumped = item.model_dump(exclude_unset=True)
        dumped["properties"] = _tag_properties(item.properties, charge_model)
        return dumped
    return item


class ChargeFilter(Model):
    """A charge filter: events whose properties match ``values`` are priced with ``properties``.

    Empty ``values`` are accepted, as Lago accepts them: such a filter matches no event (its
    charge warns with :class:`~usage_engine.errors.EmptyFilterWarning`).
    """

    invoice_display_name: str | None = None
    properties: ChargeProperties
    values: dict[str, tuple[str, ...]]

    @field_validator("values", mode="before")
    @classmethod
    def _text_values(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {scalar_text(key): _text_tuple(item) for key, item in value.items()}
        return value

    @field_validator("values")
    @classmethod
    def _not_empty(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for key, items in value.items():
            if not items:
                msg = "needs at least one value"
                raise FieldProblem((key,), msg, list(items))
            if ALL_FILTER_VALUES in items and len(items) > 1:
                msg = f"{ALL_FILTER_VALUES} must be the only value of its key"
                raise FieldProblem((key,), msg, list(items))
        return value


_PAY_IN_ADVANCE_AGGREGATIONS = frozenset(
    {AggregationType.COUNT_AGG, AggregationType.SUM_AGG, AggregationType.UNIQUE_COUNT_AGG}
)


# How Lago's plan object names a charge's metric (``GET /plans/{code}``), in the order tried.
METRIC_REFERENCES = ("billable_metric_code", "lago_billable_metric_id", "billable_metric_id")


def _metric_by_reference(charge: Mapping[str, Any]) -> None:
    """Refuse a charge naming its metric instead of embedding it, saying how to join them."""
    for key in METRIC_REFERENCES:
        if key in charge:
            msg = (
                f"is required: the charge names its metric by {key} {charge[key]!r} only; join "
                "the plan with its billable metrics (usage_engine.plan_with_metrics, or "
                "--metrics on the command line)"
            )
            raise FieldProblem(("billable_metric",), msg)


class Charge(Model):
    """A charge of a plan, in Lago's shape, with its billable metric embedded."""

    id: str | None = Field(default=None, validation_alias=AliasChoices("id", "lago_id"))
    code: str | None = None
    billable_metric: BillableMetric
    charge_model: Annotated[ChargeModel, enum_validator(ChargeModel, "charge_model")]
    pay_in_advance: bool = False
    invoiceable: bool = True
    prorated: bool = False
    min_amount_cents: NonNegativeInt = 0
    properties: ChargeProperties
    filters: tuple[ChargeFilter, ...] = ()
    taxes: tuple[Tax, ...] = ()
    invoice_display_name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _route_properties(cls, data: Any) -> Any:
        routed = without_nulls(data)
        if not isinstance(routed, dict):
            return routed
        if "billable_metric" not in routed:
            _metric_by_reference(routed)
        model = routed.get("charge_model")
        routed["properties"] = _tag_properties(routed.get("properties"), model)
        filters = routed.get("filters")
        if isinstance(filters, list | tuple):
            routed["filters"] = [
                {**item, "properties": _tag_properties(item.get("properties"), model)}
                if isinstance(item, Mapping)
                else _retagged_filter(item, model)
                for item in filters
            ]
        return routed

    @model_validator(mode="after")
    def _check(self) -> Charge:
        metric = self.billable_metric
        kind, model = metric.aggregation_type, self.charge_model
        record = RECORDS[model]
        if not record.accepts_metric(kind):
            raise FieldProblem(("charge_model",), record.metric_message, model.value)
        if self.pay_in_advance:
            if kind not in _PAY_IN_ADVANCE_AGGREGATIONS:
                msg = (
                    "pay-in-advance charges need count_agg, sum_agg or unique_count_agg, "
                    f"not {kind.value}"
                )
                raise FieldProblem(("pay_in_advance",), msg, True)
            if not record.pay_in_advance:
                msg = f"{model.value} charges cannot be paid in advance"
                raise FieldProblem(("pay_in_advance",), msg, True)
            if self.min_amount_cents:
                msg = "a pay-in-advance charge cannot have a minimum amount"
                raise FieldProblem(("min_amount_cents",), msg, self.min_amount_cents)
        if self.prorated:
            allowed = tuple(
                item.model
                for item in RECORDS.values()
                if item.prorating is Prorating.ALWAYS
                or (item.prorating is Prorating.IN_ARREARS and not self.pay_in_advance)
            )
            if not metric.recurring or kind is AggregationType.WEIGHTED_SUM_AGG:
                msg = "only recurring sum_agg or unique_count_agg charges can be prorated"
                raise FieldProblem(("prorated",), msg, True)
            if model not in allowed:
                shown = ", ".join(item.value for item in allowed)
                msg = f"prorated charges must use {shown}"
                raise FieldProblem(("prorated",), msg, True)
        self._check_filters()
        return self

    def _check_filters(self) -> None:
        metric = self.billable_metric
        for index, charge_filter in enumerate(self.filters):
            for key, values in charge_filter.values.items():
                declared = metric.filter_values(key)
                if declared is None:
                    keys = [item.key for item in metric.filters]
                    msg = f"is not a filter key of metric {metric.code!r} (keys: {keys})"
                    msg = suggest(msg, key, keys)
                    raise FieldProblem(("filters", index, "values", key), msg, key)
                for value in values:
                    if value != ALL_FILTER_VALUES and value not in declared:
                        msg = suggest(
                            f"is not a value metric {metric.code!r} declares for {key!r} "
                            f"(values: {list(declared)}, or {ALL_FILTER_VALUES!r})",
                            value,
                            declared,
                        )
                        raise FieldProblem(("filters", index, "values", key), msg, value)
        self._warn_empty_filters()
        self._warn_partial_overlaps()

    def _warn_empty_filters(self) -> None:
        # Lago lets a filter exist without values and lists it; what its SQL would count for
        # it is not pinned, so the engine counts nothing there and tells the plan's author.
        for index, charge_filter in enumerate(self.filters):
            if not charge_filter.values:
                msg = (
                    f"charge filter {index} of metric {self.billable_metric.code!r} has no "
                    "values: it matches no event and is shown with zero usage"
                )
                warnings.warn(msg, EmptyFilterWarning, stacklevel=2)

    def expanded_filters(self) -> list[dict[str, frozenset[str]]]:
        """Each filter's values by key, ``__ALL_FILTER_VALUES__`` expanded."""
        metric = self.billable_metric
        return [
            {
                key: frozenset(
                    declared
                    for value in values
                    for declared in (
                        metric.filter_values(key) or () if value == ALL_FILTER_VALUES else (value,)
                    )
                )
                for key, values in item.values.items()
            }
            for item in self.filters
        ]

    def _warn_partial_overlaps(self) -> None:
        # Lago excludes from a filter only the events of a more specific or identical sibling
        # (as Lago's filter query does); two filters that can match one event otherwise both
        # count it.
        expanded = self.expanded_filters()
        for first, left in enumerate(expanded):
            for second in range(first + 1, len(expanded)):
                right = expanded[second]
                if not left or not right:
                    continue  # a filter without values matches no event
                shared = set(left) & set(right)
                if not all(left[key] & right[key] for key in shared):
                    continue  # no event can match both
                if narrower_filter(left, right) or narrower_filter(right, left):
                    continue
                msg = (
                    f"charge filters {first} and {second} of metric "
                    f"{self.billable_metric.code!r} overlap partly: an event matching both is "
                    "counted in both, as Lago does"
                )
                warnings.warn(msg, OverlappingFiltersWarning, stacklevel=2)

    @property
    def lago_id(self) -> str:
        """The charge's id, or a stable id derived from the plan-level identity of the charge."""
        if self.id is not None:
            return self.id
        from .._ids import stable_id

        return stable_id("charge", self.code or self.billable_metric.code, self.charge_model)


def narrower_filter(
    wide: Mapping[str, frozenset[str]], narrow: Mapping[str, frozenset[str]]
) -> bool:
    """Whether filter ``narrow`` is more specific than ``wide`` or identical to it (Lago's test)."""
    # ``narrow`` is more specific: it has every key of ``wide`` and, on the same keys, values
    # inside wide's (or more keys sharing a value on each of wide's).
    if not all(key in narrow and narrow[key] & values for key, values in wide.items()):
        return False
    if len(narrow) > len(wide):
        return True
    return all(narrow[key] <= wide[key] for key in wide)
