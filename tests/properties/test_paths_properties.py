"""The batch, incremental and single-subscription paths give identical usage."""

import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.showcase import NOW, showcase_events, showcase_plan
from usage_engine import UsageState, billing_period, current_usage, rate_subscriptions

PLAN = showcase_plan()
SUBSCRIPTIONS = [
    {
        "external_id": "sub_1",
        "plan": PLAN,
        "subscription_at": "2025-01-01T00:00:00Z",
        "timezone": "Europe/Paris",
    },
    {
        "external_id": "sub_2",
        "plan": PLAN,
        "subscription_at": "2025-03-17T08:00:00Z",
        "billing_time": "anniversary",
        "timezone": "America/New_York",
    },
    {"external_id": "sub_3", "plan": PLAN, "subscription_at": "2025-07-04T00:00:00Z"},
]
PERIODS = {sub["external_id"]: billing_period(sub, NOW) for sub in SUBSCRIPTIONS}
EVENTS = showcase_events()


@st.composite
def streams(draw):
    """Showcase events spread over the three subscriptions (and one unknown), with re-sends."""
    chosen = draw(st.lists(st.sampled_from(EVENTS), max_size=60, unique_by=id))
    owners = draw(
        st.lists(
            st.sampled_from(["sub_1", "sub_2", "sub_3", "other"]),
            min_size=len(chosen),
            max_size=len(chosen),
        )
    )
    stream = [
        dict(event, external_subscription_id=owner)
        for event, owner in zip(chosen, owners, strict=True)
    ]
    resent = draw(st.lists(st.sampled_from(stream), max_size=5)) if stream else []
    return draw(st.permutations(stream + resent))


@settings(max_examples=30, deadline=None)
@given(stream=streams(), data=st.data())
def test_batch_incremental_and_single_paths_agree(stream, data):
    """rate_subscriptions, UsageState (chunked, merged, pickled) and current_usage agree."""
    batch = rate_subscriptions(SUBSCRIPTIONS, stream, now=NOW)
    for sub in SUBSCRIPTIONS:
        sid = sub["external_id"]
        single = current_usage(PLAN, stream, PERIODS[sid], now=NOW)
        cut = data.draw(st.integers(0, len(stream)))
        left, right = UsageState(PLAN, PERIODS[sid]), UsageState(PLAN, PERIODS[sid])
        left.add(stream[:cut])
        right.add(stream[cut:])
        left = pickle.loads(pickle.dumps(left))
        left.merge(right)
        assert batch[sid] == single
        assert left.current_usage() == single
