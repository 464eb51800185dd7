"""BillableMetric and MetricFilter: parsing Lago's billable_metric object, and its validation."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from usage_engine._coerce import as_metric
from usage_engine.models import AggregationType, BillableMetric, MetricFilter, RoundingFunction
from usage_engine.models.metric import MAX_ROUNDING_PRECISION

from . import invalid, metric_payload

AGGREGATIONS = "count_agg, sum_agg, max_agg, unique_count_agg, latest_agg, weighted_sum_agg"

# A billable_metric object as Lago's API returns it (GET /billable_metrics/{code}).
LAGO_METRIC = json.loads(
    """
    {
      "lago_id": "1a901a90-1a90-1a90-1a90-1a901a901a90",
      "name": "Storage",
      "code": "storage",
      "description": "GB stored",
      "aggregation_type": "sum_agg",
      "weighted_interval": null,
      "recurring": true,
      "rounding_function": null,
      "rounding_precision": null,
      "created_at": "2024-01-01T00:00:00Z",
      "expression": "",
      "field_name": "gb",
      "active_subscriptions_count": 0,
      "draft_invoices_count": 0,
      "plans_count": 2,
      "filters": [{"key": "region", "values": ["eu", "us", 42]}]
    }
    """
)


def test_lago_metric_payload_parses_to_exact_fields() -> None:
    """A billable_metric from Lago's API parses: nulls and "" are unset, unknown keys ignored."""
    metric = as_metric(LAGO_METRIC)
    assert metric == BillableMetric(
        code="storage",
        name="Storage",
        lago_id="1a901a90-1a90-1a90-1a90-1a901a901a90",
        aggregation_type=AggregationType.SUM_AGG,
        field_name="gb",
        recurring=True,
        filters=(MetricFilter(key="region", values=("eu", "us", "42")),),
    )
    assert (metric.rounding_function, metric.rounding_precision, metric.expression) == (
        None,
        None,
        None,
    )
    assert metric.parsed_expression is None


def test_count_agg_needs_no_field_name() -> None:
    """A count_agg metric is valid without field_name, which stays None."""
    metric = as_metric({"code": "calls", "aggregation_type": "count_agg"})
    assert (metric.aggregation_type, metric.field_name, metric.name) == (
        AggregationType.COUNT_AGG,
        None,
        "",
    )


def test_rounding_options_parse() -> None:
    """rounding_function and rounding_precision parse to the enum and an int (negative allowed)."""
    metric = as_metric(metric_payload(rounding_function="ceil", rounding_precision=-2))
    assert (metric.rounding_function, metric.rounding_precision) == (RoundingFunction.CEIL, -2)


def test_empty_rounding_function_means_none() -> None:
    """An empty rounding_function, as some Lago payloads carry, means no rounding."""
    assert as_metric(metric_payload(rounding_function="")).rounding_function is None


def test_expression_is_parsed_once_and_evaluates() -> None:
    """A metric's expression is kept as text and parsed into an evaluable expression."""
    metric = as_metric(metric_payload(expression="event.properties.a + 1"))
    assert metric.expression == "event.properties.a + 1"
    assert metric.parsed_expression.evaluate("storage", 0, {"a": "2.5"}) == Decimal("3.5")


def test_filter_values_lists_declared_values_or_none() -> None:
    """filter_values gives the values of a declared key, and None for an unknown key."""
    metric = as_metric(metric_payload())
    assert metric.filter_values("region") == ("eu", "us", "apac")
    assert metric.filter_values("cloud") is None


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(LAGO_METRIC, id="a Lago payload round-trips"),
        pytest.param(
            metric_payload(
                aggregation_type="weighted_sum_agg",
                weighted_interval="seconds",
                recurring=True,
                rounding_function="round",
                rounding_precision=3,
            ),
            id="a recurring weighted sum with rounding round-trips",
        ),
        pytest.param(
            metric_payload(expression="round(event.properties.a * 2, 1)"),
            id="a metric with an expression round-trips",
        ),
    ],
)
def test_metric_round_trips_through_json(payload: dict[str, Any]) -> None:
    """Dumping a metric to JSON and validating it again gives an equal metric."""
    metric = as_metric(payload)
    assert BillableMetric.model_validate(metric.model_dump(mode="json")) == metric


BAD_METRICS = [
    pytest.param(
        {"aggregation_type": "sum_ag"},
        "billable_metric.aggregation_type",
        f"unknown aggregation_type; expected one of {AGGREGATIONS}. Did you mean 'sum_agg'?",
        "sum_ag",
        id="a misspelt aggregation_type suggests the closest one",
    ),
    pytest.param(
        {"aggregation_type": "SUM_AGG"},
        "billable_metric.aggregation_type",
        f"unknown aggregation_type; expected one of {AGGREGATIONS}. Did you mean 'sum_agg'?",
        "SUM_AGG",
        id="an upper-case aggregation_type is refused with the lower-case suggestion",
    ),
    pytest.param(
        {"aggregation_type": 3},
        "billable_metric.aggregation_type",
        f"unknown aggregation_type; expected one of {AGGREGATIONS}",
        3,
        id="a non-text aggregation_type lists the choices without a suggestion",
    ),
    pytest.param(
        {"aggregation_type": "custom_agg"},
        "billable_metric.aggregation_type",
        "custom_agg is not supported: it runs arbitrary Ruby code in Lago; use one of "
        + AGGREGATIONS,
        "custom_agg",
        id="custom_agg is refused as unsupported",
    ),
    pytest.param(
        {"aggregation_type": None},
        "billable_metric.aggregation_type",
        "is required",
        None,
        id="a null aggregation_type is reported as missing",
    ),
    pytest.param(
        {"field_name": None},
        "billable_metric.field_name",
        "is required for sum_agg: the event property to aggregate",
        None,
        id="a sum_agg metric without field_name names the aggregation",
    ),
    pytest.param(
        {"field_name": "", "aggregation_type": "unique_count_agg"},
        "billable_metric.field_name",
        "is required for unique_count_agg: the event property to aggregate",
        None,
        id="an empty field_name counts as missing",
    ),
    pytest.param(
        {"aggregation_type": "count_agg", "recurring": True},
        "billable_metric.recurring",
        "count_agg cannot be recurring; set recurring to false",
        True,
        id="a count_agg metric cannot be recurring",
    ),
    pytest.param(
        {"aggregation_type": "max_agg", "recurring": True},
        "billable_metric.recurring",
        "max_agg cannot be recurring; set recurring to false",
        True,
        id="a max_agg metric cannot be recurring",
    ),
    pytest.param(
        {"aggregation_type": "latest_agg", "recurring": True},
        "billable_metric.recurring",
        "latest_agg cannot be recurring; set recurring to false",
        True,
        id="a latest_agg metric cannot be recurring",
    ),
    pytest.param(
        {"aggregation_type": "weighted_sum_agg", "weighted_interval": "hours"},
        "billable_metric.weighted_interval",
        "must be 'seconds', the only interval Lago supports",
        "hours",
        id="a weighted sum only accepts the seconds interval",
    ),
    pytest.param(
        {"rounding_function": "rond"},
        "billable_metric.rounding_function",
        "unknown rounding_function; expected one of round, ceil, floor. Did you mean 'round'?",
        "rond",
        id="a misspelt rounding_function suggests the closest one",
    ),
    pytest.param(
        {"rounding_precision": "2.5"},
        "billable_metric.rounding_precision",
        "must be a whole number",
        "2.5",
        id="a fractional rounding_precision is refused",
    ),
    pytest.param(
        {"rounding_precision": MAX_ROUNDING_PRECISION + 1},
        "billable_metric.rounding_precision",
        "must be between -20 and 20 (decimal places to round to)",
        21,
        id="an absurd rounding_precision is refused",
    ),
    pytest.param(
        {"expression": "1 +"},
        "billable_metric.expression",
        "unexpected end of text at position 3 "
        "(expected a number, a string, a variable or a function call)",
        "1 +",
        id="an expression that does not parse is refused with the parser's message",
    ),
    pytest.param(
        {"code": ""},
        "billable_metric.code",
        "must not be empty",
        "",
        id="an empty code is refused",
    ),
    pytest.param(
        {"name": 5},
        "billable_metric.name",
        "must be a string",
        5,
        id="a non-text name is refused",
    ),
    pytest.param(
        {"recurring": "maybe"},
        "billable_metric.recurring",
        "must be true or false",
        "maybe",
        id="a recurring flag that is not a boolean is refused",
    ),
    pytest.param(
        {"filters": [{"key": "region", "values": ["eu"]}, {"key": "region", "values": ["us"]}]},
        "billable_metric.filters[1].key",
        "is declared twice",
        "region",
        id="a filter key declared twice is refused on the second one",
    ),
    pytest.param(
        {"filters": [{"key": "", "values": ["eu"]}]},
        "billable_metric.filters[0].key",
        "must not be empty",
        "",
        id="an empty filter key is refused",
    ),
    pytest.param(
        {"filters": [{"key": "region", "values": "eu"}]},
        "billable_metric.filters[0].values",
        "must be a list",
        "eu",
        id="filter values given as one text instead of a list are refused",
    ),
]


@pytest.mark.parametrize(("changes", "path", "message", "value"), BAD_METRICS)
def test_bad_metric_is_refused(
    changes: dict[str, Any], path: str, message: str, value: Any
) -> None:
    """Each metric rule reports the field path, the message and the value found."""
    err = invalid(as_metric, metric_payload(**changes))
    assert (err.path, err.value) == (path, value)
    shown = "" if value is None else f" (got {value!r})"
    assert str(err) == f"{path}: {message}{shown}"
    assert len(err.errors) == 1
