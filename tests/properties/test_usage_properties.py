"""Properties of projected and past usage: last-day projections, flat recurring metrics,
linear growth, and digests that follow content, not event order."""

from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tests.factories import charge, event, metric, month_period, plan, utc
from usage_engine.money import round_places
from usage_engine.past import past_usage
from usage_engine.projection import projected_usage

JUNE = month_period(2024, 6, tz="Europe/Berlin")
values = st.decimals(min_value=0, max_value=500, places=2, allow_nan=False, allow_infinity=False)
prices = st.decimals(min_value="0.01", max_value=20, places=2)
days = st.integers(min_value=1, max_value=30)


@st.composite
def usages(draw, *, recurring=False):
    """A plan with one standard sum charge and events inside June 2024 (Berlin)."""
    price = draw(prices)
    the_plan = plan(
        charge(
            "standard",
            {"amount": str(price)},
            billable_metric=metric("sum_agg", recurring=recurring),
        )
    )
    stamps = draw(st.lists(st.tuples(days, st.integers(0, 23), values), max_size=20))
    events = [
        event(
            "m",
            utc(2024, 6, day, hour) - timedelta(hours=2),
            {"value": str(value)},
            transaction_id=f"t{index}",
        )
        for index, (day, hour, value) in enumerate(stamps)
    ]
    return the_plan, events


@given(case=usages(), method=st.sampled_from(["lago", "exact"]))
def test_last_day_projection_equals_current_usage(case, method):
    """On the last day the ratio is 1: projected = current (units to 2 decimals)."""
    the_plan, events = case
    usage = projected_usage(the_plan, events, JUNE, now="2024-06-30T12:00:00Z", method=method)
    for line in usage.charges_usage:
        assert line.projected_units == round_places(line.units, 2)
        assert line.projected_amount_cents == line.amount_cents
    assert usage.projected_amount_cents == usage.amount_cents


@given(case=usages(recurring=True), day=days, method=st.sampled_from(["lago", "exact"]))
def test_recurring_metrics_project_to_their_current_value(case, day, method):
    """A recurring metric is held flat at any point of the period."""
    the_plan, events = case
    now = utc(2024, 6, day, 12)
    usage = projected_usage(the_plan, events, JUNE, now=now, method=method)
    for line in usage.charges_usage:
        assert (line.projected_units, line.projected_amount_cents) == (
            line.units,
            line.amount_cents,
        )


@given(per_day=st.integers(1, 20), today=st.integers(3, 29), price=prices)
def test_linear_growth_projects_to_the_final_usage(per_day, today, price):
    """Usage growing by the same amount every day projects to the month's final usage."""
    the_plan = plan(charge("standard", {"amount": str(price)}, billable_metric=metric("sum_agg")))
    events = [
        event("m", utc(2024, 6, day) - timedelta(hours=2), {"value": per_day})
        for day in range(1, today + 1)
    ]
    now = utc(2024, 6, today, 12)
    usage = projected_usage(the_plan, events, JUNE, now=now)
    line = usage.charges_usage[0]
    final = Decimal(per_day * 30)
    assert abs(line.projected_units - final) <= Decimal("0.01")
    assert abs(line.projected_amount_cents - int(final * price * 100)) <= int(price * 100) + 1


@given(case=usages(), data=st.data())
def test_digest_ignores_order_and_duplicates(case, data):
    """Permuting events and re-sending some leaves the digest unchanged."""
    the_plan, events = case
    resent = data.draw(st.lists(st.sampled_from(events), max_size=5)) if events else []
    shuffled = data.draw(st.permutations(events + resent))
    # Re-sent copies must come after their original to be dropped as duplicates.
    first = {}
    for item in shuffled:
        first.setdefault(item["transaction_id"], item)
    assert past_usage(the_plan, list(first.values()), JUNE).digest == (
        past_usage(the_plan, events, JUNE).digest
    )
    assert past_usage(the_plan, events + resent, JUNE).digest == (
        past_usage(the_plan, events, JUNE).digest
    )


@given(case=usages(), index=st.integers(0, 19))
def test_digest_changes_when_an_amount_changes(case, index):
    """One more unit on any event changes the amount, and so the digest."""
    the_plan, events = case
    if not events:
        events = [event("m", utc(2024, 6, 5), {"value": "1"}, transaction_id="t0")]
    target = events[index % len(events)]
    bumped = dict(target, properties={"value": str(Decimal(target["properties"]["value"]) + 1)})
    changed = [bumped if item is target else item for item in events]
    before, after = past_usage(the_plan, events, JUNE), past_usage(the_plan, changed, JUNE)
    assert after.amount_cents != before.amount_cents
    assert after.digest != before.digest
