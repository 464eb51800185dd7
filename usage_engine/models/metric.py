"""Billable metrics: what is measured and how events are aggregated."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PrivateAttr, field_validator, model_validator

from ._base import FieldProblem, Model, WholeNumber, enum_validator, scalar_text

__all__ = [
    "MAX_ROUNDING_PRECISION",
    "AggregationType",
    "BillableMetric",
    "MetricFilter",
    "RoundingFunction",
]


class AggregationType(StrEnum):
    """How a metric turns events into units (Lago's ``aggregation_type``)."""

    COUNT_AGG = "count_agg"
    SUM_AGG = "sum_agg"
    MAX_AGG = "max_agg"
    UNIQUE_COUNT_AGG = "unique_count_agg"
    LATEST_AGG = "latest_agg"
    WEIGHTED_SUM_AGG = "weighted_sum_agg"


class RoundingFunction(StrEnum):
    """Rounding applied to each bucket's aggregation."""

    ROUND = "round"
    CEIL = "ceil"
    FLOOR = "floor"


MAX_ROUNDING_PRECISION = 20
"""Largest ``rounding_precision`` accepted, either sign (Lago's metrics use a handful)."""

_NOT_RECURRING = frozenset(
    {AggregationType.COUNT_AGG, AggregationType.MAX_AGG, AggregationType.LATEST_AGG}
)


def _reject_custom_agg(value: Any) -> Any:
    if value == "custom_agg":
        msg = (
            "custom_agg is not supported: it runs arbitrary Ruby code in Lago; use one of "
            + ", ".join(member.value for member in AggregationType)
        )
        raise ValueError(msg)
    return value


class MetricFilter(Model):
    """A filter dimension a metric declares: charge filters may use ``key`` with ``values``."""

    key: str = Field(min_length=1)
    values: tuple[str, ...]

    @field_validator("values", mode="before")
    @classmethod
    def _text_values(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return tuple(scalar_text(item) for item in value)
        return value


class BillableMetric(Model):
    """A billable metric in Lago's shape (``billable_metric`` object)."""

    code: str = Field(min_length=1)
    name: str = ""
    lago_id: str | None = None
    aggregation_type: Annotated[
        AggregationType,
        enum_validator(AggregationType, "aggregation_type"),
        BeforeValidator(_reject_custom_agg),
    ]
    field_name: str | None = None
    recurring: bool = False
    weighted_interval: str | None = None
    rounding_function: Annotated[
        RoundingFunction | None,
        enum_validator(RoundingFunction, "rounding_function", optional=True),
    ] = None
    rounding_precision: WholeNumber | None = None
    expression: str | None = None
    filters: tuple[MetricFilter, ...] = ()

    _parsed_expression: Any = PrivateAttr(default=None)

    @field_validator("rounding_function", mode="before")
    @classmethod
    def _empty_rounding(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("rounding_precision")
    @classmethod
    def _sane_precision(cls, value: int | None) -> int | None:
        if value is not None and abs(value) > MAX_ROUNDING_PRECISION:
            limit = MAX_ROUNDING_PRECISION
            msg = f"must be between -{limit} and {limit} (decimal places to round to)"
            raise ValueError(msg)
        return value

    @field_validator("expression", "field_name", mode="before")
    @classmethod
    def _empty_text(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("expression")
    @classmethod
    def _parse(cls, value: str | None) -> str | None:
        if value is not None:
            from ..expression import parse_expression

            parse_expression(value)
        return value

    @model_validator(mode="after")
    def _check(self) -> BillableMetric:
        kind = self.aggregation_type
        if kind is not AggregationType.COUNT_AGG and self.field_name is None:
            msg = f"is required for {kind.value}: the event property to aggregate"
            raise FieldProblem(("field_name",), msg)
        if self.expression is not None and self.field_name is None:
            msg = "is required with an expression: the expression's result is written there"
            raise FieldProblem(("field_name",), msg, None)
        if self.recurring and kind in _NOT_RECURRING:
            msg = f"{kind.value} cannot be recurring; set recurring to false"
            raise FieldProblem(("recurring",), msg, self.recurring)
        if kind is AggregationType.WEIGHTED_SUM_AGG and self.weighted_interval not in (
            None,
            "seconds",
        ):
            msg = "must be 'seconds', the only interval Lago supports"
            raise FieldProblem(("weighted_interval",), msg, self.weighted_interval)
        seen: set[str] = set()
        for index, item in enumerate(self.filters):
            if item.key in seen:
                msg = "is declared twice"
                raise FieldProblem(("filters", index, "key"), msg, item.key)
            seen.add(item.key)
        return self

    def model_post_init(self, context: Any, /) -> None:
        if self.expression is not None:
            from ..expression import parse_expression

            self._parsed_expression = parse_expression(self.expression)

    @property
    def parsed_expression(self) -> Any:
        """The expression parsed once (an :class:`usage_engine.expression.Expression`) or None."""
        return self._parsed_expression

    def filter_values(self, key: str) -> tuple[str, ...] | None:
        """The values the metric declares for filter ``key``, or None if it has no such key."""
        for item in self.filters:
            if item.key == key:
                return item.values
        return None
