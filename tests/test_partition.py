"""The scale-out core: any cut into partitions gives the digest of one process."""

from __future__ import annotations

import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import charge, event, metric, plan, utc
from tests.showcase import showcase_events, showcase_plan
from usage_engine import (
    InvalidInput,
    UsageState,
    current_usage,
    past_usage,
    projected_usage,
)
from usage_engine.aggregation import Window
from usage_engine.models import Event
from usage_engine.partition import (
    Job,
    bucket_key,
    finish_partials,
    new_state,
    period_digest,
    piece_of,
    plan_job,
    rate_job,
    rate_partition,
    subscription_of,
    transaction_of,
    usage_digest,
)
from usage_engine.rating import Rating, View, consume
from usage_engine.selection import Rejections
from usage_engine.usage import _usage_of

SUBS = ("sub_a", "sub_b", "sub_c", "sub_d")
PLAN = showcase_plan()
SUBSCRIPTIONS = [
    {
        "external_id": sub,
        "subscription_at": "2024-01-01T00:00:00Z",
        "timezone": "Europe/Paris",
        "plan": PLAN,
    }
    for sub in SUBS
]
CURRENT_AT = "2025-07-12T10:00:00Z"
PAST_AT = "2025-08-03T00:00:00Z"
TAXES = [{"code": "vat", "name": "VAT", "rate": "20"}]

# Every showcase event, once per subscription (sub_d has none: it must still get its usage).
POOL = [
    item | {"external_subscription_id": sub, "transaction_id": f"{sub}-{index}"}
    for sub in SUBS[:3]
    for index, item in enumerate(showcase_events())
]
ALTERED = {"hours": 7, "amount": "3", "count": 5, "value": 9, "units": 2, "gb": 1, "user": "cy"}


@st.composite
def streams(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Events of three subscriptions in any order, with re-sent copies (some altered)."""
    stream = list(draw(st.lists(st.sampled_from(POOL), max_size=60)))
    resends = draw(
        st.lists(st.tuples(st.integers(0, 999), st.integers(0, 999), st.booleans()), max_size=8)
    )
    for source, target, altered in resends:
        if not stream:
            break
        copy = dict(stream[source % len(stream)])
        if altered:
            copy["properties"] = {**copy["properties"], **ALTERED}
        stream.insert(target % (len(stream) + 1), copy)
    return stream


def reference(stream: list[dict[str, Any]], job: Job) -> dict[str, str]:
    """Each subscription's digest from the one-process library functions."""
    found = {}
    for sub, (the_plan, period) in job.periods.items():
        if job.kind == "current":
            usage = current_usage(the_plan, stream, period, taxes=TAXES)
        elif job.kind == "projected":
            usage = projected_usage(the_plan, stream, period, taxes=TAXES, now=job.now)
        else:
            usage = past_usage(the_plan, stream, period, taxes=TAXES)
        found[sub] = usage_digest(usage)
    return found


def in_pieces(
    stream: list[dict[str, Any]],
    job: Job,
    partitions: int,
    heavy: dict[str, int],
    rnd: random.Random,
) -> dict[str, str]:
    """The run a cluster makes: bucket by (subscription, piece), rate partitions in any order,
    merge the pieces of split subscriptions in any order."""
    buckets: list[list[tuple[Any, Any]]] = [[] for _ in range(partitions)]
    for position, item in enumerate(stream):
        sub = item["external_subscription_id"]
        piece = piece_of(sub, item["transaction_id"], heavy.get(sub, 1))
        buckets[bucket_key(sub, partitions, piece=piece)].append(((0, position), item))
    owners: dict[int, list[str]] = defaultdict(list)
    for sub in job.periods:
        if sub not in heavy:
            owners[bucket_key(sub, partitions)].append(sub)
    order = list(range(partitions))
    rnd.shuffle(order)
    digests: dict[str, str] = {}
    partials = defaultdict(list)
    for index in order:
        rnd.shuffle(buckets[index])
        result = rate_partition(buckets[index], job, split=heavy, owned=owners[index])
        for sub, usage in result.whole:
            assert sub not in digests
            digests[sub] = usage_digest(usage)
        for sub, state in result.partials:
            partials[sub].append(state)
    for sub in heavy:
        states = partials[sub]
        rnd.shuffle(states)
        digests[sub] = usage_digest(finish_partials(sub, states, job))
    return digests


@pytest.mark.parametrize(
    ("kind", "at"), [("current", CURRENT_AT), ("projected", CURRENT_AT), ("past", PAST_AT)]
)
@given(
    stream=streams(),
    partitions=st.integers(1, 8),
    heavy=st.dictionaries(st.sampled_from(SUBS), st.integers(1, 4), max_size=3),
    seed=st.integers(0, 2**32),
)
def test_any_cut_into_partitions_gives_the_digest_of_one_process(
    kind: Any,
    at: str,
    stream: list[dict[str, Any]],
    partitions: int,
    heavy: dict[str, int],
    seed: int,
) -> None:
    job = plan_job(SUBSCRIPTIONS, at=at, kind=kind, taxes=TAXES)
    expected = reference(stream, job)
    found = in_pieces(stream, job, partitions, heavy, random.Random(seed))
    assert found == expected
    assert period_digest(found) == period_digest(expected)
    single = {sub: usage_digest(usage) for sub, usage in rate_job(stream, job).items()}
    assert single == expected


def test_the_first_copy_ingested_wins_whatever_the_order_within_a_partition() -> None:
    first = event("payments", utc(2025, 7, 2), {"amount": "10"}, transaction_id="t")
    first["external_subscription_id"] = "sub_a"
    later = first | {"properties": {"amount": "99"}}
    job = plan_job(SUBSCRIPTIONS[:1], at=CURRENT_AT)
    result = rate_partition([((1, 0), later), ((0, 5), first)], job)
    [(sub, usage)] = result.whole
    payments = next(c for c in usage.charges_usage if c.billable_metric.code == "payments")
    assert (sub, payments.units) == ("sub_a", Decimal(10))


def test_naive_dedup_per_input_file_then_merge_counts_resent_events_twice() -> None:
    """The wrong way: fold each input file apart (dedup inside it only), then merge states."""
    calls = plan(
        charge("standard", {"amount": "1"}, billable_metric=metric("count_agg", code="calls"))
    )
    sub = {"external_id": "sub_1", "subscription_at": "2024-01-01T00:00:00Z", "plan": calls}
    job = plan_job([sub], at="2024-03-15T00:00:00Z")
    the_plan, period = job.periods["sub_1"]
    sent = [event("calls", utc(2024, 3, 2), transaction_id=f"t{i}") for i in range(3)]
    files = [sent, [sent[2]]]  # t2 is re-sent in the second file
    ratings = []
    for part in files:
        rating = Rating(the_plan, [View(Window.of(period))], Rejections())
        consume(part, {"sub_1": rating}, rating.rejections)
        ratings.append(rating)
    for mine, theirs in zip(ratings[0].raters, ratings[1].raters, strict=True):
        mine.merge(theirs)
    naive = _usage_of(the_plan, period, ratings[0].results()[0], (), Rejections().report())
    right = rate_job(files[0] + files[1], job)["sub_1"]
    assert (naive.amount_cents, right.amount_cents) == (400, 300)
    assert usage_digest(naive) != usage_digest(right)


def test_bucket_keys_are_stable_numbers() -> None:
    assert [bucket_key(f"sub_{i}", 7) for i in range(5)] == [2, 3, 3, 5, 2]
    assert bucket_key("sub_1", 1) == 0
    assert bucket_key("é", 1000) == bucket_key("é", 1000)


def test_a_split_subscription_with_no_events_still_gets_its_usage() -> None:
    job = plan_job(SUBSCRIPTIONS[:1], at=PAST_AT, kind="past", taxes=TAXES)
    usage = finish_partials("sub_a", [], job)
    assert usage_digest(usage) == usage_digest(rate_job([], job)["sub_a"])
    alone = past_usage(PLAN, [], job.periods["sub_a"][1], taxes=TAXES)
    assert (usage.amount_cents, usage_digest(usage)) == (500, alone.digest)


def test_past_usage_is_read_from_a_state_built_for_it() -> None:
    job = plan_job(SUBSCRIPTIONS[:1], at=PAST_AT, kind="past")
    the_plan, period = job.periods["sub_a"]
    items = [item | {"external_subscription_id": "sub_a"} for item in showcase_events()]
    state = UsageState(the_plan, period, past=True)
    state.add(items)
    assert state.past_usage().digest == past_usage(the_plan, items, period).digest
    plain = UsageState(the_plan, period)
    with pytest.raises(InvalidInput, match="past=True") as caught:
        plain.past_usage()
    assert caught.value.path == "past"


def test_past_jobs_leave_out_subscriptions_with_no_closed_period() -> None:
    young = SUBSCRIPTIONS[0] | {"external_id": "young", "subscription_at": "2025-08-01T00:00:00Z"}
    job = plan_job([SUBSCRIPTIONS[0], young], at=PAST_AT, kind="past")
    assert (list(job.periods), job.left_out) == (["sub_a"], ("young",))
    assert job.periods["sub_a"][1].from_datetime == utc(2025, 6, 30, 22)


def test_malformed_events_name_the_position_they_were_given() -> None:
    job = plan_job(SUBSCRIPTIONS[:1], at=CURRENT_AT)
    bad = {"transaction_id": "t", "external_subscription_id": "sub_a", "code": "calls"}
    with pytest.raises(InvalidInput) as caught:
        rate_partition([((3, 17), bad)], job)
    assert caught.value.path == "events[(3, 17)] (transaction_id 't')"


def test_orphan_events_are_the_partition_s_own_rejections() -> None:
    job = plan_job(SUBSCRIPTIONS[:2], at=CURRENT_AT, invalid_events="collect")
    orphan = {"transaction_id": "t", "code": "calls", "timestamp": 1}
    result = rate_partition([((0, 0), orphan)], job, owned=["sub_a"])
    assert result.rejected.count == 1
    assert result.rejected.reasons == (
        "events[(0, 0)] (transaction_id 't'): external_subscription_id is required",
    )
    [(_, usage)] = result.whole
    assert usage.rejected_events.count == 0


@pytest.mark.parametrize(
    ("call", "path", "value"),
    [
        (lambda: plan_job(SUBSCRIPTIONS, at=CURRENT_AT, kind="future"), "kind", "future"),
        (lambda: plan_job(SUBSCRIPTIONS, at="soon"), "at", "soon"),
        (lambda: plan_job(SUBSCRIPTIONS, at=CURRENT_AT, method="guess"), "method", "guess"),
        (lambda: rate_partition([], {"kind": "current"}), "job", "dict"),  # type: ignore[arg-type]
        (
            lambda: rate_partition([("x", "y", "z")], plan_job([], at=CURRENT_AT)),
            "events[0]",
            "tuple",
        ),
        (lambda: rate_partition({"a": 1}, plan_job([], at=CURRENT_AT)), "events", "dict"),
        (lambda: period_digest([("a", "1"), ("a", "2")]), "digests", "a"),
        (
            lambda: finish_partials("nobody", [], plan_job([], at=CURRENT_AT)),
            "subscription",
            "nobody",
        ),
    ],
)
def test_bad_input_is_invalid_input(call: Any, path: str, value: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        call()
    assert (caught.value.path, caught.value.value) == (path, value)


def test_positions_that_cannot_be_compared_are_invalid_input() -> None:
    job = plan_job(SUBSCRIPTIONS[:1], at=CURRENT_AT)
    with pytest.raises(InvalidInput, match="comparable") as caught:
        rate_partition([((0, 1), {}), ("x", {})], job)
    assert caught.value.path == "events"


def test_merging_partials_leaves_them_unchanged() -> None:
    job = plan_job(SUBSCRIPTIONS[:1], at=CURRENT_AT)
    first, second = new_state("sub_a", job), new_state("sub_a", job)
    first.add([POOL[4]])  # payments, amount 10 on 2025-07-01
    second.add([POOL[12]])  # payments, amount 20 on 2025-07-02
    once = finish_partials("sub_a", [first, second], job)
    again = finish_partials("sub_a", [first, second], job)
    assert once == again
    assert (first.events_count, second.events_count) == (1, 1)


def test_period_digests_cannot_be_confused_by_tabs_and_line_breaks() -> None:
    assert period_digest({"a": "X\nb\tY"}) != period_digest({"a": "X", "b": "Y"})
    assert period_digest({"a\t1": "X", "a\t2": "Y"}) != period_digest({"a\t1": "Y", "a\t2": "X"})


def test_event_models_name_their_subscription_and_transaction() -> None:
    model = Event(
        transaction_id="t", external_subscription_id="s", code="c", timestamp=1, properties={}
    )
    assert (subscription_of(model), transaction_of(model)) == ("s", "t")
    assert (subscription_of({"external_subscription_id": ["s"]}), transaction_of({})) == (None, "")


@pytest.mark.parametrize("name", ["split", "owned"])
def test_a_single_string_is_not_a_collection_of_subscriptions(name: str) -> None:
    job = plan_job(SUBSCRIPTIONS[:1], at=CURRENT_AT)
    with pytest.raises(InvalidInput) as caught:
        rate_partition([], job, **{name: "sub_a"})
    assert (caught.value.path, caught.value.value) == (name, "sub_a")


def test_a_subscription_terminated_before_at_is_named_under_at() -> None:
    ended = SUBSCRIPTIONS[0] | {"terminated_at": "2025-03-01T00:00:00Z"}
    with pytest.raises(InvalidInput) as caught:
        plan_job([ended], at=CURRENT_AT)
    assert caught.value.path == "at (subscriptions[0] 'sub_a')"
