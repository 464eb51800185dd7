"""The scale-out core: any cut into partitions gives the digest of one process."""

from __future__ import annotations

import pickle
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import charge, event, metric, plan, utc
from tests.showcase import showcase_events, showcase_plan
from usage_engine import (
    EventAccount,
    InvalidInput,
    UsageState,
    current_usage,
    past_usage,
    projected_usage,
    rate_subscriptions,
)
from usage_engine.aggregation import Window
from usage_engine.models import Event
from usage_engine.partition import (
    Job,
    bucket_key,
    finish_partials,
    finish_split,
    merge_partials,
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
from usage_engine.usage import usage_of

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
    accounts: list[EventAccount] | None = None,
) -> dict[str, str]:
    """The run a cluster makes: bucket by (subscription, piece), rate partitions in any order,
    merge the pieces of split subscriptions in any order (each partition's event account
    appended to ``accounts``)."""
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
        if accounts is not None:
            accounts.append(result.account)
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
    accounts: list[EventAccount] = []
    found = in_pieces(stream, job, partitions, heavy, random.Random(seed), accounts)
    assert found == expected
    assert period_digest(found) == period_digest(expected)
    alone = rate_job(stream, job)
    single = {sub: usage_digest(usage) for sub, usage in alone.items()}
    assert single == expected
    # The partitions' event accounts add up to the one process account, in any cut.
    assert sum(accounts, EventAccount()) == alone.event_account
    if kind == "current":
        batch = rate_subscriptions(SUBSCRIPTIONS, stream, now=job.now, taxes=TAXES)
        assert batch.event_account == alone.event_account


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
    naive = usage_of(the_plan, period, ratings[0].results()[0], (), ratings[0].report())
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


# --- one subscription too large to price fails alone in collect mode ----------------------

M = {"code": "m", "aggregation_type": "sum_agg", "field_name": "v"}
SUM_PLAN = {
    "code": "p",
    "interval": "monthly",
    "amount_currency": "EUR",
    "charges": [{"charge_model": "standard", "properties": {"amount": "1"}, "billable_metric": M}],
}
AT = "2025-03-10T00:00:00Z"
SPOILER = "1" + "0" * 70
TOO_LARGE_B = (
    "plan.charges[0]: its amount is too large to compute exactly (more than 60 digits) "
    "(subscription 'attacker', largest value in event transaction_id 'b')"
)


def sub(external_id: str) -> dict[str, Any]:
    return {"external_id": external_id, "subscription_at": "2025-01-01T00:00:00Z", "plan": SUM_PLAN}


def e(key: str, value: Any, subscription: str) -> dict[str, Any]:
    return {
        "transaction_id": key,
        "external_subscription_id": subscription,
        "code": "m",
        "timestamp": "2025-03-05T10:00:00Z",
        "properties": {"v": value},
    }


VICTIM_AND_ATTACKER = [e("a", 5, "victim"), e("b", SPOILER, "attacker")]


def two_subscriptions(mode: Any = "collect", kind: Any = "current") -> Job:
    return plan_job([sub("victim"), sub("attacker")], at=AT, kind=kind, invalid_events=mode)


def cents(pairs: Any) -> dict[str, int]:
    return {name: usage.amount_cents for name, usage in dict(pairs).items()}


@pytest.mark.parametrize("kind", ["current", "projected"])
def test_rate_job_collects_a_subscription_too_large_to_price(kind: Any) -> None:
    usages = rate_job(VICTIM_AND_ATTACKER, two_subscriptions(kind=kind))
    assert cents(usages) == {"victim": 500}
    assert list(usages.failed) == ["attacker"]
    assert str(usages.failed["attacker"]).startswith(TOO_LARGE_B)
    with pytest.raises(InvalidInput) as raised:
        rate_job(VICTIM_AND_ATTACKER, two_subscriptions("raise", kind))
    assert str(raised.value).startswith(TOO_LARGE_B)


def test_rate_job_agrees_with_rate_subscriptions_on_who_failed() -> None:
    job = two_subscriptions()
    alone = rate_subscriptions(
        [sub("victim"), sub("attacker")], VICTIM_AND_ATTACKER, now=AT, invalid_events="collect"
    )
    found = rate_job(VICTIM_AND_ATTACKER, job)
    assert {k: usage_digest(u) for k, u in found.items()} == {
        k: usage_digest(u) for k, u in alone.items()
    }
    assert {k: str(v) for k, v in found.failed.items()} == {
        k: str(v) for k, v in alone.failed.items()
    }


def test_a_whole_subscription_too_large_to_price_fails_alone_in_its_partition() -> None:
    pairs = [((0, index), item) for index, item in enumerate(VICTIM_AND_ATTACKER)]
    result = rate_partition(pairs, two_subscriptions())
    assert cents(result.whole) == {"victim": 500}
    [(name, error)] = result.failed
    assert name == "attacker"
    assert str(error).startswith(TOO_LARGE_B)
    assert error.path == "plan.charges[0]"
    with pytest.raises(InvalidInput) as raised:
        rate_partition(pairs, two_subscriptions("raise"))
    assert str(raised.value).startswith(TOO_LARGE_B)


def split_across_two_partitions(job: Job) -> list[Any]:
    """The attacker's events cut into two pieces rated in two partitions, the huge one in the
    second piece; the victim whole in the first. Every partition's result, in order."""
    attacker = [e("b", SPOILER, "attacker"), e("c", 1, "attacker"), e("d", 2, "attacker")]
    pieces = {piece_of("attacker", item["transaction_id"], 2) for item in attacker}
    assert pieces == {0, 1}  # both pieces hold events
    parts: list[list[tuple[Any, Any]]] = [[((0, 0), e("a", 5, "victim"))], []]
    for row, item in enumerate(attacker, start=1):
        parts[piece_of("attacker", item["transaction_id"], 2)].append(((0, row), item))
    return [rate_partition(part, job, split={"attacker"}) for part in parts]


def test_a_split_subscription_too_large_to_price_fails_alone_when_its_pieces_merge() -> None:
    job = two_subscriptions()
    results = split_across_two_partitions(job)
    assert [cents(result.whole) for result in results] == [{"victim": 500}, {}]
    assert [result.failed for result in results] == [[], []]  # pieces are not priced
    partials = [pair for result in results for pair in reversed(result.partials)]
    assert len(partials) == 2
    merged = finish_split(partials, job, split={"attacker"})
    assert merged.whole == []
    [(name, error)] = merged.failed
    assert name == "attacker"
    assert str(error).startswith(TOO_LARGE_B)
    # Alone, the subscription's own function raises whatever the mode, naming the event.
    with pytest.raises(InvalidInput) as raised:
        finish_partials("attacker", [state for _, state in partials], job)
    assert str(raised.value).startswith(TOO_LARGE_B)


def test_a_split_subscription_too_large_to_price_raises_in_raise_mode() -> None:
    job = two_subscriptions("raise")
    results = split_across_two_partitions(job)
    partials = [pair for result in results for pair in result.partials]
    with pytest.raises(InvalidInput) as raised:
        finish_split(partials, job, split={"attacker"})
    assert str(raised.value).startswith(TOO_LARGE_B)


@pytest.mark.parametrize(
    "reload",
    [
        lambda state: pickle.loads(pickle.dumps(state)),
        lambda state: UsageState.from_json(state.to_json()),
        lambda state: merge_partials([state]),
    ],
    ids=["pickle", "json", "merge"],
)
def test_a_state_read_back_still_names_the_event_too_large_to_price(reload: Any) -> None:
    job = two_subscriptions("raise")
    state = new_state("attacker", job)
    state.add([e("c", 1, "attacker"), e("b", SPOILER, "attacker"), e("d", "9" * 31, "attacker")])
    with pytest.raises(InvalidInput) as raised:
        reload(state).current_usage()
    assert str(raised.value).startswith(TOO_LARGE_B)


def test_merged_pieces_name_the_largest_event_of_either_piece() -> None:
    job = two_subscriptions("raise")
    small, large = new_state("attacker", job), new_state("attacker", job)
    small.add([e("x", "9" * 65, "attacker")])
    large.add([e("b", SPOILER, "attacker")])
    for states in ([small, large], [large, small]):
        with pytest.raises(InvalidInput) as raised:
            finish_partials("attacker", states, job)
        assert str(raised.value).startswith(TOO_LARGE_B)


def test_a_failed_subscription_is_in_the_period_digest_never_a_zero_bill() -> None:
    usages = rate_job(VICTIM_AND_ATTACKER, two_subscriptions())
    digests = {name: usage_digest(usage) for name, usage in usages.items()}
    with_failed = period_digest(digests, failed=usages.failed)
    zero = rate_job([VICTIM_AND_ATTACKER[0]], two_subscriptions())
    zero_bill = {name: usage_digest(usage) for name, usage in zero.items()}
    assert zero["attacker"].amount_cents == 0
    assert len({with_failed, period_digest(digests), period_digest(zero_bill)}) == 3
    assert with_failed == period_digest(list(digests.items()), failed=["attacker"])
    with pytest.raises(InvalidInput) as raised:
        period_digest(zero_bill, failed=["attacker"])
    assert (raised.value.path, raised.value.value) == ("digests", "attacker")


@pytest.mark.parametrize(
    ("failed", "path", "value"),
    [("attacker", "failed", "attacker"), ([1], "failed[0]", 1), (5, "failed", 5)],
)
def test_failed_ids_that_are_not_ids_are_invalid_input(failed: Any, path: str, value: Any) -> None:
    with pytest.raises(InvalidInput) as raised:
        period_digest({}, failed=failed)
    assert (raised.value.path, raised.value.value) == (path, value)


@pytest.mark.parametrize(
    ("partials", "path", "value"),
    [
        ([("attacker",)], "partials[0]", "tuple"),
        ([("nobody", None)], "partials[0][0]", "nobody"),
        ([("attacker", {})], "partials[0][1]", "dict"),
    ],
)
def test_finish_split_refuses_partials_that_are_not_pairs_of_the_job(
    partials: Any, path: str, value: Any
) -> None:
    with pytest.raises(InvalidInput) as raised:
        finish_split(partials, two_subscriptions())
    assert (raised.value.path, raised.value.value) == (path, value)


ATTACKER_VALUES = st.sampled_from([5, SPOILER, "-" + SPOILER, "9" * 59, "2.5"])


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(ATTACKER_VALUES, max_size=6),
    victims=st.lists(st.integers(0, 9), max_size=4),
    partitions=st.integers(1, 4),
    pieces=st.integers(1, 3),
    seed=st.integers(0, 2**32),
)
def test_any_cut_fails_the_same_subscriptions_and_prices_the_others_alike(
    values: list[Any], victims: list[int], partitions: int, pieces: int, seed: int
) -> None:
    """In collect mode, whether a subscription fails does not depend on how the events were
    cut: the sums are exact, so every cut fails the same ones, and prices the others alike."""
    rnd = random.Random(seed)
    stream = [e(f"v{i}", value, "victim") for i, value in enumerate(victims)]
    stream += [e(f"x{i}", value, "attacker") for i, value in enumerate(values)]
    rnd.shuffle(stream)
    job = two_subscriptions()
    expected = rate_job(stream, job)
    heavy = {"attacker": pieces} if pieces > 1 else {}
    parts: list[list[tuple[Any, Any]]] = [[] for _ in range(partitions)]
    for row, item in enumerate(stream):
        name = item["external_subscription_id"]
        piece = piece_of(name, item["transaction_id"], heavy.get(name, 1))
        parts[bucket_key(name, partitions, piece=piece)].append(((0, row), item))
    digests: dict[str, str] = {}
    failed: dict[str, InvalidInput] = {}
    partials = []
    for index, part in enumerate(parts):
        owned = [name for name in job.periods if name not in heavy]
        owned = [name for name in owned if bucket_key(name, partitions) == index]
        result = rate_partition(part, job, split=heavy, owned=owned)
        digests.update((name, usage_digest(usage)) for name, usage in result.whole)
        failed.update(result.failed)
        partials += result.partials
    rnd.shuffle(partials)
    merged = finish_split(partials, job, split=heavy)
    digests.update((name, usage_digest(usage)) for name, usage in merged.whole)
    failed.update(merged.failed)
    assert digests == {name: usage_digest(usage) for name, usage in expected.items()}
    assert {k: str(v) for k, v in failed.items()} == {k: str(v) for k, v in expected.failed.items()}
    assert period_digest(digests, failed=failed) == period_digest(
        {name: usage_digest(usage) for name, usage in expected.items()}, failed=expected.failed
    )
    total = sum((Decimal(str(value)) for value in values), Decimal(0))
    if total > 10**65:  # a negative total prices nothing (units below zero bill zero)
        assert "attacker" in failed
    if abs(total) < 10**50:
        assert "attacker" not in failed
        assert digests["attacker"] == usage_digest(expected["attacker"])
