"""usage_engine._coerce: the boundary where mappings become models and every error InvalidInput."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from usage_engine._coerce import (
    as_charge,
    as_metric,
    as_model,
    as_period,
    as_plan,
    as_subscription,
    as_taxes,
    render_path,
)
from usage_engine.errors import InvalidInput
from usage_engine.models import Plan, Tax

from .models import charge_payload, invalid, lago_plan, metric_payload, plan_payload

# ---------------------------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("root", "loc", "path"),
    [
        pytest.param(
            "plan",
            ("charges", 2, "properties", "graduated", "graduated_ranges", 1, "to_value"),
            "plan.charges[2].properties.graduated_ranges[1].to_value",
            id="the charge-model tag after properties is dropped",
        ),
        pytest.param(
            "plan",
            ("charges", 0, "filters", 1, "properties", "standard", "amount"),
            "plan.charges[0].filters[1].properties.amount",
            id="a filter's properties path has no tag either",
        ),
        pytest.param(
            "period",
            ("function-after[_ordered(), BillingPeriod]", "to_datetime"),
            "period.to_datetime",
            id="pydantic's internal schema steps are dropped",
        ),
        pytest.param(
            "",
            ("charges", 0, "code"),
            "charges[0].code",
            id="an empty root starts at the first field",
        ),
        pytest.param(
            "charge",
            ("filters", 0, "values", "standard"),
            "charge.filters[0].values.standard",
            id="a filter key named like a charge model is kept",
        ),
        pytest.param("taxes[3]", (), "taxes[3]", id="an empty loc is the root"),
    ],
)
def test_render_path(root: str, loc: tuple[str | int, ...], path: str) -> None:
    """A pydantic loc renders as a Lago field path with dots and [index]."""
    assert render_path(root, loc) == path


# ---------------------------------------------------------------------------------------------
# What the as_* functions accept and refuse
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param([{"code": "startup"}], id="a list holding a plan"),
        pytest.param("startup", id="a plan code"),
        pytest.param(None, id="None"),
        pytest.param(42, id="a number"),
    ],
)
def test_a_plan_that_is_not_a_mapping_is_refused(value: Any) -> None:
    """A plan that is neither a Plan nor a mapping names the root path and the value."""
    err = invalid(as_plan, value)
    assert str(err) == f"plan: must be a Plan or a mapping in Lago's JSON shape (got {value!r})"
    assert (err.path, err.value) == ("plan", value)


def test_root_names_the_argument() -> None:
    """The root given to as_plan starts every path (a plan inside a subscription, say)."""
    err = invalid(as_plan, plan_payload(code=""), "subscription.plan")
    assert str(err) == "subscription.plan.code: must not be empty (got '')"


def test_another_pydantic_model_is_read_as_its_fields() -> None:
    """A pydantic model of another class is read through its fields, like a mapping."""

    class MyPlan(BaseModel):
        code: str
        interval: str
        amount_currency: str

    plan = as_plan(MyPlan(code="pro", interval="weekly", amount_currency="usd"))
    assert (plan.code, plan.interval.value, plan.currency) == ("pro", "weekly", "USD")


def test_the_pydantic_error_is_not_chained() -> None:
    """InvalidInput does not carry pydantic's ValidationError as its cause or context."""
    err = invalid(as_plan, plan_payload(interval="daily"))
    assert type(err) is InvalidInput
    assert err.__cause__ is None
    # Not even as context: Dask's exception pickler sends it, and the raw input may not pickle.
    assert err.__context__ is None


@pytest.mark.parametrize(
    ("function", "payload", "path"),
    [
        pytest.param(as_metric, metric_payload(code=""), "billable_metric.code", id="metric"),
        pytest.param(as_charge, charge_payload(code=5), "charge.code", id="charge"),
        pytest.param(
            as_subscription, {"subscription_at": 0}, "subscription.external_id", id="subscription"
        ),
        pytest.param(as_period, {}, "period.external_subscription_id", id="period"),
    ],
)
def test_each_function_has_its_root(function: Any, payload: dict[str, Any], path: str) -> None:
    """Each as_* function reports paths under the name of what it validates."""
    assert invalid(function, payload).path == path


def test_model_instance_is_not_validated_again() -> None:
    """as_model returns an instance of the wanted model as it is."""
    tax = Tax(code="vat", rate=Decimal(20))
    assert as_model(Tax, tax, "tax") is tax


# ---------------------------------------------------------------------------------------------
# as_taxes
# ---------------------------------------------------------------------------------------------

TAXES_LIST = "must be a list of taxes such as [{'code': 'vat', 'rate': '20'}]"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"code": "vat", "rate": "20"}, id="one tax mapping instead of a list"),
        pytest.param("vat", id="a tax code"),
        pytest.param(b"vat", id="bytes"),
    ],
)
def test_as_taxes_refuses_a_mapping_or_text(value: Any) -> None:
    """as_taxes refuses a single mapping or a text, which would iterate as keys or letters."""
    err = invalid(as_taxes, value)
    assert str(err) == f"taxes: {TAXES_LIST} (got {value!r})"
    assert err.value == value


def test_as_taxes_refuses_a_non_iterable() -> None:
    """as_taxes refuses a value that is not a list at all."""
    err = invalid(as_taxes, 20)
    assert str(err) == "taxes: must be a list of taxes (got 20)"


def test_as_taxes_reads_a_list_or_a_generator() -> None:
    """as_taxes reads any iterable of taxes (mappings or models) into a tuple of exact rates."""
    vat = Tax(code="vat", rate=Decimal("20"))

    def taxes() -> Iterator[Any]:
        yield {"code": "reduced", "rate": 5.5, "lago_id": "tax_1"}
        yield vat

    assert as_taxes(taxes()) == (Tax(code="reduced", rate=Decimal("5.5")), vat)
    assert as_taxes([]) == ()


@pytest.mark.parametrize(
    ("taxes", "message"),
    [
        pytest.param(
            [{"code": "vat", "rate": "20"}, {"code": "gst", "rate": "-5"}],
            "taxes[1].rate: must not be negative (got '-5')",
            id="a bad rate names its tax's index",
        ),
        pytest.param(
            ["vat"],
            "taxes[0]: must be a Tax or a mapping in Lago's JSON shape (got 'vat')",
            id="a tax given as its code is refused",
        ),
    ],
)
def test_as_taxes_names_the_bad_tax(taxes: list[Any], message: str) -> None:
    """A bad tax in the list is reported at its index."""
    assert str(invalid(as_taxes, taxes)) == message


# ---------------------------------------------------------------------------------------------
# Fuzzing: no broken payload escapes as anything but InvalidInput
# ---------------------------------------------------------------------------------------------

Path = tuple[str | int, ...]

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # json.loads accepts NaN and Infinity
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1.5",
            "NaN",
            "-Infinity",
            "1e999999",
            "0.000000000000000000000000000000000000000000001",
            "standard",
            "graduated",
            "volume",
            "dynamic",
            "sum_agg",
            "count_agg",
            "custom_agg",
            "__ALL_FILTER_VALUES__",
            "2024-02-30T00:00:00Z",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-12:00",
            "253402300800",
            "Europe/Paris",
            "America",
            "EUR",
        ]
    )
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def node_paths(value: Any, path: Path = ()) -> Iterator[Path]:
    """Every path into ``value`` (mappings and lists), the root excluded."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        yield (*path, key)
        yield from node_paths(item, (*path, key))


def replaced(value: Any, path: Path, new: Any) -> Any:
    """A deep copy of ``value`` with the node at ``path`` replaced by ``new``."""
    result = copy.deepcopy(value)
    parent = result
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new
    return result


def removed(value: Any, path: Path) -> Any:
    """A deep copy of ``value`` without the node at ``path``."""
    result = copy.deepcopy(value)
    parent = result
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return result


PLAN = lago_plan()
PLAN_PATHS = list(node_paths(PLAN))


def accepted_or_invalid_input(function: Any, payload: Any, root: str) -> None:
    """``function(payload)`` returns a model, or raises InvalidInput with a path under ``root``."""
    error: InvalidInput | None = None
    try:
        result = function(payload)
    except InvalidInput as caught:
        error = caught
    if error is None:
        assert isinstance(result, BaseModel)
    else:
        assert error.path.startswith(root)
        assert str(error).startswith(error.path)


# Breaking a filter can make two filters overlap partly, or leave one without values, which is
# valid but warned about.
@pytest.mark.filterwarnings("ignore::usage_engine.errors.OverlappingFiltersWarning")
@pytest.mark.filterwarnings("ignore::usage_engine.errors.EmptyFilterWarning")
@given(st.sampled_from(PLAN_PATHS), JSON_VALUES)
def test_a_plan_with_any_value_replaced_parses_or_raises_invalid_input(
    path: Path, new: Any
) -> None:
    """Replacing any part of a valid plan with any JSON value never leaks another exception."""
    accepted_or_invalid_input(as_plan, replaced(PLAN, path, new), "plan")


@pytest.mark.filterwarnings("ignore::usage_engine.errors.OverlappingFiltersWarning")
@pytest.mark.filterwarnings("ignore::usage_engine.errors.EmptyFilterWarning")
@given(st.sampled_from(PLAN_PATHS))
def test_a_plan_with_any_part_removed_parses_or_raises_invalid_input(path: Path) -> None:
    """Removing any part of a valid plan never leaks another exception."""
    accepted_or_invalid_input(as_plan, removed(PLAN, path), "plan")


SUBSCRIPTION = {
    "external_id": "sub_1",
    "plan": plan_payload(),
    "subscription_at": "2024-01-31T10:00:00Z",
    "started_at": "2024-02-15T00:00:00+01:00",
    "terminated_at": None,
    "billing_time": "anniversary",
    "customer": {"timezone": None, "applicable_timezone": "Europe/Paris"},
}
SUBSCRIPTION_PATHS = list(node_paths(SUBSCRIPTION))


@pytest.mark.filterwarnings("ignore::usage_engine.errors.OverlappingFiltersWarning")
@pytest.mark.filterwarnings("ignore::usage_engine.errors.EmptyFilterWarning")
@given(st.sampled_from(SUBSCRIPTION_PATHS), JSON_VALUES)
def test_a_subscription_with_any_value_replaced_parses_or_raises_invalid_input(
    path: Path, new: Any
) -> None:
    """Replacing any part of a valid subscription never leaks another exception."""
    accepted_or_invalid_input(as_subscription, replaced(SUBSCRIPTION, path, new), "subscription")


def test_the_fuzzed_payloads_are_valid_to_start_with() -> None:
    """The payloads the fuzz tests break are valid as they are."""
    assert isinstance(as_plan(PLAN), Plan)
    assert as_subscription(SUBSCRIPTION).timezone == "Europe/Paris"
