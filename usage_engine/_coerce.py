"""The boundary: plain mappings or models in, validated models out, InvalidInput on bad input.

This is the only module that sees pydantic's ValidationError.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ._wrappers import unwrap
from .errors import InvalidInput, Problem
from .models import BillableMetric, BillingPeriod, Charge, Plan, Subscription, Tax
from .models._base import FieldProblem
from .models.charge import _MODEL_KEY, ChargeModel

__all__ = [
    "as_charge",
    "as_metric",
    "as_model",
    "as_period",
    "as_plan",
    "as_subscription",
    "as_taxes",
    "render_path",
]

M = TypeVar("M", bound=BaseModel)

_CHARGE_MODEL_TAGS = frozenset(model.value for model in ChargeModel)
# Union errors that only repeat another, more precise error (a bad charge_model).
_ECHO_TYPES = frozenset({"union_tag_invalid", "union_tag_not_found"})
# pydantic's messages for a wrong type, in the words of the rest of our messages.
_TYPE_MESSAGES = {
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "date_from_datetime_inexact": "must be a date such as '2024-03-31'",
    "date_from_datetime_parsing": "must be a date such as '2024-03-31'",
    "date_parsing": "must be a date such as '2024-03-31'",
    "date_type": "must be a date such as '2024-03-31'",
    "dict_type": "must be an object (a mapping)",
    "int_from_float": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "list_type": "must be a list",
    "mapping_type": "must be an object (a mapping)",
    "model_attributes_type": "must be an object (a mapping) in Lago's JSON shape",
    "model_type": "must be an object (a mapping) in Lago's JSON shape",
    "string_too_short": "must not be empty",
    "string_type": "must be a string",
    "tuple_type": "must be a list",
}
# The name Lago's API wraps each object under (``GET /plans/{code}`` gives {"plan": {...}}).
_WRAPPERS: dict[type[BaseModel], str] = {
    BillableMetric: "billable_metric",
    Charge: "charge",
    Plan: "plan",
    Subscription: "subscription",
    Tax: "tax",
}
# pydantic's names for internal schema steps that can appear in a loc.
_SCHEMA_NAME = re.compile(r"[a-z]+(?:-[a-z]+)*\[.*\]", re.DOTALL)


def render_path(root: str, loc: Iterable[str | int]) -> str:
    """Render a pydantic ``loc`` as a Lago field path.

    The charge-model tag pydantic inserts after ``properties`` and the names of its internal
    schemas (``function-after[...]``) are not fields, so they are left out.

    >>> render_path("plan", ("charges", 2, "properties", "graduated", "graduated_ranges", 1))
    'plan.charges[2].properties.graduated_ranges[1]'
    >>> render_path("plan", ("charges", 0, "filters", 1, "properties", "standard", "amount"))
    'plan.charges[0].filters[1].properties.amount'
    """
    path = root
    previous: str | int | None = None
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif previous == "properties" and part in _CHARGE_MODEL_TAGS:
            pass  # the discriminator tag pydantic inserts, not a field
        elif _SCHEMA_NAME.fullmatch(part):
            pass  # an internal schema step, e.g. 'function-after[_check(), BillingPeriod]'
        else:
            path = f"{path}.{part}" if path else str(part)
        previous = part
    return path


def _shown_input(value: Any) -> Any:
    """The input pydantic reports, without the charge-model tag we add to properties."""
    if isinstance(value, Mapping) and _MODEL_KEY in value:
        return {key: item for key, item in value.items() if key != _MODEL_KEY}
    return value


def _problem(root: str, item: ErrorDetails) -> Problem | None:
    """The Problem for one pydantic error, or None when it only echoes another one."""
    loc = tuple(item["loc"])
    kind = item["type"]
    given = item.get("input")
    cause = (item.get("ctx") or {}).get("error")
    if isinstance(cause, FieldProblem):
        return Problem(render_path(root, loc + cause.loc), cause.message, cause.value)
    if kind == "default_factory_not_called":
        return None  # a default computed from another field, which has its own error
    if kind in _ECHO_TYPES:
        if isinstance(given, Mapping):
            return None  # a missing or unknown charge_model, reported on charge_model itself
        message = "must be an object of charge-model properties, such as {'amount': '12.5'}"
        return Problem(render_path(root, loc), message, given)
    if kind == "missing":
        # pydantic's input is then the enclosing mapping: nothing useful to show.
        return Problem(render_path(root, loc), "is required")
    message = _TYPE_MESSAGES.get(kind) or item["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    elif message.startswith("Input should be "):
        message = "must be " + message[len("Input should be ") :]
    else:
        message = message[0].lower() + message[1:]
    return Problem(render_path(root, loc), message, _shown_input(given))


def _problems(root: str, error: ValidationError) -> list[Problem]:
    details = error.errors(include_url=False)
    problems = [problem for item in details if (problem := _problem(root, item)) is not None]
    if problems:
        return problems
    # Only echoes (cannot happen with a charge_model error present): report them as they are.
    return [Problem(render_path(root, item["loc"]), item["msg"]) for item in details]


def as_model(cls: type[M], value: Any, root: str) -> M:
    """Return ``value`` as a ``cls`` model, validating a mapping; raise InvalidInput if bad.

    A mapping may come in Lago's response wrapper (``{"plan": {...}}``).
    """
    if isinstance(value, cls):
        return value
    if isinstance(value, BaseModel):
        value = value.model_dump()
    elif isinstance(value, Mapping):
        value = unwrap(value, _WRAPPERS.get(cls))
    if not isinstance(value, Mapping):
        msg = f"must be a {cls.__name__} or a mapping in Lago's JSON shape"
        raise InvalidInput.at(root, msg, value)
    try:
        return cls.model_validate(dict(value))
    except ValidationError as error:
        problems = _problems(root, error)
    # Raised outside the handler: pydantic's error, which holds the raw input, must not ride
    # along as the context (exception picklers such as Dask's pickle it, and it may not pickle).
    raise InvalidInput(problems)


def as_plan(value: Any, root: str = "plan") -> Plan:
    """Validate a plan (model or mapping)."""
    return as_model(Plan, value, root)


def as_subscription(value: Any, root: str = "subscription") -> Subscription:
    """Validate a subscription (model or mapping)."""
    return as_model(Subscription, value, root)


def as_period(value: Any, root: str = "period") -> BillingPeriod:
    """Validate a billing period (model or mapping)."""
    return as_model(BillingPeriod, value, root)


def as_metric(value: Any, root: str = "billable_metric") -> BillableMetric:
    """Validate a billable metric (model or mapping)."""
    return as_model(BillableMetric, value, root)


def as_charge(value: Any, root: str = "charge") -> Charge:
    """Validate a charge (model or mapping)."""
    return as_model(Charge, value, root)


def as_taxes(values: Any, root: str = "taxes") -> tuple[Tax, ...]:
    """Validate a sequence of taxes (models or mappings), or take a customer's taxes.

    A Lago customer object (``GET /customers/{external_id}``, wrapped or not) gives its
    ``taxes``, and ``GET /taxes``'s ``{"taxes": [...]}`` its list.

    >>> as_taxes({"customer": {"external_id": "acme", "timezone": "UTC"}})
    ()
    """
    values = _customer_taxes(values)
    if isinstance(values, Mapping | str | bytes):
        msg = "must be a list of taxes such as [{'code': 'vat', 'rate': '20'}]"
        raise InvalidInput.at(root, msg, values)
    try:
        items = list(values)
    except TypeError:
        msg = "must be a list of taxes"
        raise InvalidInput.at(root, msg, values) from None
    return tuple(as_model(Tax, item, f"{root}[{index}]") for index, item in enumerate(items))


def _customer_taxes(values: Any) -> Any:
    if not isinstance(values, Mapping):
        return values
    customer = unwrap(values, "customer")
    if customer is not values or "external_id" in customer:
        # A customer: its taxes, none when it has none (Lago leaves them out or sends null).
        return (customer.get("taxes") or ()) if isinstance(customer, Mapping) else customer
    return unwrap(values, "taxes")
