"""The pricer registry and ``price``: model choice and the negative guard (spec 4.0)."""

from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.pricing.builders import (
    events_input,
    graduated,
    graduated_percentage,
    units_input,
    volume,
)
from usage_engine.aggregation import Aggregation
from usage_engine.errors import InvalidInput
from usage_engine.models import (
    AggregationType,
    Charge,
    ChargeModel,
    ChargeProperties,
    DynamicProperties,
    PackageProperties,
    PercentageProperties,
    StandardProperties,
)
from usage_engine.pricing import (
    PRICERS,
    RECORDS,
    PricingInput,
    price,
    price_prorated_graduated,
)
from usage_engine.pricing._tiers import volume_tier
from usage_engine.pricing.graduated_percentage import price_graduated_percentage

TIERS = graduated((0, 5, 10, 100), (6, None, 5, 50))
PROPERTIES: dict[ChargeModel, ChargeProperties] = {
    ChargeModel.STANDARD: StandardProperties(amount="2"),
    ChargeModel.GRADUATED: TIERS,
    ChargeModel.GRADUATED_PERCENTAGE: graduated_percentage((0, None, 1, 5)),
    ChargeModel.PACKAGE: PackageProperties(amount="10", package_size=3),
    ChargeModel.PERCENTAGE: PercentageProperties(rate="1", fixed_amount="1"),
    # Starts at 1: without the guard, negative units would find no range and raise.
    ChargeModel.VOLUME: volume((1, 10, 1, 0), (11, None, 1, 0)),
    ChargeModel.DYNAMIC: DynamicProperties(),
}


def test_every_charge_model_has_a_pricer():
    """The registry covers every charge model."""
    assert set(PRICERS) == set(ChargeModel)


def test_registry_entries_are_the_model_functions():
    """Each entry is the function of the module named like the model."""
    assert PRICERS[ChargeModel.GRADUATED_PERCENTAGE] is price_graduated_percentage


def test_registry_is_read_only():
    """The registry cannot be changed at run time."""
    with pytest.raises(TypeError):
        PRICERS[ChargeModel.STANDARD] = PRICERS[ChargeModel.VOLUME]  # type: ignore[index]


@pytest.mark.parametrize("model", list(ChargeModel), ids=lambda model: f"{model.value} model")
def test_negative_units_cost_nothing(model):
    """A bucket with negative units is priced 0 by every model, even where no tier holds it."""
    pricing_input = units_input(-5, events_count=2, precise_cents=300)
    assert price(model, PROPERTIES[model], pricing_input) == Decimal(0)


@pytest.mark.parametrize(
    ("model", "properties", "pricing_input", "unguarded"),
    [
        pytest.param(
            ChargeModel.DYNAMIC,
            DynamicProperties(),
            units_input(3, precise_cents=-250),
            Decimal("-2.5"),
            id="dynamic events carrying negative cents",
        ),
        pytest.param(
            ChargeModel.PERCENTAGE,
            PercentageProperties(rate="1", fixed_amount="0.1", per_transaction_max_amount="3"),
            events_input([-1000, 1000, 10]),
            Decimal("-6.7"),
            id="a capped percentage over a negative event",
        ),
    ],
)
def test_negative_amounts_cost_nothing(model, properties, pricing_input, unguarded):
    """A negative amount on non-negative units is zeroed by ``price``, not by the pricer."""
    assert (PRICERS[model](properties, pricing_input), price(model, properties, pricing_input)) == (
        unguarded,
        Decimal(0),
    )


@pytest.mark.parametrize(
    ("prorated", "expected"),
    [
        pytest.param(True, Decimal("177.5"), id="prorated: 2.5 at 10, 0.5 at 5, flats 150"),
        pytest.param(False, Decimal(130), id="not prorated: 3 units in the first tier"),
    ],
)
def test_prorated_graduated_is_chosen_for_prorated_charges(prorated, expected):
    """A prorated graduated charge walks its (full, prorated) entries instead of its units."""
    aggregation = Aggregation(
        units=Decimal(3),
        events_count=1,
        current_units=Decimal(6),
        total_aggregated_units=Decimal(6),
        full_units=Decimal(6),
        prorated_entries=((Decimal(6), Decimal(3)),),
    )
    pricing_input = PricingInput(aggregation, AggregationType.SUM_AGG, prorated, "EUR")
    assert price(ChargeModel.GRADUATED, TIERS, pricing_input) == expected


def test_prorated_volume_uses_full_units():
    """Through ``price`` a prorated volume charge finds its range by the full units."""
    properties = volume((0, 100, 2, 10), (101, 200, 1, 0), (201, None, "0.5", 50))
    pricing_input = units_input("198.6", full_units=300, prorated=True)
    assert price(ChargeModel.VOLUME, properties, pricing_input) == Decimal("149.3")


def test_mismatched_properties_are_invalid_input():
    """Properties of another model are refused, naming the class the model needs."""
    with pytest.raises(InvalidInput, match="a volume charge needs VolumeProperties"):
        price(ChargeModel.VOLUME, StandardProperties(amount="1"), units_input(1))


def test_every_charge_model_has_one_record():
    """Every charge model has a record, keyed by its model, in the order of the enum."""
    assert [(model, record.model) for model, record in RECORDS.items()] == [
        (model, model) for model in ChargeModel
    ]


@pytest.mark.parametrize("model", list(ChargeModel), ids=lambda model: f"{model.value} model")
def test_records_are_what_the_engine_reads(model):
    """The validator picks the record's properties class, and ``PRICERS`` holds its pricer."""
    record = RECORDS[model]
    charge = Charge.model_validate(
        {
            "charge_model": model.value,
            "billable_metric": {"code": "m", "aggregation_type": "sum_agg", "field_name": "v"},
            "properties": PROPERTIES[model].model_dump(exclude_unset=True),
        }
    )
    assert (type(charge.properties), PRICERS[model]) == (record.properties, record.pricer)


def test_prorated_graduated_is_a_pricer_of_the_graduated_record():
    """Prorated graduated fits the ``Pricer`` protocol and is the graduated record's prorated
    pricer: it reads the entries and the invoicing path from the pricing input."""
    record = RECORDS[ChargeModel.GRADUATED]
    aggregation = Aggregation(
        units=Decimal("0.3"),
        events_count=2,
        current_units=Decimal(0),
        total_aggregated_units=Decimal(0),
        prorated_entries=((Decimal(5), Decimal("2.5")), (Decimal(-6), Decimal("-2.2"))),
    )

    def priced(invoicing):
        pricing_input = PricingInput(
            aggregation, AggregationType.SUM_AGG, True, "EUR", invoicing=invoicing
        )
        return price_prorated_graduated(TIERS, pricing_input)

    assert (record.prorated_pricer, record.pricer_for(True), record.pricer_for(False)) == (
        price_prorated_graduated,
        price_prorated_graduated,
        record.pricer,
    )
    assert (priced(False), priced(True)) == (Decimal("103.0"), Decimal(0))


@pytest.mark.parametrize(
    ("model", "rule"),
    [
        pytest.param(ChargeModel.STANDARD, "pricer", id="standard: the pricer"),
        pytest.param(ChargeModel.PACKAGE, "pricer", id="package: the pricer"),
        pytest.param(ChargeModel.GRADUATED, "lago_graduated_projection", id="graduated: fill"),
        pytest.param(ChargeModel.VOLUME, "lago_volume_projection", id="volume: no flat at 0"),
        pytest.param(ChargeModel.PERCENTAGE, None, id="percentage: scaled"),
        pytest.param(ChargeModel.GRADUATED_PERCENTAGE, None, id="graduated_percentage: scaled"),
        pytest.param(ChargeModel.DYNAMIC, None, id="dynamic: scaled"),
    ],
)
def test_lago_projection_rules(model, rule):
    """Lago re-prices projected units with the pricer or one named rule, or scales (spec 8.2)."""
    record = RECORDS[model]
    found = record.lago_projection_for(False)
    if rule is None:
        assert found is None
    elif rule == "pricer":
        assert found is record.pricer
    else:
        assert found.__name__ == rule
    # A prorated graduated charge is scaled; prorated standard and volume are re-priced.
    assert (record.lago_projection_for(True) is None) == (
        rule is None or model is ChargeModel.GRADUATED
    )


@settings(max_examples=50)
@given(data=st.data(), units=st.decimals(min_value=0, max_value=5000, places=2))
@pytest.mark.parametrize("model", [ChargeModel.STANDARD, ChargeModel.PACKAGE, ChargeModel.VOLUME])
def test_lago_projection_is_the_pricer_where_lago_prices_units(data, units, model):
    """Where Lago's projection prices units, it agrees with the registered pricer on every
    positive total a range holds (spec 8.2): one formula per model."""
    record = RECORDS[model]
    properties = record.properties.model_validate(data.draw(st.composite(record.draw_properties)()))
    rule = record.lago_projection_for(False)
    pricing_input = units_input(units)
    if model is ChargeModel.VOLUME:
        assume(units > 0 and volume_tier(properties.volume_ranges, units) is not None)
    assert rule(properties, pricing_input) == record.pricer(properties, pricing_input)
