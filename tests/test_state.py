"""UsageState: incremental, mergeable, picklable usage that agrees with the pure functions."""

import base64
import json
import pickle
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import event, utc
from tests.showcase import NOW, PERIOD, showcase_events, showcase_plan
from usage_engine import InvalidInput, current_usage, projected_usage
from usage_engine.aggregation import AGGREGATORS, READERS
from usage_engine.models import AggregationType
from usage_engine.state import UsageState

EVENTS = showcase_events()
KEY = EVENTS[1]["transaction_id"]  # a compute event, of the second filter: two raters' receipts


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


# A UsageState pickled by the previous version (format 1, a sum charge, two events), zlib'd.
FORMAT_1_PICKLE = (
    "eNqdVD1vE0EQtRPHvjjOlwkSgoKCJikS2TEpkoYCKJClK0LSIFmr9e36buFu77S3Z2IkJChACRrRZKlo6Gn4A/wd+BUIZvfsAJF"
    "AiNMVO7Ozb2fevNkXtXcPFirug3aR05ATLkMh+U6uqeYGmsfW+dAZ52brpXluNqE+SlVCtelXoZbFVDpnLUgZHqhmBmqSJrisGG"
    "jENEyJYMYHT0jN1ZjG6E1SqaN4YqBFk7SQmgRc6tz0K7A6cxRKcRlgyPz940MDKxmdECEJZWMqA27OYGMo4pgEEVUhz8kM8Qwa"
    "U5cZuLTm7OWR58OqjafDmJOEayUCuxt5MBcOTdSMlqKWD2s0DBUPqRapJHqSYQ2NvEgIupGJkeAxI6606DosKm5zFDLEO9efchF"
    "GmjNyUaQP6worYRhARoUMLCY62xfODAFEXnqb/ATNfGo1RiJGFFtBAa2yHCyQcaTOw75IRhUzUfsMloQcpyLgtixzCl6mUoWdYp"
    "jSWmLZusRuEwMyrrRAeiw57QyJsMmEmFZGnvBJbrNxFhYznKBVL0Gws11TRLcGBhY0PXH8wsb0fsJEjkKYlOz4BY26Nvc63iVS5"
    "q66xk+wJkljkhfDPFAicyxjd2AePQaWRypNCMP0tbDq2djt7N7e7vS2O92jTufA/Y8MLOn0l6Abs6Be92i3d7C3j//Ovvsw9upM"
    "Hf8GfWUW/j9XsEKVumEUSezfBM8ef5ZKhJg/PrpromUfWlaDlu8S2gtozG03cRBEnhd2h5Vj9/NSA6u/MYZz96cCmigOZVX4l5h"
    "l7AJKg07D/MK2ClawkTQWjPCx0wosKCpyTKSW0VyjnDzFH/PASmtgNvuVgeHWFXBMqpRSlZY7/ptG5fTz1y/ten/O14ZCdXh5Ax"
    "oMpZ+4l+DedHWOLHV39swrc2jsMRSPe4HKMfa3XpcPzzQ9K8KRUJgZgn54v/IWQfF9IYFTan/OGTrVCBwNYL43BYZaTN2Z73c+f"
    "fy2UYcFFK2QODmLOH6z05XSKo+j1SgnlVuoaqcEas8mjcgi4bhKFYbiA1oMd34AHRIDbw=="
)


class _Crafted:
    """Pickles as a UsageState whose saved data is ``data``: what a tampered pickle holds."""

    def __init__(self, data):
        self.data = data

    def __reduce__(self):
        return (object.__new__, (UsageState,), self.data)


def _refused(data, *, pickled=True):
    """The InvalidInput of loading ``data``, through from_data, JSON and a pickle alike."""
    errors = []
    loads = [UsageState.from_data, lambda data: UsageState.from_json(json.dumps(data))]
    if pickled:
        loads.append(lambda data: pickle.loads(pickle.dumps(_Crafted(data))))
    for load in loads:
        with pytest.raises(InvalidInput) as caught:
            load(json.loads(json.dumps(data)))
        errors.append(str(caught.value))
    assert len(set(errors)) == 1
    return errors[0]


def test_json_round_trip_gives_the_same_state_and_keeps_going():
    """to_json then from_json: same usage, same JSON, and adding more matches the original."""
    state = _state(EVENTS[:100])
    text = state.to_json()
    loaded = UsageState.from_json(text)
    assert loaded.to_json() == text
    assert loaded.current_usage() == state.current_usage()
    for each in (state, loaded):
        each.add(EVENTS[100:])
    assert loaded.current_usage() == current_usage(showcase_plan(), EVENTS, PERIOD)
    assert loaded.projected_usage(now=NOW) == state.projected_usage(now=NOW)


def test_a_pickle_of_the_previous_format_is_refused_naming_its_version():
    """A genuine format-1 pickle (private attribute names) is refused, not half-loaded."""
    with pytest.raises(InvalidInput) as caught:
        pickle.loads(zlib.decompress(base64.b64decode(FORMAT_1_PICKLE)))
    assert str(caught.value) == (
        "state: is format 1, a pickle of an earlier version of usage_engine; this version reads "
        "format 3: build the state again from its events (got 1)"
    )


def test_a_state_saved_before_the_event_account_is_refused_naming_its_version():
    """Format 2 kept no event account: refused with its version, not loaded with a wrong one."""
    data = _state(EVENTS[:10]).to_data()
    data["format"] = 2
    del data["account"], data["strict"]
    with pytest.raises(InvalidInput) as caught:
        UsageState.from_data(data)
    assert str(caught.value) == (
        "state: is format 2, from an earlier version of usage_engine without an event account; "
        "this version reads format 3: build the state again from its events (got 2)"
    )


def test_a_tampered_total_is_refused():
    """in_total set to 10**9 by hand: the recorded events do not give it."""
    data = _state(EVENTS).to_data()
    data["states"][0][2][1]["in_total"] = 10**9  # compute, second filter: a plain sum
    assert _refused(data) == (
        "state.states[0][2]: does not match the events recorded in state.receipts: its units is "
        "Decimal('1000000000'), the events give Decimal('22') (got [1, []])"
    )


def test_a_tampered_total_with_its_events_kept_is_refused():
    """A total the state's own kept events contradict is refused before any replay."""
    data = _state(EVENTS).to_data()
    data["states"][3][0][1]["in_total"] = 10**9  # payments: percentage keeps its events
    assert _refused(data) == (
        "state.states[3][0][1].in_total: does not match the state's events: expected 660 "
        "(got 1000000000)"
    )


def test_a_negative_count_is_refused():
    """in_count = -5: counts are never negative."""
    data = _state(EVENTS).to_data()
    data["states"][1][0][1]["in_count"] = -5
    assert _refused(data) == (
        "state.states[1][0][1].in_count: must be a whole number, not negative (got -5)"
    )


def test_counts_of_events_that_were_never_recorded_are_refused():
    """A count raised on a state whose receipts stay the same is refused by the replay."""
    data = _state(EVENTS).to_data()
    data["states"][2][0][1]["count"] += 1  # calls: a count
    assert _refused(data).startswith(
        "state.states[2][0]: does not match the events recorded in state.receipts: its units is "
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            lambda data: data.pop("receipts"), "state.receipts: is required", id="missing key"
        ),
        pytest.param(
            lambda data: data["rejected"].pop("count"),
            "state.rejected.count: is required",
            id="missing nested key",
        ),
        pytest.param(
            lambda data: data["states"].pop(),
            "state.states: must be a list of 16 items (got a list of 15 items)",
            id="states list too short",
        ),
        pytest.param(
            lambda data: data["states"][2][0].append(1),
            "state.states[2][0]: must be a list of 2 items (got [[None, []], {'version': 1, "
            "'count': 11}, 1])",
            id="slot pair too long",
        ),
        pytest.param(
            lambda data: data.update(past="yes"),
            "state.past: must be true or false (got 'yes')",
            id="wrong type",
        ),
        pytest.param(
            lambda data: data["receipts"][KEY][0].__setitem__(2, "noon"),
            f"state.receipts[{KEY!r}][0][2]: must be an instant in whole microseconds (got 'noon')",
            id="wrong type in a receipt",
        ),
        pytest.param(
            lambda data: data["receipts"][KEY][0].__setitem__(0, 99),
            f"state.receipts[{KEY!r}][0][0]: must be the position of a rater, 0 to 15 (got 99)",
            id="receipt of no rater",
        ),
        pytest.param(
            lambda data: data["receipts"][KEY].pop(),
            f"state.receipts[{KEY!r}]: must be one event's receipts: at 1751360400000000, the "
            "raters [0, 8] in order (got [0])",
            id="receipt missing",
        ),
        pytest.param(
            lambda data: data["states"][1][0][1].update(in_total="1e999999999"),
            "state.states[1][0][1].in_total: must be an integer or a finite decimal written as "
            "text, such as 12 or '2.50' (got '1e999999999')",
            id="number out of range",
        ),
        pytest.param(
            lambda data: data["states"][1][0][1].update(spare=1),
            "state.states[1][0][1].spare: is not a field here; the fields are version, "
            "in_total, in_count, pre_total, pre_count, prorated_numerator, precise, events "
            "(got 1)",
            id="unknown field",
        ),
        pytest.param(
            lambda data: data["states"][1][0][1].update(version=7),
            "state.states[1][0][1].version: is version 7; this version of usage_engine reads "
            "version 1 (got 7)",
            id="state of another version",
        ),
        pytest.param(
            lambda data: data["plan"].update(amount_currency="EUT"),
            "state.plan.amount_currency: ",
            id="plan",
        ),
        pytest.param(
            lambda data: data["taxes"].append({"code": "x"}),
            "state.taxes[0].rate: is required",
            id="taxes",
        ),
        pytest.param(
            lambda data: data["rejected"].update(count=3),
            "state.rejected.count: must be 0: malformed events raise in this state (got 3)",
            id="rejections in raise mode",
        ),
    ],
)
def test_malformed_saved_states_are_refused_naming_the_path(change, message):
    """Every malformed part is an InvalidInput naming its path and value, never a bare error."""
    data = _state(EVENTS).to_data()
    change(data)
    assert _refused(data).startswith(message)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(None, id="None"),
        pytest.param([1, 2], id="list"),
        pytest.param({"format": "2"}, id="format as text"),
        pytest.param({"format": True}, id="format as bool"),
    ],
)
def test_what_is_not_a_saved_state_is_refused(data):
    """Not a mapping, or of no known format: refused on the root path."""
    assert _refused(data, pickled=data is not None).startswith("state: ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("[1, 2", "state: is not JSON", id="broken JSON"),
        pytest.param("[" * 100_000, "state: is not", id="nested too deep"),
        pytest.param("1" * 5000, "state: is not a state's JSON: a number too long", id="long"),
        pytest.param(b'{"format": 3}', "state.plan: is required", id="bytes"),
    ],
)
def test_text_that_is_not_a_saved_state_is_refused(text, message):
    """from_json refuses what json cannot read with InvalidInput, never a bare ValueError."""
    with pytest.raises(InvalidInput) as caught:
        UsageState.from_json(text)
    assert str(caught.value).startswith(message)


def test_a_collecting_state_keeps_its_rejections_through_json():
    """The count and first reasons of malformed events survive a save and a load."""
    state = UsageState(showcase_plan(), PERIOD, invalid_events="collect")
    state.add([*EVENTS[:10], {"transaction_id": "bad"}, 42])
    loaded = UsageState.from_json(state.to_json())
    assert loaded.rejected_events == state.rejected_events
    assert loaded.rejected_events.count == 2


def test_every_aggregation_type_has_a_reader():
    """Each aggregation type's state can be read back from its plain data."""
    assert set(READERS) == set(AggregationType) == set(AGGREGATORS)
