"""Plan: parsing a real Lago plan payload, round trips, and the plan-level validation rules."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

from usage_engine._coerce import as_plan
from usage_engine.errors import NO_VALUE
from usage_engine.models import (
    ALL_FILTER_VALUES,
    AggregationType,
    ChargeModel,
    GraduatedProperties,
    GraduatedRange,
    PackageProperties,
    PercentageProperties,
    Plan,
    PlanInterval,
    StandardProperties,
    Tax,
)

from . import charge_payload, invalid, lago_plan, plan_payload

D = Decimal


def test_lago_plan_payload_parses_to_exact_values() -> None:
    """A real Lago plan payload parses: amounts exact, unknown keys ignored, nulls as defaults."""
    plan = as_plan(lago_plan())
    assert (plan.code, plan.name, plan.lago_id) == (
        "startup",
        "Startup",
        "2c4f5c62-6d1b-4f2e-9b1a-3a5a1e6e6f01",
    )
    assert (plan.interval, plan.amount_cents, plan.currency) == (PlanInterval.MONTHLY, 10000, "EUR")
    assert (plan.pay_in_advance, plan.bill_charges_monthly) == (True, False)
    assert plan.taxes == (Tax(code="french_standard_vat", rate=D("20.0"), name="TVA"),)

    graduated, standard, package, percentage = plan.charges
    assert (graduated.lago_id, graduated.charge_model, graduated.min_amount_cents) == (
        "a1b2c3d4-0000-4000-8000-000000000001",
        ChargeModel.GRADUATED,
        3000,
    )
    assert isinstance(graduated.properties, GraduatedProperties)
    assert graduated.properties.graduated_ranges == (
        GraduatedRange(
            from_value=D(0), to_value=D(10), per_unit_amount=D("0.5"), flat_amount=D(10)
        ),
        GraduatedRange(
            from_value=D(11), to_value=None, per_unit_amount=D("0.40"), flat_amount=D(0)
        ),
    )
    assert graduated.billable_metric.aggregation_type is AggregationType.COUNT_AGG

    assert standard.properties == StandardProperties(
        amount=D("0.25"), pricing_group_keys=("workspace",)
    )
    assert (standard.pay_in_advance, standard.prorated, standard.invoice_display_name) == (
        True,
        True,
        None,
    )
    assert [(item.values, item.properties) for item in standard.filters] == [
        ({"region": ("eu",)}, StandardProperties(amount=D("0.3"))),
        (
            {"region": (ALL_FILTER_VALUES,), "tier": ("gold", "silver")},
            StandardProperties(amount=D("0.2")),
        ),
    ]
    assert standard.taxes == (Tax(code="reduced_vat", rate=D("5.5"), name="Reduced VAT"),)
    assert standard.billable_metric.rounding_precision == 2

    assert (package.invoiceable, package.properties) == (
        False,
        PackageProperties(amount=D(100), package_size=1000, free_units=100),
    )
    assert percentage.properties == PercentageProperties(
        rate=D(1),
        fixed_amount=D("0.5"),
        free_units_per_events=5,
        free_units_per_total_aggregation=D(500),
        per_transaction_min_amount=D("1.75"),
        per_transaction_max_amount=D("3.75"),
    )


def test_lago_plan_round_trips_through_json() -> None:
    """The parsed Lago plan dumped to JSON validates back to an equal plan."""
    plan = as_plan(lago_plan())
    assert Plan.model_validate(plan.model_dump(mode="json")) == plan
    assert as_plan(json.loads(json.dumps(plan.model_dump(mode="json")))) == plan


def test_parsing_does_not_mutate_the_payload() -> None:
    """as_plan leaves the caller's mapping exactly as it was."""
    payload = lago_plan()
    before = copy.deepcopy(payload)
    as_plan(payload)
    assert payload == before


def test_a_plan_model_is_returned_as_it_is() -> None:
    """as_plan returns a Plan it is given without validating it again."""
    plan = as_plan(plan_payload())
    assert as_plan(plan) is plan


def test_lower_case_currency_is_normalised() -> None:
    """A lower-case currency code is read as the upper-case ISO code."""
    assert as_plan(plan_payload(amount_currency="jpy")).currency == "JPY"


def test_plan_defaults() -> None:
    """A minimal plan has no fee, no charges, no taxes and bills in arrears."""
    plan = as_plan({"code": "free", "interval": "yearly", "amount_currency": "USD"})
    assert (plan.amount_cents, plan.charges, plan.taxes, plan.pay_in_advance, plan.name) == (
        0,
        (),
        (),
        False,
        "",
    )


@pytest.mark.parametrize(
    ("interval", "monthly", "expected"),
    [
        pytest.param("yearly", True, True, id="yearly plans can bill charges monthly"),
        pytest.param("semiannual", True, True, id="semiannual plans can bill charges monthly"),
        pytest.param("quarterly", True, False, id="quarterly plans ignore the flag"),
        pytest.param("monthly", True, False, id="monthly plans ignore the flag"),
        pytest.param("yearly", False, False, id="the flag off means period charges"),
    ],
)
def test_charges_monthly_only_for_yearly_and_semiannual(
    interval: str, monthly: bool, expected: bool
) -> None:
    """charges_monthly holds only for yearly and semiannual plans with bill_charges_monthly."""
    plan = as_plan(plan_payload(interval=interval, bill_charges_monthly=monthly))
    assert plan.charges_monthly is expected


INTERVALS = "weekly, monthly, quarterly, semiannual, yearly"
CURRENCY = "is not a currency Lago accepts (ISO 4217 code such as 'EUR')"

BAD_PLANS = [
    pytest.param(
        {"amount_currency": "EUT"},
        "plan.amount_currency",
        f"{CURRENCY}. Did you mean 'EUR'?",
        "EUT",
        id="an unknown currency close to a known one suggests it",
    ),
    pytest.param(
        {"amount_currency": "usdd"},
        "plan.amount_currency",
        f"{CURRENCY}. Did you mean 'USD'?",
        "usdd",
        id="a lower-case misspelt currency suggests the upper-case code",
    ),
    pytest.param(
        {"amount_currency": "BTC"},
        "plan.amount_currency",
        CURRENCY,
        "BTC",
        id="a currency Lago does not accept is refused without a far-fetched suggestion",
    ),
    pytest.param(
        {"amount_currency": 978},
        "plan.amount_currency",
        CURRENCY,
        978,
        id="a numeric currency code is refused",
    ),
    pytest.param(
        {"amount_currency": None},
        "plan.amount_currency",
        "is required",
        NO_VALUE,
        id="a plan needs a currency",
    ),
    pytest.param(
        {"interval": "montly"},
        "plan.interval",
        f"unknown interval; expected one of {INTERVALS}. Did you mean 'monthly'?",
        "montly",
        id="a misspelt interval suggests the closest one",
    ),
    pytest.param(
        {"interval": "daily"},
        "plan.interval",
        f"unknown interval; expected one of {INTERVALS}",
        "daily",
        id="an interval Lago does not have is refused",
    ),
    pytest.param(
        {"amount_cents": -100},
        "plan.amount_cents",
        "must not be negative",
        -100,
        id="a negative subscription fee is refused",
    ),
    pytest.param(
        {"amount_cents": 99.5},
        "plan.amount_cents",
        "must be a whole number",
        99.5,
        id="a fractional amount in cents is refused",
    ),
    pytest.param(
        {"amount_cents": 10**24},
        "plan.amount_cents",
        "is too large: numbers must be below 1e24 in absolute value",
        10**24,
        id="an absurd amount in cents is refused",
    ),
    pytest.param(
        {"code": ""},
        "plan.code",
        "must not be empty",
        "",
        id="an empty plan code is refused",
    ),
    pytest.param(
        {"code": None},
        "plan.code",
        "is required",
        NO_VALUE,
        id="a plan needs a code",
    ),
    pytest.param(
        {"charges": {"amount": "1"}},
        "plan.charges",
        "must be a list",
        {"amount": "1"},
        id="charges given as a mapping are refused",
    ),
    pytest.param(
        {"charges": ["standard"]},
        "plan.charges[0]",
        "must be an object (a mapping) in Lago's JSON shape",
        "standard",
        id="a charge that is not a mapping is refused",
    ),
    pytest.param(
        {"charges": [charge_payload(), charge_payload(properties={"amount": "abc"})]},
        "plan.charges[1].properties.amount",
        "must be a decimal number such as '12.5'",
        "abc",
        id="a bad charge is reported at its index",
    ),
    pytest.param(
        {"taxes": [{"code": "vat", "rate": "twenty"}]},
        "plan.taxes[0].rate",
        "must be a decimal number such as '12.5'",
        "twenty",
        id="a bad plan tax is reported at its index",
    ),
    pytest.param(
        {"pay_in_advance": "sometimes"},
        "plan.pay_in_advance",
        "must be true or false",
        "sometimes",
        id="a pay_in_advance flag that is not a boolean is refused",
    ),
]


@pytest.mark.parametrize(("changes", "path", "message", "value"), BAD_PLANS)
def test_bad_plan_is_refused(changes: dict[str, Any], path: str, message: str, value: Any) -> None:
    """Each plan rule reports one problem: its field path, message and the value found."""
    err = invalid(as_plan, plan_payload(**changes))
    shown = "" if value is NO_VALUE else f" (got {value!r})"
    assert str(err) == f"{path}: {message}{shown}"
    assert (err.path, err.value) == (path, None if value is NO_VALUE else value)
    assert len(err.errors) == 1


def test_missing_field_does_not_dump_the_payload() -> None:
    """A missing plan field is reported without quoting the whole plan mapping."""
    payload = lago_plan()
    del payload["interval"]
    err = invalid(as_plan, payload)
    assert (str(err), err.value) == ("plan.interval: is required", None)
