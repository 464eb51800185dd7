"""UsageState: incremental, mergeable, picklable usage that agrees with the pure functions."""

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import event, utc
from tests.showcase import NOW, PERIOD, showcase_events, showcase_plan
from usage_engine import InvalidInput, current_usage, projected_usage
from usage_engine.state import UsageState

EVENTS = showcase_events()


def _state(events):
    state = UsageState(showcase_plan(), PERIOD)
    state.add(events)
    return state


def test_state_gives_the_same_usage_as_the_functions():
    """current and projected usage of a state equal the pure functions' on the same events."""
    state = _state(EVENTS)
    assert state.current_usage() == current_usage(showcase_plan(), EVENTS, PERIOD)
    for method in ("lago", "exact"):
        assert state.projected_usage(now=NOW, method=method) == projected_usage(
            showcase_plan(), EVENTS, PERIOD, now=NOW, method=method
        )


def test_adding_in_chunks_equals_one_pass():
    """Events added in several calls give the one-pass result, and usage reads in between."""
    state = UsageState(showcase_plan(), PERIOD)
    for start in range(0, len(EVENTS), 17):
        state.add(EVENTS[start : start + 17])
        state.current_usage()
    assert state.current_usage() == current_usage(showcase_plan(), EVENTS, PERIOD)


def test_only_changed_charges_are_priced_again():
    """A new event of one charge leaves the other charges' priced results in place."""
    state = _state(EVENTS)
    state.projected_usage(now=NOW, method="lago")
    state.projected_usage(now=NOW, method="exact")
    before = dict(state._priced)
    state.add([event("calls", utc(2025, 7, 20))])
    changed = [position for position in before if position not in state._priced]
    count = len(state.plan.charges)
    # The pay-in-advance seats charge makes the plain projection basis differ from the period:
    # two sets of raters, the Lago basis sharing the exact one (no first partial period).
    assert state._slot == [0, 1, 1]
    assert len(before) == 2 * count
    assert [state.plan.charges[p % count].code for p in changed] == ["calls", "calls"]


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_split_anywhere_with_duplicates_then_merge_equals_one_pass(data):
    """Parts of a stream, with copies re-sent across them, merge to the one-pass result."""
    stream = list(EVENTS)
    resent = data.draw(st.lists(st.sampled_from(stream), max_size=6))
    for copy in resent:
        stream.insert(data.draw(st.integers(0, len(stream))), copy)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=4)))
    parts = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    merged = _state(parts[0])
    for part in parts[1:]:
        merged.merge(_state(part))
    assert merged.current_usage() == current_usage(showcase_plan(), stream, PERIOD)
    assert merged.projected_usage(now=NOW) == projected_usage(
        showcase_plan(), stream, PERIOD, now=NOW
    )


def test_a_duplicate_with_other_content_loses_to_the_first_state():
    """The same transaction_id with another value: the earlier state's copy counts."""
    first = event("payments", utc(2025, 7, 2), {"amount": "10"}, transaction_id="dup")
    second = event("payments", utc(2025, 7, 3), {"amount": "999"}, transaction_id="dup")
    left, right = _state([first]), _state([second])
    left.merge(right)
    assert left.current_usage() == current_usage(showcase_plan(), [first, second], PERIOD)
    assert right.current_usage() == current_usage(showcase_plan(), [second], PERIOD)


def test_pickled_state_round_trips_and_keeps_going():
    """A pickled state loads equal, and adding to it matches adding to the original."""
    state = _state(EVENTS[:100])
    loaded = pickle.loads(pickle.dumps(state))
    assert loaded.current_usage() == state.current_usage()
    for each in (state, loaded):
        each.add(EVENTS[100:])
    assert loaded.current_usage() == state.current_usage()
    assert loaded.projected_usage(now=NOW) == state.projected_usage(now=NOW)


def test_unknown_pickle_format_is_refused():
    """A state of another format version does not load silently."""
    data = _state([]).__getstate__()
    data["format"] = 99
    state = UsageState.__new__(UsageState)
    with pytest.raises(InvalidInput, match="state: is format 99"):
        state.__setstate__(data)


def test_merging_states_of_other_periods_is_invalid():
    """Only states of the same plan, period and taxes merge."""
    other = UsageState(showcase_plan(), PERIOD, taxes=[{"code": "x", "rate": "1"}])
    with pytest.raises(InvalidInput, match="same plan, period and taxes"):
        _state([]).merge(other)
