"""The pricer registry and ``price``: model choice and the negative guard (spec 4.0)."""

from decimal import Decimal

import pytest

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
    ChargeModel,
    ChargeProperties,
    DynamicProperties,
    PackageProperties,
    PercentageProperties,
    StandardProperties,
)
from usage_engine.pricing import PRICERS, PricingInput, price
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
