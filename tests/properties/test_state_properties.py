"""UsageState's saved form: what to_json writes, from_json reads back as the same state."""

from __future__ import annotations

import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.properties.strategies import cases
from usage_engine import UsageState

# Each example builds, saves, reloads and prices a whole plan: a third of the profile's examples.
EXAMPLES = settings(max_examples=max(10, settings().max_examples // 3))


@EXAMPLES
@given(case=cases(), data=st.data())
def test_a_saved_state_reads_back_as_the_same_state(case, data):
    """to_json then from_json (and pickle) give the same usage and the same JSON, also for a
    state merged from parts with re-sent events, and reloaded states keep merging alike."""
    events = list(case.events)
    if events:
        resent = data.draw(st.lists(st.sampled_from(events), max_size=3))
        events += [dict(event) for event in resent]
    cut = data.draw(st.integers(0, len(events)))
    past = data.draw(st.booleans())
    parts = []
    for part in (events[:cut], events[cut:]):
        state = UsageState(case.plan, case.period, taxes=case.taxes, past=past)
        state.add(part)
        parts.append(state)
    saved = [part.to_json() for part in parts]
    merged = parts[0]
    merged.merge(parts[1])
    text = merged.to_json()
    loaded = UsageState.from_json(text)
    assert loaded.to_json() == text
    assert pickle.loads(pickle.dumps(merged)).to_json() == text
    assert loaded.current_usage() == merged.current_usage()
    assert loaded.projected_usage(now=case.now) == merged.projected_usage(now=case.now)
    if past:
        assert loaded.past_usage().canonical_json() == merged.past_usage().canonical_json()
    again = UsageState.from_json(saved[0])
    again.merge(UsageState.from_json(saved[1]))
    assert again.current_usage() == merged.current_usage()
