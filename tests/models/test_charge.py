"""Charge, its properties per charge model, its filters and taxes: parsing and validation."""

from __future__ import annotations

import warnings
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from usage_engine._coerce import as_charge, as_plan
from usage_engine.errors import NO_VALUE, EmptyFilterWarning
from usage_engine.models import (
    ALL_FILTER_VALUES,
    Charge,
    ChargeFilter,
    ChargeModel,
    DynamicProperties,
    GraduatedPercentageProperties,
    GraduatedPercentageRange,
    GraduatedProperties,
    GraduatedRange,
    PackageProperties,
    PercentageProperties,
    StandardProperties,
    Tax,
    VolumeProperties,
)

from . import charge_payload, invalid, metric_payload, plan_payload

CHARGE_MODELS = "standard, graduated, graduated_percentage, package, percentage, volume, dynamic"
D = Decimal


def ranges(*bounds: tuple[Any, Any], price: str = "1", flat: str = "0") -> list[dict[str, Any]]:
    """Graduated/volume ranges with the given (from, to) bounds and one price and flat."""
    return [
        {"from_value": low, "to_value": high, "per_unit_amount": price, "flat_amount": flat}
        for low, high in bounds
    ]


def percentage_ranges(*bounds: tuple[Any, Any], rate: str = "1") -> list[dict[str, Any]]:
    """graduated_percentage ranges with the given (from, to) bounds and one rate."""
    return [
        {"from_value": low, "to_value": high, "rate": rate, "flat_amount": "0"}
        for low, high in bounds
    ]


def with_metric(charge: dict[str, Any], **metric: Any) -> dict[str, Any]:
    """``charge`` with its billable metric changed by ``metric``."""
    return {**charge, "billable_metric": metric_payload(**metric)}


def with_filters(*filters: Any, model: str = "standard") -> dict[str, Any]:
    """A charge of ``model`` (standard at "12.5" by default) with the given filters."""
    return charge_payload(model, filters=list(filters))


# ---------------------------------------------------------------------------------------------
# Valid charges parse to exact values
# ---------------------------------------------------------------------------------------------

VALID_PROPERTIES = [
    pytest.param(
        "standard",
        {"amount": "12.50"},
        StandardProperties(amount=D("12.50")),
        id="standard reads its amount string exactly",
    ),
    pytest.param(
        "standard",
        {"amount": 0.1},
        StandardProperties(amount=D("0.1")),
        id="a float amount is read through its shortest text",
    ),
    pytest.param(
        "standard",
        {"amount": 3, "pricing_group_keys": ["agent", 7]},
        StandardProperties(amount=D(3), pricing_group_keys=("agent", "7")),
        id="an int amount and pricing group keys parse",
    ),
    pytest.param(
        "graduated",
        {"graduated_ranges": ranges((0, 10), (11, None), price="0.5", flat="2")},
        GraduatedProperties(
            graduated_ranges=(
                GraduatedRange(
                    from_value=D(0), to_value=D(10), per_unit_amount=D("0.5"), flat_amount=D(2)
                ),
                GraduatedRange(
                    from_value=D(11), to_value=None, per_unit_amount=D("0.5"), flat_amount=D(2)
                ),
            )
        ),
        id="graduated ranges with a gap of one parse",
    ),
    pytest.param(
        "graduated",
        {"graduated_ranges": ranges((0, "0.1"), ("0.1", 1), (1, None))},
        GraduatedProperties(
            graduated_ranges=(
                GraduatedRange(from_value=D(0), to_value=D("0.1"), per_unit_amount=D(1)),
                GraduatedRange(from_value=D("0.1"), to_value=D(1), per_unit_amount=D(1)),
                GraduatedRange(from_value=D(1), to_value=None, per_unit_amount=D(1)),
            )
        ),
        id="adjacent decimal graduated ranges parse (spec 4.2)",
    ),
    pytest.param(
        "graduated",
        {"graduated_ranges": [{"from_value": 1, "to_value": None, "per_unit_amount": "1"}]},
        GraduatedProperties(
            graduated_ranges=(GraduatedRange(from_value=D(1), to_value=None, per_unit_amount=D(1)),)
        ),
        id="a single range may start at 1 and flat_amount defaults to 0",
    ),
    pytest.param(
        "graduated_percentage",
        {"graduated_percentage_ranges": percentage_ranges((0, 100), (101, None), rate="2.5")},
        GraduatedPercentageProperties(
            graduated_percentage_ranges=(
                GraduatedPercentageRange(from_value=D(0), to_value=D(100), rate=D("2.5")),
                GraduatedPercentageRange(from_value=D(101), to_value=None, rate=D("2.5")),
            )
        ),
        id="graduated percentage ranges parse",
    ),
    pytest.param(
        "package",
        {"amount": "100", "package_size": "10", "free_units": 5},
        PackageProperties(amount=D(100), package_size=10, free_units=5),
        id="package reads a numeric-text package size as an int",
    ),
    pytest.param(
        "package",
        {"amount": "100", "package_size": 10.0},
        PackageProperties(amount=D(100), package_size=10, free_units=0),
        id="a whole float package size is an int and free units default to 0",
    ),
    pytest.param(
        "percentage",
        {
            "rate": "1.3",
            "fixed_amount": "2",
            "free_units_per_events": 3,
            "free_units_per_total_aggregation": "250",
            "per_transaction_min_amount": "1.75",
            "per_transaction_max_amount": "12",
        },
        PercentageProperties(
            rate=D("1.3"),
            fixed_amount=D(2),
            free_units_per_events=3,
            free_units_per_total_aggregation=D(250),
            per_transaction_min_amount=D("1.75"),
            per_transaction_max_amount=D(12),
        ),
        id="percentage reads every option",
    ),
    pytest.param(
        "percentage",
        {"rate": "1", "fixed_amount": None, "free_units_per_events": None},
        PercentageProperties(rate=D(1)),
        id="null percentage options are unset",
    ),
    pytest.param(
        "volume",
        {"volume_ranges": ranges((0, 100), (101, 200), (202, None))},
        VolumeProperties(
            volume_ranges=(
                GraduatedRange(from_value=D(0), to_value=D(100), per_unit_amount=D(1)),
                GraduatedRange(from_value=D(101), to_value=D(200), per_unit_amount=D(1)),
                GraduatedRange(from_value=D(202), to_value=None, per_unit_amount=D(1)),
            )
        ),
        id="volume ranges may start 1 or 2 after the previous end (spec 4.6)",
    ),
    pytest.param(
        "dynamic",
        {},
        DynamicProperties(),
        id="dynamic has no properties",
    ),
]


@pytest.mark.parametrize(("charge_model", "properties", "expected"), VALID_PROPERTIES)
def test_valid_properties_parse_exactly(charge_model: str, properties: Any, expected: Any) -> None:
    """Each charge model's properties parse to the exact decimals and ints they spell."""
    charge = as_charge(charge_payload(charge_model, properties))
    assert charge.charge_model is ChargeModel(charge_model)
    assert charge.properties == expected
    assert type(charge.properties) is type(expected)


def test_charge_defaults_match_lago() -> None:
    """A minimal charge takes Lago's defaults: in arrears, invoiceable, not prorated, no extras."""
    charge = as_charge(charge_payload())
    assert (
        charge.pay_in_advance,
        charge.invoiceable,
        charge.prorated,
        charge.min_amount_cents,
        charge.filters,
        charge.taxes,
        charge.invoice_display_name,
        charge.id,
        charge.code,
    ) == (False, True, False, 0, (), (), None, None, None)


def test_null_fields_take_their_defaults() -> None:
    """Lago's nulls (min_amount_cents, taxes, filters, flags) mean the field's default."""
    payload = charge_payload(
        min_amount_cents=None, taxes=None, filters=None, invoiceable=None, prorated=None
    )
    charge = as_charge(payload)
    assert (charge.min_amount_cents, charge.taxes, charge.filters) == (0, (), ())
    assert (charge.invoiceable, charge.prorated) == (True, False)


def test_dynamic_charge_needs_no_properties() -> None:
    """A dynamic charge is valid with its properties missing or null."""
    assert as_charge(charge_payload("dynamic", None)).properties == DynamicProperties()
    payload = charge_payload("dynamic")
    del payload["properties"]
    assert as_charge(payload).properties == DynamicProperties()


def test_standard_charge_without_properties_names_the_missing_amount() -> None:
    """A standard charge without properties reports its missing amount, not the whole charge."""
    payload = charge_payload()
    del payload["properties"]
    err = invalid(as_charge, payload)
    assert (err.path, err.value, str(err)) == (
        "charge.properties.amount",
        None,
        "charge.properties.amount: is required",
    )


def test_lago_id_is_read_from_lago_id_or_id() -> None:
    """The charge id comes from Lago's lago_id key, or from id."""
    assert as_charge(charge_payload(lago_id="ch_1")).lago_id == "ch_1"
    assert as_charge(charge_payload(id="ch_2")).id == "ch_2"


def test_derived_lago_id_is_stable_and_depends_on_the_code() -> None:
    """Without an id, lago_id is derived from the charge's identity: equal charges agree."""
    first = as_charge(charge_payload(code="storage_eu")).lago_id
    assert first == as_charge(charge_payload(code="storage_eu")).lago_id
    assert first != as_charge(charge_payload(code="storage_us")).lago_id


GROUP_KEYS = [
    pytest.param({"pricing_group_keys": ["a"], "grouped_by": ["b"]}, ("a",), id="new key wins"),
    pytest.param({"grouped_by": ["b"]}, ("b",), id="legacy grouped_by is read"),
    pytest.param({"pricing_group_keys": [], "grouped_by": ["b"]}, ("b",), id="empty new key"),
    pytest.param({}, (), id="no grouping"),
]


@pytest.mark.parametrize(("keys", "expected"), GROUP_KEYS)
def test_group_keys_prefer_pricing_group_keys(
    keys: dict[str, Any], expected: tuple[str, ...]
) -> None:
    """group_keys is pricing_group_keys, or the legacy grouped_by when the former is empty."""
    charge = as_charge(charge_payload(properties={"amount": "1", **keys}))
    assert charge.properties.group_keys == expected


def test_filters_parse_with_their_own_properties() -> None:
    """Filters parse their values as text tuples and their properties with the charge model."""
    charge = as_charge(
        with_filters(
            {"values": {"region": ["eu", "us"]}, "properties": {"amount": "2"}},
            {
                "values": {"region": [ALL_FILTER_VALUES]},
                "properties": {"amount": "3"},
                "invoice_display_name": "Everywhere",
            },
        )
    )
    assert charge.filters == (
        ChargeFilter(values={"region": ("eu", "us")}, properties=StandardProperties(amount=D(2))),
        ChargeFilter(
            values={"region": (ALL_FILTER_VALUES,)},
            properties=StandardProperties(amount=D(3)),
            invoice_display_name="Everywhere",
        ),
    )


def test_a_filter_without_values_is_accepted_with_a_warning() -> None:
    """Lago accepts a charge filter with no values: parsed, kept in place, with a warning."""
    with pytest.warns(EmptyFilterWarning) as caught:
        charge = as_charge(
            with_filters(
                {"values": {}, "properties": {"amount": "5"}, "invoice_display_name": "Empty"},
                {"values": {"region": ["eu"]}, "properties": {"amount": "3"}},
                {"values": {}, "properties": {"amount": "8"}},
            )
        )
    assert [str(item.message) for item in caught] == [
        "charge filter 0 of metric 'storage' has no values: it matches no event and is shown"
        " with zero usage",
        "charge filter 2 of metric 'storage' has no values: it matches no event and is shown"
        " with zero usage",
    ]
    assert charge.filters == (
        ChargeFilter(
            values={},
            properties=StandardProperties(amount=D(5)),
            invoice_display_name="Empty",
        ),
        ChargeFilter(values={"region": ("eu",)}, properties=StandardProperties(amount=D(3))),
        ChargeFilter(values={}, properties=StandardProperties(amount=D(8))),
    )
    assert charge.expanded_filters() == [{}, {"region": frozenset({"eu"})}, {}]


def test_filters_with_values_do_not_warn_of_empty_filters() -> None:
    """Only a filter without values gets the warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", EmptyFilterWarning)
        as_charge(with_filters({"values": {"region": ["eu"]}, "properties": {"amount": "3"}}))


def test_charge_taxes_parse() -> None:
    """A charge's taxes parse with exact rates."""
    charge = as_charge(charge_payload(taxes=[{"code": "vat", "rate": 20.0, "name": "VAT"}]))
    assert charge.taxes == (Tax(code="vat", rate=D("20.0"), name="VAT"),)


def test_any_mapping_is_accepted_at_every_level() -> None:
    """Read-only mappings are accepted for the charge, its metric, properties and filters."""
    payload = with_filters(
        MappingProxyType({"values": MappingProxyType({"region": ["eu"]}), "properties": {}}),
        model="dynamic",
    )
    payload["billable_metric"] = MappingProxyType(payload["billable_metric"])
    payload["properties"] = MappingProxyType({})
    charge = as_charge(MappingProxyType(payload))
    assert charge.filters[0].values == {"region": ("eu",)}


def test_properties_model_of_another_charge_model_is_reread() -> None:
    """Properties built for another charge model are read as the charge's own model's."""
    payload = charge_payload("graduated", StandardProperties(amount=D(1)))
    err = invalid(as_charge, payload)
    assert str(err) == "charge.properties.graduated_ranges: is required"


def test_properties_model_of_the_right_charge_model_is_kept() -> None:
    """A charge accepts a properties model of its own charge model as it is."""
    properties = PackageProperties(amount=D(5), package_size=2)
    assert as_charge(charge_payload("package", properties)).properties is properties


def test_filter_model_with_properties_of_another_charge_model_is_reread() -> None:
    """A ChargeFilter model whose properties belong to another model is validated again."""
    charge_filter = ChargeFilter(
        values={"region": ("eu",)}, properties=StandardProperties(amount=1)
    )
    payload = charge_payload(
        "package", {"amount": "1", "package_size": 10}, filters=[charge_filter]
    )
    err = invalid(as_charge, payload)
    assert str(err) == "charge.filters[0].properties.package_size: is required"


def test_filter_model_of_the_right_charge_model_is_kept() -> None:
    """A ChargeFilter model whose properties match the charge model is kept as it is."""
    charge_filter = ChargeFilter(
        values={"region": ("eu",)}, properties=StandardProperties(amount=1)
    )
    assert as_charge(charge_payload(filters=[charge_filter])).filters == (charge_filter,)


# ---------------------------------------------------------------------------------------------
# Invalid charges: one rule per case, with the exact path, message and value
# ---------------------------------------------------------------------------------------------

BAD_CHARGES = [
    # charge_model
    pytest.param(
        charge_payload("standart"),
        "charge.charge_model",
        f"unknown charge_model; expected one of {CHARGE_MODELS}. Did you mean 'standard'?",
        "standart",
        id="a misspelt charge_model suggests the closest one and nothing else",
    ),
    pytest.param(
        charge_payload("graduate", {"graduated_ranges": ranges((0, None))}),
        "charge.charge_model",
        f"unknown charge_model; expected one of {CHARGE_MODELS}. Did you mean 'graduated'?",
        "graduate",
        id="a misspelt graduated charge_model suggests graduated",
    ),
    pytest.param(
        charge_payload(None),
        "charge.charge_model",
        "is required",
        NO_VALUE,
        id="a missing charge_model is reported once, not also on properties",
    ),
    pytest.param(
        charge_payload(7),
        "charge.charge_model",
        f"unknown charge_model; expected one of {CHARGE_MODELS}",
        7,
        id="a non-text charge_model lists the choices",
    ),
    # properties shape
    pytest.param(
        charge_payload("standard", 5),
        "charge.properties",
        "must be an object of charge-model properties, such as {'amount': '12.5'}",
        5,
        id="properties that are not a mapping are refused",
    ),
    pytest.param(
        charge_payload("standard", ["12.5"]),
        "charge.properties",
        "must be an object of charge-model properties, such as {'amount': '12.5'}",
        ["12.5"],
        id="properties given as a list are refused",
    ),
    # standard amount: the decimal rules shared by every amount
    pytest.param(
        charge_payload(properties={"amount": "-1"}),
        "charge.properties.amount",
        "must not be negative",
        "-1",
        id="a negative amount is refused",
    ),
    pytest.param(
        charge_payload(properties={"amount": "NaN"}),
        "charge.properties.amount",
        "must be a finite decimal number",
        "NaN",
        id="a NaN amount text is refused",
    ),
    pytest.param(
        charge_payload(properties={"amount": float("inf")}),
        "charge.properties.amount",
        "must be a finite decimal number",
        float("inf"),
        id="an infinite float amount is refused",
    ),
    pytest.param(
        charge_payload(properties={"amount": "-Infinity"}),
        "charge.properties.amount",
        "must be a finite decimal number",
        "-Infinity",
        id="an infinite amount text is refused",
    ),
    pytest.param(
        charge_payload(properties={"amount": "12,5"}),
        "charge.properties.amount",
        "must be a decimal number such as '12.5'",
        "12,5",
        id="an amount with a decimal comma is refused",
    ),
    pytest.param(
        charge_payload(properties={"amount": True}),
        "charge.properties.amount",
        "must be a decimal number, not a boolean",
        True,
        id="a boolean amount is refused",
    ),
    pytest.param(
        charge_payload(properties={"amount": [1]}),
        "charge.properties.amount",
        "must be a decimal number (a string such as '12.5', or a number)",
        [1],
        id="an amount that is a list is refused",
    ),
    pytest.param(
        charge_payload(properties={"amount": "1e24"}),
        "charge.properties.amount",
        "is too large: decimals must be below 1e24 in absolute value",
        "1e24",
        id="an absurdly large amount is refused",
    ),
    pytest.param(
        charge_payload(properties={"amount": "0." + "0" * 40 + "1"}),
        "charge.properties.amount",
        "has too many decimal places (at most 40)",
        "0." + "0" * 40 + "1",
        id="an amount with more than 40 decimal places is refused",
    ),
    pytest.param(
        charge_payload(properties={"amount": "1", "pricing_group_keys": "region"}),
        "charge.properties.pricing_group_keys",
        "must be a list",
        "region",
        id="pricing group keys given as one text are refused",
    ),
    # graduated (spec 4.2)
    pytest.param(
        charge_payload("graduated", {"graduated_ranges": []}),
        "charge.properties.graduated_ranges",
        "needs at least one range",
        [],
        id="graduated needs at least one range",
    ),
    pytest.param(
        charge_payload("graduated", {"graduated_ranges": ranges((2, None))}),
        "charge.properties.graduated_ranges[0].from_value",
        "the first range must start at 0 (or 1)",
        D(2),
        id="the first graduated range must start at 0 or 1",
    ),
    pytest.param(
        charge_payload("graduated", {"graduated_ranges": ranges((0, 0), (1, None))}),
        "charge.properties.graduated_ranges[0].to_value",
        "must be greater than from_value 0",
        D(0),
        id="a graduated range must end above its start",
    ),
    pytest.param(
        charge_payload("graduated", {"graduated_ranges": ranges((0, 10), (12, None))}),
        "charge.properties.graduated_ranges[1].from_value",
        "must follow the previous range: expected 10 or 11",
        D(12),
        id="graduated ranges may not leave a gap of more than one",
    ),
    pytest.param(
        charge_payload("graduated", {"graduated_ranges": ranges((0, 10), (5, None))}),
        "charge.properties.graduated_ranges[1].from_value",
        "must follow the previous range: expected 10 or 11",
        D(5),
        id="graduated ranges may not overlap",
    ),
    pytest.param(
        charge_payload("graduated", {"graduated_ranges": ranges((0, None), (11, None))}),
        "charge.properties.graduated_ranges[0].to_value",
        "only the last range may be open-ended (to_value null)",
        None,
        id="only the last graduated range may be open-ended",
    ),
    pytest.param(
        charge_payload("graduated", {"graduated_ranges": ranges((0, 10), (11, 20))}),
        "charge.properties.graduated_ranges[1].to_value",
        "the last range must be open-ended: set to_value to null",
        D(20),
        id="the last graduated range must be open-ended",
    ),
    pytest.param(
        charge_payload("graduated", {"graduated_ranges": ranges((0, None), price="-0.5")}),
        "charge.properties.graduated_ranges[0].per_unit_amount",
        "must not be negative",
        "-0.5",
        id="a negative per_unit_amount is refused",
    ),
    pytest.param(
        charge_payload("graduated", {"graduated_ranges": ranges((0, None), flat="-1")}),
        "charge.properties.graduated_ranges[0].flat_amount",
        "must not be negative",
        "-1",
        id="a negative flat_amount is refused",
    ),
    pytest.param(
        charge_payload("graduated", {"graduated_ranges": ranges((0, "ten"), (11, None))}),
        "charge.properties.graduated_ranges[0].to_value",
        "must be a decimal number such as '12.5'",
        "ten",
        id="a to_value that is not a number is refused",
    ),
    pytest.param(
        charge_payload("graduated", {"graduated_ranges": [{"from_value": 0, "to_value": None}]}),
        "charge.properties.graduated_ranges[0].per_unit_amount",
        "is required",
        NO_VALUE,
        id="a graduated range needs a per_unit_amount",
    ),
    pytest.param(
        charge_payload("graduated", {"graduated_ranges": ranges((-1, None))}),
        "charge.properties.graduated_ranges[0].from_value",
        "must not be negative",
        -1,
        id="a negative from_value is refused",
    ),
    # graduated_percentage (spec 4.3)
    pytest.param(
        charge_payload(
            "graduated_percentage",
            {"graduated_percentage_ranges": percentage_ranges((0, 10), (12, None))},
        ),
        "charge.properties.graduated_percentage_ranges[1].from_value",
        "must follow the previous range: expected 10 or 11",
        D(12),
        id="graduated percentage ranges follow the graduated rules",
    ),
    pytest.param(
        charge_payload(
            "graduated_percentage",
            {"graduated_percentage_ranges": percentage_ranges((0, None), rate="-1")},
        ),
        "charge.properties.graduated_percentage_ranges[0].rate",
        "must not be negative",
        "-1",
        id="a negative graduated percentage rate is refused",
    ),
    # volume (spec 4.6)
    pytest.param(
        charge_payload("volume", {"volume_ranges": ranges((0, 10), (10, None))}),
        "charge.properties.volume_ranges[1].from_value",
        "must follow the previous range: expected 11 or 12",
        D(10),
        id="volume ranges may not share a bound",
    ),
    pytest.param(
        charge_payload("volume", {"volume_ranges": ranges((0, 10), (13, None))}),
        "charge.properties.volume_ranges[1].from_value",
        "must follow the previous range: expected 11 or 12",
        D(13),
        id="volume ranges may not leave a gap of more than two",
    ),
    pytest.param(
        charge_payload("volume", {"volume_ranges": ranges((0, 10))}),
        "charge.properties.volume_ranges[0].to_value",
        "the last range must be open-ended: set to_value to null",
        D(10),
        id="the last volume range must be open-ended",
    ),
    # package (spec 4.4)
    pytest.param(
        charge_payload("package", {"amount": "1", "package_size": 0}),
        "charge.properties.package_size",
        "must be greater than 0",
        0,
        id="a zero package_size is refused",
    ),
    pytest.param(
        charge_payload("package", {"amount": "1", "package_size": -10}),
        "charge.properties.package_size",
        "must not be negative",
        -10,
        id="a negative package_size is refused",
    ),
    pytest.param(
        charge_payload("package", {"amount": "1", "package_size": "2.5"}),
        "charge.properties.package_size",
        "must be a whole number",
        "2.5",
        id="a fractional package_size is refused",
    ),
    pytest.param(
        charge_payload("package", {"amount": "1", "package_size": 10, "free_units": -1}),
        "charge.properties.free_units",
        "must not be negative",
        -1,
        id="negative free units are refused",
    ),
    pytest.param(
        charge_payload("package", {"package_size": 10}),
        "charge.properties.amount",
        "is required",
        NO_VALUE,
        id="a package charge needs an amount",
    ),
    # percentage (spec 4.5)
    pytest.param(
        charge_payload("percentage", {"fixed_amount": "1"}),
        "charge.properties.rate",
        "is required",
        NO_VALUE,
        id="a percentage charge needs a rate",
    ),
    pytest.param(
        charge_payload("percentage", {"rate": "-1"}),
        "charge.properties.rate",
        "must not be negative",
        "-1",
        id="a negative percentage rate is refused",
    ),
    pytest.param(
        charge_payload("percentage", {"rate": "1", "fixed_amount": "nan"}),
        "charge.properties.fixed_amount",
        "must be a finite decimal number",
        "nan",
        id="a NaN fixed_amount is refused",
    ),
    pytest.param(
        charge_payload("percentage", {"rate": "1", "free_units_per_events": 1.5}),
        "charge.properties.free_units_per_events",
        "must be a whole number",
        1.5,
        id="fractional free units per events are refused",
    ),
    pytest.param(
        charge_payload(
            "percentage",
            {"rate": "1", "per_transaction_min_amount": "2", "per_transaction_max_amount": "1"},
        ),
        "charge.properties.per_transaction_max_amount",
        "must not be below per_transaction_min_amount 2",
        D(1),
        id="a per-transaction maximum below the minimum is refused",
    ),
    # which charge models a metric allows (spec 4.3, 4.5, 4.7)
    pytest.param(
        with_metric(charge_payload("dynamic", {}), aggregation_type="count_agg"),
        "charge.charge_model",
        "dynamic charges need a sum_agg metric",
        "dynamic",
        id="a dynamic charge needs a sum_agg metric",
    ),
    pytest.param(
        with_metric(charge_payload("percentage", {"rate": "1"}), aggregation_type="latest_agg"),
        "charge.charge_model",
        "latest_agg metrics cannot be priced with a percentage model",
        "percentage",
        id="a latest_agg metric cannot be priced with percentage",
    ),
    pytest.param(
        with_metric(
            charge_payload(
                "graduated_percentage",
                {"graduated_percentage_ranges": percentage_ranges((0, None))},
            ),
            aggregation_type="latest_agg",
        ),
        "charge.charge_model",
        "latest_agg metrics cannot be priced with a percentage model",
        "graduated_percentage",
        id="a latest_agg metric cannot be priced with graduated percentage",
    ),
    # pay in advance (spec 6.1)
    pytest.param(
        with_metric(charge_payload(pay_in_advance=True), aggregation_type="max_agg"),
        "charge.pay_in_advance",
        "pay-in-advance charges need count_agg, sum_agg or unique_count_agg, not max_agg",
        True,
        id="a pay-in-advance charge cannot use max_agg",
    ),
    pytest.param(
        with_metric(charge_payload(pay_in_advance=True), aggregation_type="weighted_sum_agg"),
        "charge.pay_in_advance",
        "pay-in-advance charges need count_agg, sum_agg or unique_count_agg, not weighted_sum_agg",
        True,
        id="a pay-in-advance charge cannot use weighted_sum_agg",
    ),
    pytest.param(
        charge_payload("volume", {"volume_ranges": ranges((0, None))}, pay_in_advance=True),
        "charge.pay_in_advance",
        "volume charges cannot be paid in advance",
        True,
        id="a volume charge cannot be paid in advance",
    ),
    pytest.param(
        charge_payload(pay_in_advance=True, min_amount_cents=100),
        "charge.min_amount_cents",
        "a pay-in-advance charge cannot have a minimum amount",
        100,
        id="a pay-in-advance charge cannot have a minimum amount",
    ),
    # prorated (spec 3.9, 6.1)
    pytest.param(
        charge_payload(prorated=True),
        "charge.prorated",
        "only recurring sum_agg or unique_count_agg charges can be prorated",
        True,
        id="a charge on a non-recurring metric cannot be prorated",
    ),
    pytest.param(
        with_metric(
            charge_payload(prorated=True), aggregation_type="weighted_sum_agg", recurring=True
        ),
        "charge.prorated",
        "only recurring sum_agg or unique_count_agg charges can be prorated",
        True,
        id="a recurring weighted sum cannot be prorated",
    ),
    pytest.param(
        with_metric(
            charge_payload("package", {"amount": "1", "package_size": 1}, prorated=True),
            recurring=True,
        ),
        "charge.prorated",
        "prorated charges must use standard, graduated, volume",
        True,
        id="a prorated charge in arrears cannot use package",
    ),
    pytest.param(
        with_metric(
            charge_payload(
                "graduated",
                {"graduated_ranges": ranges((0, None))},
                prorated=True,
                pay_in_advance=True,
            ),
            recurring=True,
        ),
        "charge.prorated",
        "prorated charges must use standard",
        True,
        id="a prorated pay-in-advance charge must be standard",
    ),
    # other charge fields
    pytest.param(
        charge_payload(min_amount_cents=-1),
        "charge.min_amount_cents",
        "must not be negative",
        -1,
        id="a negative min_amount_cents is refused",
    ),
    pytest.param(
        charge_payload(min_amount_cents="12.5"),
        "charge.min_amount_cents",
        "must be a whole number",
        "12.5",
        id="a fractional min_amount_cents is refused",
    ),
    pytest.param(
        charge_payload(taxes=[{"code": "vat", "rate": "-20"}]),
        "charge.taxes[0].rate",
        "must not be negative",
        "-20",
        id="a negative tax rate is refused",
    ),
    pytest.param(
        charge_payload(taxes=[{"rate": "20"}]),
        "charge.taxes[0].code",
        "is required",
        NO_VALUE,
        id="a tax needs a code",
    ),
    pytest.param(
        charge_payload(billable_metric=5),
        "charge.billable_metric",
        "must be an object (a mapping) in Lago's JSON shape",
        5,
        id="a billable metric that is not a mapping is refused",
    ),
    pytest.param(
        charge_payload(billable_metric=None),
        "charge.billable_metric",
        "is required",
        NO_VALUE,
        id="a charge needs its billable metric embedded",
    ),
    pytest.param(
        with_metric(charge_payload(), aggregation_type="count"),
        "charge.billable_metric.aggregation_type",
        "unknown aggregation_type; expected one of count_agg, sum_agg, max_agg, "
        "unique_count_agg, latest_agg, weighted_sum_agg. Did you mean 'count_agg'?",
        "count",
        id="an error inside the embedded metric has the metric's path",
    ),
    # filters (spec 5.1)
    pytest.param(
        with_filters({"values": {"cloud": ["aws"]}, "properties": {"amount": "1"}}),
        "charge.filters[0].values.cloud",
        "is not a filter key of metric 'storage' (keys: ['region'])",
        "cloud",
        id="a filter key the metric does not declare is refused",
    ),
    pytest.param(
        with_filters({"values": {"regoin": ["eu"]}, "properties": {"amount": "1"}}),
        "charge.filters[0].values.regoin",
        "is not a filter key of metric 'storage' (keys: ['region']). Did you mean 'region'?",
        "regoin",
        id="a misspelt filter key suggests the declared one",
    ),
    pytest.param(
        with_filters({"values": {"region": ["eu", "EU"]}, "properties": {"amount": "1"}}),
        "charge.filters[0].values.region",
        "is not a value metric 'storage' declares for 'region' "
        "(values: ['eu', 'us', 'apac'], or '__ALL_FILTER_VALUES__'). Did you mean 'eu'?",
        "EU",
        id="a filter value the metric does not declare is refused with a suggestion",
    ),
    pytest.param(
        with_filters(
            {"values": {"region": [ALL_FILTER_VALUES, "eu"]}, "properties": {"amount": "1"}}
        ),
        "charge.filters[0].values.region",
        "__ALL_FILTER_VALUES__ must be the only value of its key",
        [ALL_FILTER_VALUES, "eu"],
        id="the all-values sentinel cannot be mixed with values",
    ),
    pytest.param(
        with_filters({"values": {"region": []}, "properties": {"amount": "1"}}),
        "charge.filters[0].values.region",
        "needs at least one value",
        [],
        id="a filter key needs at least one value",
    ),
    pytest.param(
        with_filters({"properties": {"amount": "1"}}),
        "charge.filters[0].values",
        "is required",
        NO_VALUE,
        id="a filter needs its values",
    ),
    pytest.param(
        with_filters(
            {"values": {"region": ["eu"]}, "properties": {"amount": "1"}},
            {"values": {"region": ["us"]}, "properties": {"amount": "x"}},
        ),
        "charge.filters[1].properties.amount",
        "must be a decimal number such as '12.5'",
        "x",
        id="a filter's bad amount has the filter's properties path",
    ),
    pytest.param(
        with_filters({"values": {"region": ["eu"]}}),
        "charge.filters[0].properties.amount",
        "is required",
        NO_VALUE,
        id="a standard filter without properties names the missing amount",
    ),
    pytest.param(
        with_filters({"values": {"region": ["eu"]}, "properties": "12.5"}),
        "charge.filters[0].properties",
        "must be an object of charge-model properties, such as {'amount': '12.5'}",
        "12.5",
        id="filter properties that are not a mapping are refused",
    ),
    pytest.param(
        {
            **with_filters(
                {
                    "values": {"region": ["eu"]},
                    "properties": {"graduated_ranges": ranges((0, 5), (7, None))},
                }
            ),
            "charge_model": "graduated",
            "properties": {"graduated_ranges": ranges((0, None))},
        },
        "charge.filters[0].properties.graduated_ranges[1].from_value",
        "must follow the previous range: expected 5 or 6",
        D(7),
        id="a filter's graduated ranges follow the range rules",
    ),
    pytest.param(
        charge_payload(filters={"region": ["eu"]}),
        "charge.filters",
        "must be a list",
        {"region": ["eu"]},
        id="filters given as a mapping are refused",
    ),
]


@pytest.mark.parametrize(("payload", "path", "message", "value"), BAD_CHARGES)
def test_bad_charge_is_refused(
    payload: dict[str, Any], path: str, message: str, value: Any
) -> None:
    """Each charge rule reports one problem: its field path, message and the value found."""
    err = invalid(as_charge, payload)
    shown = "" if value is NO_VALUE else f" (got {value!r})"
    assert str(err) == f"{path}: {message}{shown}"
    assert err.path == path
    assert err.value == (None if value is NO_VALUE else value)
    assert len(err.errors) == 1


def test_bad_charge_inside_a_plan_has_the_full_path() -> None:
    """A filter's error inside a plan is reported under plan.charges[i].filters[j]."""
    bad = with_filters(
        {"values": {"region": ["eu"]}, "properties": {"amount": "1"}},
        {"values": {"region": ["us"]}, "properties": {"amount": "-2"}},
    )
    err = invalid(as_plan, plan_payload(charge_payload(), bad))
    assert (
        str(err) == "plan.charges[1].filters[1].properties.amount: must not be negative (got '-2')"
    )


def test_problems_in_several_charges_are_all_listed() -> None:
    """Independent problems are all collected, and the message counts the others."""
    err = invalid(
        as_plan,
        plan_payload(
            charge_payload("standart"),
            charge_payload(properties={"amount": "-1"}),
            charge_payload("package", {"amount": "1", "package_size": 0}),
        ),
    )
    assert [problem.path for problem in err.errors] == [
        "plan.charges[0].charge_model",
        "plan.charges[1].properties.amount",
        "plan.charges[2].properties.package_size",
    ]
    assert str(err).endswith("(got 'standart') (and 2 more)")


# ---------------------------------------------------------------------------------------------
# Round trips, including generated properties
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("charge_model", "properties", "expected"), VALID_PROPERTIES)
def test_charge_round_trips_through_json(charge_model: str, properties: Any, expected: Any) -> None:
    """A charge of every model dumped to JSON validates back to an equal charge."""
    charge = as_charge(
        charge_payload(
            charge_model,
            properties,
            filters=[{"values": {"region": ["eu"]}, "properties": properties}],
            taxes=[{"code": "vat", "rate": "20"}],
            id="ch_1",
        )
    )
    assert Charge.model_validate(charge.model_dump(mode="json")) == charge


DECIMALS = st.decimals(
    min_value=0, max_value=10**9, places=6, allow_nan=False, allow_infinity=False
)


@st.composite
def graduated_ranges(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Valid graduated ranges: start at 0 or 1, each next start at the end or one after it."""
    count = draw(st.integers(min_value=1, max_value=6))
    low = draw(st.sampled_from([0, 1]))
    result = []
    for index in range(count):
        last = index == count - 1
        high = None if last else low + draw(st.integers(min_value=1, max_value=1000))
        price = draw(DECIMALS)
        flat = draw(DECIMALS)
        result.append(
            {
                "from_value": low,
                "to_value": high,
                # Lago sends amounts as text; numbers must work too.
                "per_unit_amount": str(price) if draw(st.booleans()) else float(price),
                "flat_amount": str(flat),
            }
        )
        if high is not None:
            low = high + draw(st.sampled_from([0, 1]))
    return result


@given(graduated_ranges())
def test_generated_graduated_ranges_parse_exactly_and_round_trip(
    tiers: list[dict[str, Any]],
) -> None:
    """Any valid set of graduated ranges parses to its exact values and survives JSON."""
    charge = as_charge(charge_payload("graduated", {"graduated_ranges": tiers}))
    assert isinstance(charge.properties, GraduatedProperties)
    parsed = charge.properties.graduated_ranges
    assert [(item.from_value, item.to_value) for item in parsed] == [
        (D(item["from_value"]), None if item["to_value"] is None else D(item["to_value"]))
        for item in tiers
    ]
    assert [item.per_unit_amount for item in parsed] == [
        D(repr(item["per_unit_amount"]))
        if isinstance(item["per_unit_amount"], float)
        else D(item["per_unit_amount"])
        for item in tiers
    ]
    assert [item.flat_amount for item in parsed] == [D(item["flat_amount"]) for item in tiers]
    assert Charge.model_validate(charge.model_dump(mode="json")) == charge


@st.composite
def percentage_properties(draw: st.DrawFn) -> dict[str, Any]:
    """Valid percentage properties: a rate and any subset of the options, min ≤ max."""
    properties: dict[str, Any] = {"rate": str(draw(DECIMALS))}
    if draw(st.booleans()):
        properties["fixed_amount"] = str(draw(DECIMALS))
    if draw(st.booleans()):
        properties["free_units_per_events"] = draw(st.integers(min_value=0, max_value=10**6))
    if draw(st.booleans()):
        properties["free_units_per_total_aggregation"] = str(draw(DECIMALS))
    bounds = sorted(draw(st.lists(DECIMALS, min_size=2, max_size=2)))
    if draw(st.booleans()):
        properties["per_transaction_min_amount"] = str(bounds[0])
    if draw(st.booleans()):
        properties["per_transaction_max_amount"] = str(bounds[1])
    return properties


@given(percentage_properties())
def test_generated_percentage_properties_parse_exactly_and_round_trip(
    properties: dict[str, Any],
) -> None:
    """Any valid percentage properties parse to their exact values and survive JSON."""
    charge = as_charge(charge_payload("percentage", properties))
    parsed = charge.properties.model_dump(exclude_none=True, exclude={"pricing_group_keys"})
    assert parsed == {
        key: value if isinstance(value, int) else D(value) for key, value in properties.items()
    }
    assert Charge.model_validate(charge.model_dump(mode="json")) == charge
