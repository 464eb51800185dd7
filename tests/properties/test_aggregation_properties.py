"""Properties every aggregation keeps: order does not matter, duplicates change nothing,
splitting a stream and merging the states gives the single-pass result."""

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import SUBSCRIPTION, month_period
from usage_engine._time import micros
from usage_engine.aggregate import aggregate
from usage_engine.aggregation import AGGREGATORS, Options, Window
from usage_engine.models import AggregationType

PERIOD = month_period(2024, 2, tz="Europe/Berlin")
WINDOW = Window.of(PERIOD)
START = micros(PERIOD.charges_from_datetime)
SPAN = micros(PERIOD.charges_to_datetime) - START

# (aggregation type, options) pairs covering every state and every unit rule.
CASES = [
    (AggregationType.COUNT_AGG, Options()),
    (AggregationType.SUM_AGG, Options()),
    (AggregationType.SUM_AGG, Options(recurring=True)),
    (AggregationType.SUM_AGG, Options(recurring=True, prorated=True, keep_events=True)),
    (AggregationType.SUM_AGG, Options(pay_in_advance=True)),
    (AggregationType.SUM_AGG, Options(recurring=True, prorated=True, pay_in_advance=True)),
    (AggregationType.SUM_AGG, Options(keep_events=True, precise_amounts=True)),
    (AggregationType.MAX_AGG, Options()),
    (AggregationType.LATEST_AGG, Options()),
    (AggregationType.UNIQUE_COUNT_AGG, Options()),
    (AggregationType.UNIQUE_COUNT_AGG, Options(recurring=True)),
    (AggregationType.UNIQUE_COUNT_AGG, Options(recurring=True, prorated=True, keep_events=True)),
    (AggregationType.UNIQUE_COUNT_AGG, Options(pay_in_advance=True)),
    (
        AggregationType.UNIQUE_COUNT_AGG,
        Options(recurring=True, prorated=True, pay_in_advance=True),
    ),
    (AggregationType.WEIGHTED_SUM_AGG, Options()),
    (AggregationType.WEIGHTED_SUM_AGG, Options(recurring=True)),
]
CASE_IDS = [f"{kind.value} {options}" for kind, options in CASES]

instants = st.integers(min_value=START - SPAN, max_value=START + SPAN + 86_400_000_000)
numbers = st.one_of(
    st.integers(min_value=-50, max_value=100),
    st.decimals(min_value=-50, max_value=100, places=2, allow_nan=False, allow_infinity=False),
)


def values_for(kind):
    """The value a state of ``kind`` reads from one event."""
    if kind is AggregationType.COUNT_AGG:
        return st.just(True)
    if kind is AggregationType.UNIQUE_COUNT_AGG:
        return st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.booleans())
    return numbers


@st.composite
def streams(draw, kind):
    """Events as (ts, transaction_id, value, precise cents) with unique transaction ids."""
    size = draw(st.integers(min_value=0, max_value=25))
    ts = draw(st.lists(instants, min_size=size, max_size=size))
    # A few shared instants exercise the tie-breaking.
    if size > 2 and draw(st.booleans()):
        ts[1] = ts[0]
    values = draw(st.lists(values_for(kind), min_size=size, max_size=size))
    return [
        (t, f"tx{index}", value, Decimal(index))
        for index, (t, value) in enumerate(zip(ts, values, strict=True))
    ]


def single_pass(kind, options, events):
    state = AGGREGATORS[kind](WINDOW, options)
    for ts, key, value, amount in events:
        state.add(ts, key, value, amount if options.precise_amounts else None)
    return state.result()


@pytest.mark.parametrize(("kind", "options"), CASES, ids=CASE_IDS)
@given(data=st.data())
def test_split_anywhere_then_merge_equals_single_pass(kind, options, data):
    """Any split of the stream, aggregated apart and merged in any order, is exact."""
    events = data.draw(streams(kind))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(events)), max_size=4)))
    parts = [events[a:b] for a, b in zip([0, *cuts], [*cuts, len(events)], strict=True)]
    order = data.draw(st.permutations(range(len(parts))))
    states = []
    for index in order:
        state = AGGREGATORS[kind](WINDOW, options)
        for ts, key, value, amount in parts[index]:
            state.add(ts, key, value, amount if options.precise_amounts else None)
        states.append(state)
    merged = states[0]
    for other in states[1:]:
        merged.merge(other)
    assert merged.result() == single_pass(kind, options, events)


@pytest.mark.parametrize(("kind", "options"), CASES, ids=CASE_IDS)
@given(data=st.data())
def test_order_of_events_does_not_matter(kind, options, data):
    """A permutation of the events gives the same aggregation."""
    events = data.draw(streams(kind))
    shuffled = data.draw(st.permutations(events))
    assert single_pass(kind, options, shuffled) == single_pass(kind, options, events)


def _metric(kind, options):
    data = {"code": "m", "aggregation_type": kind.value, "recurring": options.recurring}
    if kind is not AggregationType.COUNT_AGG:
        data["field_name"] = "value"
    return data


def _as_mapping(kind, ts, key, value):
    properties = {}
    if kind is AggregationType.UNIQUE_COUNT_AGG:
        properties = {"value": value[0], "operation_type": "add" if value[1] else "remove"}
    elif kind is not AggregationType.COUNT_AGG:
        properties = {"value": str(value)}
    stamp = (PERIOD.charges_from_datetime + timedelta(microseconds=ts - START)).isoformat()
    return {
        "transaction_id": key,
        "external_subscription_id": SUBSCRIPTION,
        "code": "m",
        "timestamp": stamp,
        "properties": properties,
    }


@pytest.mark.parametrize(("kind", "options"), CASES, ids=CASE_IDS)
@given(data=st.data())
def test_exact_duplicates_change_nothing(kind, options, data):
    """Re-sending any events (same transaction_id and content) changes no result."""
    events = [_as_mapping(kind, ts, key, value) for ts, key, value, _ in data.draw(streams(kind))]
    extra = data.draw(st.lists(st.sampled_from(events), max_size=5)) if events else []
    resent = data.draw(st.permutations(events + extra))
    # The first occurrence wins: permuting exact copies keeps the same content.
    metric = _metric(kind, options)
    base, _ = aggregate(metric, events, PERIOD, options=options)
    again, _ = aggregate(metric, resent, PERIOD, options=options)
    assert again == base


@pytest.mark.parametrize(("kind", "options"), CASES, ids=CASE_IDS)
@given(data=st.data())
def test_retract_undoes_add(kind, options, data):
    """Adding extra events and taking them back out gives the result without them."""
    options = _retractable(options)
    events = data.draw(streams(kind))
    extra = [(ts, f"x{key}", value, amount) for ts, key, value, amount in data.draw(streams(kind))]
    state = AGGREGATORS[kind](WINDOW, options)
    for ts, key, value, amount in data.draw(st.permutations(events + extra)):
        state.add(ts, key, value, amount if options.precise_amounts else None)
    for ts, key, value, amount in extra:
        state.retract(ts, key, value, amount if options.precise_amounts else None)
    assert state.result() == single_pass(kind, options, events)


def _retractable(options):
    from dataclasses import replace

    return replace(options, retractable=True)
