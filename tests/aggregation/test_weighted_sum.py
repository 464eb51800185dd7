"""weighted_sum_agg (spec 3.6)."""

from decimal import Decimal

from tests.factories import event, metric, month_period, utc
from usage_engine.aggregate import aggregate
from usage_engine.money import round_places

WEIGHTED = metric("weighted_sum_agg")
AUGUST = month_period(2023, 8)


def test_weighted_levels_over_the_period():
    """Seven changes on Aug 1 weigh 59 400 level-seconds over 2 678 400 s (0.02218)."""
    changes = [
        ((0, 0), 2),
        ((1, 0), 3),
        ((1, 30), 1),
        ((2, 0), -4),
        ((4, 0), -2),
        ((5, 0), 10),
        ((5, 30), -10),
    ]
    events = [event("m", utc(2023, 8, 1, h, m), {"value": v}) for (h, m), v in changes]
    result, _ = aggregate(WEIGHTED, events, AUGUST)
    assert result.units == Decimal("0.02217741935483870968")
    assert round_places(result.units, 5) == Decimal("0.02218")
    assert result.events_count == 7
    assert result.total_aggregated_units == Decimal(0)


def test_level_held_from_the_start_weighs_fully():
    """A single 1000 at the period start gives 1000."""
    result, _ = aggregate(WEIGHTED, [event("m", utc(2023, 8, 1), {"value": 1000})], AUGUST)
    assert result.units == Decimal(1000)


def test_changes_at_one_instant_add_up():
    """Two changes of 3 at the same instant give 6."""
    events = [event("m", utc(2023, 8, 1), {"value": 3}) for _ in range(2)]
    assert aggregate(WEIGHTED, events, AUGUST)[0].units == Decimal(6)


def test_recurring_level_is_carried_over():
    """A level of 1000 reached before the period and no change: 1000, total 1000."""
    recipe = metric("weighted_sum_agg", recurring=True)
    period = month_period(2023, 8, started_at=None)
    events = [event("m", utc(2023, 7, 3), {"value": 1000})]
    result, _ = aggregate(recipe, events, period)
    assert (result.units, result.total_aggregated_units) == (Decimal(1000), Decimal(1000))


def test_first_partial_period_is_weighted_over_the_whole_month():
    """Started March 5 with 2500: 2500 × 27/31 = 2177.41935483870967741936 (rounded up)."""
    recipe = metric("weighted_sum_agg", recurring=True)
    period = month_period(2023, 3, started_at=utc(2023, 3, 5))
    events = [event("m", utc(2023, 3, 5), {"value": 2500})]
    result, _ = aggregate(recipe, events, period)
    assert result.units == Decimal("2177.41935483870967741936")
    assert round_places(result.units, 2) == Decimal("2177.42")


def test_recurring_second_month():
    """April: 2500 carried, −2000 on the 4th, −200 on the 6th → 533.33…, end level 300."""
    recipe = metric("weighted_sum_agg", recurring=True)
    period = month_period(2023, 4, started_at=None)
    period = period.model_copy(update={"started_at": utc(2023, 3, 5)})
    events = [
        event("m", utc(2023, 3, 5), {"value": 2500}),
        event("m", utc(2023, 4, 4), {"value": -2000}),
        event("m", utc(2023, 4, 6), {"value": -200}),
    ]
    result, _ = aggregate(recipe, events, period)
    assert round_places(result.units, 2) == Decimal("533.33")
    assert result.total_aggregated_units == Decimal(300)


def test_events_before_the_start_are_not_carried():
    """A change before started_at is not part of the first period's initial level."""
    recipe = metric("weighted_sum_agg", recurring=True)
    period = month_period(2023, 3, started_at=utc(2023, 3, 5))
    events = [event("m", utc(2023, 2, 1), {"value": 100})]
    assert aggregate(recipe, events, period)[0].units == Decimal(0)
