"""usage_engine.dask: the same digest as one process, from bags, frames and files."""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("distributed")

import dask
import dask.bag as db
import dask.dataframe as dd
import pandas as pd

from tests.factories import charge, event, metric, plan, utc
from tests.test_partition import (
    AT,
    CURRENT_AT,
    PAST_AT,
    POOL,
    SPOILER,
    SUBSCRIPTIONS,
    TAXES,
    TOO_LARGE_B,
    VICTIM_AND_ATTACKER,
    e,
    streams,
    sub,
    two_subscriptions,
)
from usage_engine import InvalidInput, current_usage
from usage_engine import dask as ued
from usage_engine.models import Event
from usage_engine.partition import period_digest, plan_job, rate_job, usage_digest


def one_process(stream: list[dict[str, Any]], kind: Any = "current", at: str = CURRENT_AT) -> str:
    job = plan_job(SUBSCRIPTIONS, at=at, kind=kind, taxes=TAXES)
    return period_digest({sub: usage_digest(usage) for sub, usage in rate_job(stream, job).items()})


@pytest.fixture(autouse=True)
def synchronous() -> Any:
    with dask.config.set(scheduler="sync"):
        yield


def by_subscription(stream: list[dict[str, Any]], partitions: int) -> db.Bag:
    """The stream cut into partitions that each hold whole subscriptions, order kept."""
    subs = sorted({item["external_subscription_id"] for item in stream})
    parts: list[list[dict[str, Any]]] = [[] for _ in range(partitions)]
    for item in stream:
        parts[subs.index(item["external_subscription_id"]) % partitions].append(item)
    return db.from_delayed([dask.delayed(part) for part in parts])


@pytest.mark.parametrize(
    ("kind", "at"), [("current", CURRENT_AT), ("projected", CURRENT_AT), ("past", PAST_AT)]
)
@settings(max_examples=8)
@given(
    stream=streams(),
    partitions=st.integers(1, 4),
    buckets=st.integers(1, 5),
    heavy=st.dictionaries(st.sampled_from(("sub_a", "sub_b")), st.integers(1, 3), max_size=2),
)
def test_every_layout_gives_the_digest_of_one_process(
    kind: Any,
    at: str,
    stream: list[dict[str, Any]],
    partitions: int,
    buckets: int,
    heavy: dict[str, int],
) -> None:
    expected = one_process(stream, kind, at)
    common = {"at": at, "kind": kind, "taxes": TAXES}
    anyhow = db.from_sequence(stream, npartitions=partitions) if stream else db.from_sequence([])
    assert ued.rate(anyhow, SUBSCRIPTIONS, **common).digest() == expected
    split = ued.rate(anyhow, SUBSCRIPTIONS, **common, split_heavy=heavy, npartitions=buckets)
    assert split.digest() == expected
    # The event account of the stream too: every event read once, in one partition or piece.
    account = rate_job(stream, plan_job(SUBSCRIPTIONS, at=at, kind=kind, taxes=TAXES)).event_account
    assert split.compute().event_account == account
    assert account.read == len(stream) == account.rated + account.set_aside_count
    ordered = by_subscription(stream, partitions)
    assert ued.rate(ordered, SUBSCRIPTIONS, **common, layout="by_subscription").digest() == (
        expected
    )


def test_heavy_subscriptions_are_split_automatically(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = [item for item in POOL if item["external_subscription_id"] == "sub_a"] * 2
    stream += [item for item in POOL if item["external_subscription_id"] != "sub_a"][:10]
    bag = db.from_sequence(stream, npartitions=4)
    # sub_a holds 186 of 196 events: more than one partition's share (49), but fewer than a
    # piece's worth (2,000,000 events): rated whole.
    assert ued.rate(bag, SUBSCRIPTIONS, at=CURRENT_AT).split == {}
    monkeypatch.setattr(ued, "_EVENTS_PER_PIECE", 20)
    rated = ued.rate(bag, SUBSCRIPTIONS, at=CURRENT_AT)
    # With pieces of 20 events or more: 4 pieces of about a share (49) each.
    assert rated.split == {"sub_a": 4}
    assert rated.digest() == one_process(stream)
    monkeypatch.setattr(ued, "_EVENTS_PER_PIECE", 100)  # pieces of 100 or more: 2 of them
    assert ued.rate(bag, SUBSCRIPTIONS, at=CURRENT_AT).split == {"sub_a": 2}


def test_results_come_back_as_usages_and_lago_json() -> None:
    stream = POOL[:40]
    rated = ued.rate(db.from_sequence(stream, npartitions=2), SUBSCRIPTIONS, at=CURRENT_AT)
    usages = rated.compute()
    assert sorted(usages) == ["sub_a", "sub_b", "sub_c", "sub_d"]
    job = plan_job(SUBSCRIPTIONS, at=CURRENT_AT)
    plan_a, period_a = job.periods["sub_a"]
    assert usages["sub_a"] == current_usage(plan_a, stream, period_a)
    lago = dict(rated.to_lago().compute())
    assert lago["sub_a"] == usages["sub_a"].to_lago()
    assert lago["sub_d"]["amount_cents"] == usages["sub_d"].amount_cents == 500
    assert rated.rejected.compute().count == 0


def write_lines(path: Path, events: list[dict[str, Any]]) -> None:
    text = "".join(json.dumps(item) + "\n" for item in events)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)


def test_a_folder_of_files_gzip_included_gives_the_digest_of_one_process(tmp_path: Path) -> None:
    stream = POOL * 2
    random.Random(5).shuffle(stream)
    write_lines(tmp_path / "part-0.jsonl", stream[:50])
    write_lines(tmp_path / "part-1.jsonl.gz", stream[50:120])
    write_lines(tmp_path / "part-2.ndjson", stream[120:])
    (tmp_path / "notes.txt").write_text("not events")
    rated = ued.rate(tmp_path, SUBSCRIPTIONS, at=PAST_AT, kind="past", taxes=TAXES)
    assert rated.digest() == one_process(stream, "past", PAST_AT)
    assert ued.read_events(tmp_path).count().compute() == len(stream)


THIRTY_DIGITS = "123456789012345678901234567890.123456789"


def test_thirty_digit_values_stay_exact_from_file_to_usage(tmp_path: Path) -> None:
    sums = plan(
        charge(
            "standard",
            {"amount": "0.000000000000000000000000000001"},
            billable_metric=metric("sum_agg", code="bytes", field_name="n"),
        )
    )
    subscription = {"external_id": "sub_1", "subscription_at": "2024-01-01T00:00:00Z", "plan": sums}
    line = (
        '{"transaction_id": "t1", "external_subscription_id": "sub_1", "code": "bytes",'
        f' "timestamp": 1709380800, "properties": {{"n": {THIRTY_DIGITS}}}}}\n'
    )
    (tmp_path / "events.jsonl").write_text(line)
    rated = ued.rate(tmp_path, [subscription], at="2024-03-12T10:00:00Z")
    [(sub, usage)] = list(rated.compute().items())
    [charge_usage] = usage.charges_usage
    assert (sub, charge_usage.units) == ("sub_1", Decimal(THIRTY_DIGITS))
    # 123456789012345678901234567890.123456789 units at 1e-30 each: 0.12 after rounding.
    assert charge_usage.amount_cents == 12


def test_a_dask_dataframe_with_json_properties_rates_like_its_rows() -> None:
    stream = POOL[:60]
    frame = pd.DataFrame(
        {
            "transaction_id": [item["transaction_id"] for item in stream],
            "external_subscription_id": [item["external_subscription_id"] for item in stream],
            "code": [item["code"] for item in stream],
            "timestamp": [item["timestamp"] for item in stream],
            "properties": [json.dumps(item["properties"]) for item in stream],
            "precise_total_amount_cents": [
                item.get("precise_total_amount_cents") for item in stream
            ],
        }
    )
    events = dd.from_pandas(frame, npartitions=3)
    rated = ued.rate(events, SUBSCRIPTIONS, at=CURRENT_AT, taxes=TAXES)
    assert rated.digest() == one_process(stream)


def test_ingested_at_decides_which_copy_came_first() -> None:
    first = event("payments", utc(2025, 7, 2), {"amount": "10"}, transaction_id="t")
    first |= {"external_subscription_id": "sub_a", "ingested_at": "2025-07-02T10:00:00Z"}
    resent = first | {"properties": {"amount": "99"}, "ingested_at": "2025-07-02T11:00:00Z"}
    # The re-sent copy sits in the first partition, yet was ingested later.
    bag = db.from_delayed([dask.delayed([resent]), dask.delayed([first])])
    by_time = ued.rate(bag, SUBSCRIPTIONS[:1], at=CURRENT_AT, order="ingested_at").compute()
    by_place = ued.rate(bag, SUBSCRIPTIONS[:1], at=CURRENT_AT).compute()

    def payments(usages: dict[str, Any]) -> Decimal:
        found = usages["sub_a"].charges_usage
        return next(c.units for c in found if c.billable_metric.code == "payments")

    assert (payments(by_time), payments(by_place)) == (Decimal(10), Decimal(99))


def test_a_subscription_spread_over_partitions_is_refused_in_the_by_subscription_layout() -> None:
    stream = [item for item in POOL if item["external_subscription_id"] == "sub_a"][:4]
    bag = db.from_sequence(stream, npartitions=2)
    rated = ued.rate(bag, SUBSCRIPTIONS, at=CURRENT_AT, layout="by_subscription")
    with pytest.raises(InvalidInput) as caught:
        rated.compute()
    assert (caught.value.path, caught.value.value) == ("layout", "sub_a")
    with pytest.raises(InvalidInput, match="more than once"):
        rated.digest()


def test_malformed_events_raise_on_the_client_naming_their_position() -> None:
    bad = {"transaction_id": "t", "external_subscription_id": "sub_a", "code": "calls"}
    bag = db.from_delayed([dask.delayed(POOL[:3]), dask.delayed([bad])])
    with pytest.raises(InvalidInput) as caught:
        ued.rate(bag, SUBSCRIPTIONS, at=CURRENT_AT).digest()
    assert caught.value.path == "events[(1, 0)] (transaction_id 't')"


def test_collected_orphans_are_reported_once() -> None:
    orphan = {"transaction_id": "t", "code": "calls", "timestamp": 1}
    bag = db.from_delayed([dask.delayed(POOL[:3]), dask.delayed([orphan])])
    rated = ued.rate(bag, SUBSCRIPTIONS, at=CURRENT_AT, invalid_events="collect")
    assert rated.rejected.compute().reasons == (
        "events[(1, 0)] (transaction_id 't'): external_subscription_id is required",
    )


@pytest.mark.parametrize(
    ("options", "path", "value"),
    [
        ({"layout": "sideways"}, "layout", "sideways"),
        ({"order": "alphabetical"}, "order", "alphabetical"),
        ({"shuffle": "disk"}, "shuffle", "disk"),
        ({"npartitions": 0}, "npartitions", 0),
        ({"split_heavy": "all"}, "split_heavy", "all"),
        ({"split_heavy": {"sub_a": 0}}, "split_heavy['sub_a']", 0),
        ({"kind": "future"}, "kind", "future"),
    ],
)
def test_bad_options_are_invalid_input(options: dict[str, Any], path: str, value: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        ued.rate(db.from_sequence(POOL[:2]), SUBSCRIPTIONS, at=CURRENT_AT, **options)
    assert (caught.value.path, caught.value.value) == (path, value)


def test_bad_event_sources_are_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        ued.rate([{"not": "a bag"}], SUBSCRIPTIONS, at=CURRENT_AT)
    assert (caught.value.path, caught.value.value) == ("events", "list")
    with pytest.raises(InvalidInput) as caught:
        ued.rate([], SUBSCRIPTIONS, at=CURRENT_AT)
    assert (caught.value.path, caught.value.value) == ("events", [])
    with pytest.raises(InvalidInput, match="names no JSON Lines file"):
        ued.read_events(tmp_path)
    (tmp_path / "a.jsonl").write_text('{"transaction_id": "t"}\n{oops\n')
    with pytest.raises(InvalidInput, match="is not JSON") as caught:
        ued.read_events(tmp_path).compute()
    assert caught.value.path == f"events ({tmp_path / 'a.jsonl'}, line 2)"
    with pytest.raises(InvalidInput, match="is required with order='ingested_at'"):
        ued.rate(
            db.from_sequence(POOL[:1]), SUBSCRIPTIONS, at=CURRENT_AT, order="ingested_at"
        ).digest()


def test_the_counting_pass_reads_subscription_ids_off_the_text(tmp_path: Path) -> None:
    lines = [
        {"external_subscription_id": "sub_a", "transaction_id": "1"},
        {"transaction_id": "2", "external_subscription_id": 'sub "quoted"'},
        {"external_subscription_id": "sub_a", "properties": {"x": 1}},
        {"transaction_id": "no subscription"},
    ]
    write_lines(tmp_path / "a.jsonl.gz", lines)
    assert ued._count_file(str(tmp_path / "a.jsonl.gz")) == {"sub_a": 2, 'sub "quoted"': 1}


def test_events_of_other_subscriptions_are_left_out() -> None:
    stranger = POOL[0] | {"external_subscription_id": "sub_zzz", "transaction_id": "z"}
    stream = [*POOL[:20], stranger]
    rated = ued.rate(db.from_sequence(stream, npartitions=2), SUBSCRIPTIONS, at=CURRENT_AT)
    assert sorted(rated.compute()) == ["sub_a", "sub_b", "sub_c", "sub_d"]
    assert rated.digest() == one_process(stream)


def test_a_heavy_subscription_outside_the_job_is_not_split() -> None:
    """Many events of a subscription not listed (or with no closed period) change nothing."""
    stranger = [
        POOL[0] | {"external_subscription_id": "sub_zzz", "transaction_id": f"z{n}"}
        for n in range(40)
    ]
    stream = [*stranger, *POOL[:5]]
    rated = ued.rate(db.from_sequence(stream, npartitions=4), SUBSCRIPTIONS, at=CURRENT_AT)
    assert "sub_zzz" not in rated.split
    assert rated.digest() == one_process(stream)
    named = ued.rate(
        db.from_sequence(stream, npartitions=4),
        SUBSCRIPTIONS,
        at=CURRENT_AT,
        split_heavy={"sub_zzz": 3},
    )
    assert named.digest() == one_process(stream)


def test_ingested_at_compares_instants_not_text() -> None:
    first = event("payments", utc(2025, 7, 2), {"amount": "10"}, transaction_id="t")
    first |= {"external_subscription_id": "sub_a", "ingested_at": "2025-07-02T10:00:00Z"}
    # As text, "...00.500Z" sorts before "...00Z"; as an instant it is half a second later.
    later = first | {"properties": {"amount": "99"}, "ingested_at": "2025-07-02T10:00:00.500Z"}
    bag = db.from_delayed([dask.delayed([later]), dask.delayed([first])])
    usages = ued.rate(bag, SUBSCRIPTIONS[:1], at=CURRENT_AT, order="ingested_at").compute()
    payments = next(
        c for c in usages["sub_a"].charges_usage if c.billable_metric.code == "payments"
    )
    assert payments.units == Decimal(10)
    bad = first | {"ingested_at": "yesterday"}
    rated = ued.rate(db.from_sequence([bad]), SUBSCRIPTIONS[:1], at=CURRENT_AT, order="ingested_at")
    with pytest.raises(InvalidInput) as caught:
        rated.digest()
    assert (caught.value.path, caught.value.value) == ("events[(0, 0)].ingested_at", "yesterday")


def test_event_models_are_shuffled_by_their_subscription() -> None:
    model = Event.model_validate(POOL[4] | {"properties": {"amount": "99"}})
    copy = POOL[4]  # the same transaction, sent later as a mapping
    bag = db.from_delayed([dask.delayed([model]), dask.delayed([copy])])
    rated = ued.rate(bag, SUBSCRIPTIONS, at=CURRENT_AT, npartitions=4)
    usages = rated.compute()
    payments = next(
        c for c in usages["sub_a"].charges_usage if c.billable_metric.code == "payments"
    )
    assert payments.units == Decimal(99)
    assert rated.digest() == one_process([model, copy])


def test_an_event_that_cannot_be_pickled_is_named() -> None:
    import threading

    def locked() -> list[dict[str, Any]]:
        return [POOL[4] | {"properties": {"amount": "1", "lock": threading.Lock()}}]

    bag = db.from_delayed([dask.delayed(locked)()])
    with pytest.raises(InvalidInput, match="cannot cross the shuffle") as caught:
        ued.rate(bag, SUBSCRIPTIONS, at=CURRENT_AT).digest()
    assert caught.value.path == "events[(0, 0)]"


def test_an_empty_bag_gives_every_subscription_its_usage() -> None:
    rated = ued.rate(db.from_delayed([]), SUBSCRIPTIONS, at=CURRENT_AT)
    assert rated.digest() == one_process([])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"transaction_id": "\xe9"}\n', "cannot be read: 'utf-8' codec can't decode"),
        (b'{"amount": ' + b"9" * 5000 + b"}\n", "cannot be read: Exceeds the limit"),
        (b"[" * 100_000 + b"\n", "cannot be read: nested too deep"),
        (gzip.compress(b'{"a": 1}\n' * 100)[:-20], "cannot be read:"),
    ],
    ids=["latin-1", "5000 digits", "deep", "truncated gzip"],
)
def test_files_that_cannot_be_read_are_invalid_input(
    tmp_path: Path, content: bytes, message: str
) -> None:
    name = tmp_path / ("bad.jsonl.gz" if content[:2] == b"\x1f\x8b" else "bad.jsonl")
    name.write_bytes(content)
    with pytest.raises(InvalidInput, match=message) as caught:
        ued.rate(tmp_path, SUBSCRIPTIONS, at=CURRENT_AT).digest()
    assert caught.value.path.startswith(f"events ({name}, line ")
    with pytest.raises(InvalidInput, match=message):
        ued.read_events(tmp_path).compute()


def test_frame_cells_that_are_not_scalars_or_not_json_are_reported() -> None:
    frame = pd.DataFrame(
        {
            "transaction_id": ["t1", "t2"],
            "external_subscription_id": ["sub_a", "sub_a"],
            "code": ["payments", "payments"],
            "timestamp": [POOL[4]["timestamp"]] * 2,
            "properties": ['{"amount": ' + "9" * 5000 + "}", "[" * 100_000],
        }
    )
    rated = ued.rate(
        dd.from_pandas(frame, npartitions=1), SUBSCRIPTIONS, at=CURRENT_AT, invalid_events="collect"
    )
    usages = rated.compute()
    assert usages["sub_a"].rejected_events.count == 2


def test_the_command_line_the_library_and_dask_agree_on_one_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 30-digit integer and 0.1, read by each route: one digest, exact units."""
    from usage_engine import past_usage, periods_before
    from usage_engine.cli import main
    from usage_engine.partition import period_digest

    sums = plan(
        charge(
            "standard", {"amount": "1"}, billable_metric=metric("sum_agg", code="m", field_name="v")
        )
    )
    subscription = {"external_id": "s", "subscription_at": "2025-01-01T00:00:00Z", "plan": sums}
    values = ["123456789012345678901234567890", "0.1"]
    lines = [
        f'{{"transaction_id": "t{n}", "external_subscription_id": "s", "code": "m", '
        f'"timestamp": "2025-03-05T10:00:00Z", "properties": {{"v": {value}}}}}\n'
        for n, value in enumerate(values)
    ]
    events = tmp_path / "events.jsonl"
    events.write_text("".join(lines))
    (tmp_path / "sub.json").write_text(json.dumps(subscription))
    at = "2025-04-10T00:00:00Z"

    options = ["--subscription", str(tmp_path / "sub.json"), "--events", str(events)]
    status = main(["past", *options, "--at", at, "--canonical"])
    out = capsys.readouterr().out
    assert status == 0
    cli_digest = hashlib.sha256(out.rstrip("\n").encode()).hexdigest()

    exact = [
        {
            "transaction_id": f"t{n}",
            "external_subscription_id": "s",
            "code": "m",
            "timestamp": "2025-03-05T10:00:00Z",
            "properties": {"v": number},
        }
        for n, number in enumerate([123456789012345678901234567890, Decimal("0.1")])
    ]
    [period] = periods_before(subscription, at, 1)
    frozen = past_usage(sums, exact, period)
    assert frozen.charges_usage[0].units == Decimal("123456789012345678901234567890.1")
    assert frozen.amount_cents == 12345678901234567890123456789010
    assert cli_digest == frozen.digest

    rated = ued.rate(events, [subscription], at=at, kind="past")
    assert rated.digest() == period_digest([("s", frozen.digest)])
    [usage] = rated.compute().values()
    assert usage.charges_usage[0].units == Decimal("123456789012345678901234567890.1")
    [read] = [ued.read_events(events).compute()]
    assert [event["properties"]["v"] for event in read] == [
        123456789012345678901234567890,
        Decimal("0.1"),
    ]
    assert [type(event["properties"]["v"]) for event in read] == [int, Decimal]


def test_long_and_deep_lines_are_invalid_input_on_both_parsers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Dask reader applies the command line's limits, with orjson and without."""
    from usage_engine import reading

    name = tmp_path / "bad.jsonl"
    for fast in (reading._fast, None):
        monkeypatch.setattr(reading, "_fast", fast)
        name.write_text('{"a": 1}\n\n{"b": ' + "[" * 300 + "]" * 300 + "}\n")
        with pytest.raises(InvalidInput, match="cannot be read: nested too deep") as caught:
            ued.read_events(tmp_path).compute()
        assert caught.value.path == f"events ({name}, line 3)"
        name.write_text('{"a": 1}\n' + '{"b": "' + "x" * 2**20 + '"}\n')
        with pytest.raises(InvalidInput, match="is longer than 1 MiB") as caught:
            ued.read_events(tmp_path).compute()
        assert caught.value.path == f"events ({name}, line 2)"


# --- one subscription too large to price fails alone in collect mode ----------------------

ATTACKED = [*VICTIM_AND_ATTACKER, e("c", 1, "attacker"), e("d", 2, "attacker")]
LAYOUTS = [
    pytest.param("by_subscription", None, id="by_subscription"),
    pytest.param("any", None, id="any"),
    pytest.param("any", {"attacker": 2}, id="any-split"),
]


def attacked(layout: Any) -> db.Bag:
    if layout == "by_subscription":
        return by_subscription(ATTACKED, 2)
    return db.from_sequence(ATTACKED, npartitions=2)


@pytest.mark.parametrize(("layout", "split"), LAYOUTS)
def test_a_subscription_too_large_to_price_fails_alone_on_dask(layout: Any, split: Any) -> None:
    rated = ued.rate(
        attacked(layout),
        [sub("victim"), sub("attacker")],
        at=AT,
        layout=layout,
        split_heavy=split,
        invalid_events="collect",
    )
    assert rated.split == (split or {})
    usages = rated.compute()
    assert {name: usage.amount_cents for name, usage in usages.items()} == {"victim": 500}
    assert list(usages.failed) == ["attacker"]
    assert str(usages.failed["attacker"]).startswith(TOO_LARGE_B)
    failed = rated.failed.compute()
    assert list(failed) == ["attacker"]
    assert str(failed["attacker"]).startswith(TOO_LARGE_B)
    one = rate_job(ATTACKED, two_subscriptions())
    expected = period_digest(
        {name: usage_digest(usage) for name, usage in one.items()}, failed=one.failed
    )
    assert rated.digest() == expected


@pytest.mark.parametrize(("layout", "split"), LAYOUTS)
def test_a_subscription_too_large_to_price_raises_on_dask_in_raise_mode(
    layout: Any, split: Any
) -> None:
    rated = ued.rate(
        attacked(layout), [sub("victim"), sub("attacker")], at=AT, layout=layout, split_heavy=split
    )
    for compute in (rated.compute, rated.digest):
        with pytest.raises(InvalidInput) as raised:
            compute()
        assert str(raised.value).startswith(TOO_LARGE_B)


def test_a_failed_subscription_spread_over_partitions_is_refused_by_subscription() -> None:
    bag = db.from_delayed(
        [dask.delayed([e("b", SPOILER, "attacker")]), dask.delayed([e("c", 1, "attacker")])]
    )
    rated = ued.rate(
        bag, [sub("attacker")], at=AT, layout="by_subscription", invalid_events="collect"
    )
    with pytest.raises(InvalidInput) as caught:
        rated.compute()
    assert (caught.value.path, caught.value.value) == ("layout", "attacker")
    with pytest.raises(InvalidInput, match="more than once"):
        rated.digest()


def test_a_cohort_simulated_on_dask_is_the_one_process_simulation() -> None:
    from tests.test_simulate import BASE, TIERED, WINDOW, _cohort
    from usage_engine import simulate

    scenarios = {"tiered": TIERED, "same": BASE}
    here = simulate(_cohort(), scenarios, window=WINDOW, top_n=2)
    with dask.config.set(scheduler="sync"):
        spread = ued.simulate(_cohort(), scenarios, window=WINDOW, top_n=2, npartitions=2)
        bag = ued.simulate(db.from_sequence(_cohort(), npartitions=3), scenarios, window=WINDOW,
                           top_n=2)  # fmt: skip
        empty = ued.simulate([], scenarios, window=WINDOW, top_n=2)
    assert spread == bag == here
    assert spread["tiered"].delta_cents == 500
    assert (empty.members, empty["tiered"].customers) == ((), ())
    with pytest.raises(InvalidInput, match=r"window: must be a \(start, end\) pair"):
        ued.simulate([], scenarios, window="2024")


def test_a_lago_batch_body_on_one_line_is_read_as_its_events(tmp_path: Path) -> None:
    """json.dump({"events": [...]}) writes one line: Dask reads its events as the CLI does."""
    stream = POOL[:30]
    (tmp_path / "batch.json").write_text(json.dumps({"events": stream}, default=str))
    (tmp_path / "more.jsonl").write_text(json.dumps({"events": POOL[30:40]}, default=str) + "\n")
    bag = ued.read_events(str(tmp_path))
    assert bag.count().compute() == 40
    rated = ued.rate(bag, SUBSCRIPTIONS, at=CURRENT_AT)
    assert rated.digest() == one_process(json.loads(json.dumps(POOL[:40], default=str)))


# --- files read into columns (the arrow extra) -------------------------------------------------


def _columnar_stream(seed: int) -> list[dict[str, Any]]:
    from tests.columnar_routes import representable

    stream = POOL * 2
    random.Random(seed).shuffle(stream)
    return representable(stream, stamps="iso", forms=lambda name: "text")


@pytest.mark.parametrize("layout", ["any", "by_subscription"])
def test_files_read_into_columns_give_the_digest_of_one_process(
    tmp_path: Path, layout: Any
) -> None:
    """JSON Lines pyarrow reads exactly and Parquet are rated from Arrow tables (shuffled as
    Arrow IPC), alongside a file only the pure-Python reader keeps exact: one digest, with
    either reader."""
    pq = pytest.importorskip("pyarrow.parquet")
    from tests.columnar_routes import table

    stream = _columnar_stream(7)
    subs = sorted({item["external_subscription_id"] for item in stream})
    if layout == "by_subscription":  # each file holds whole subscriptions
        parts = [[item for item in stream if item["external_subscription_id"] == s] for s in subs]
    else:
        parts = [stream[:40], stream[40:90], stream[90:]]
    write_lines(tmp_path / "part-0.jsonl", parts[0])
    pq.write_table(table(parts[1]), tmp_path / "part-1.parquet")
    decimal = [item | {"properties": {**item["properties"], "exact": 0.1}} for item in parts[2]]
    write_lines(tmp_path / "part-2.jsonl.gz", decimal)
    read = [ued._read_partition(str(path), "auto") for path in sorted(tmp_path.iterdir())]
    assert [type(part).__name__ for part in read] == ["Table", "Table", "list"]
    expected = one_process([*parts[0], *parts[1], *decimal], "past", PAST_AT)
    for reader in ("auto", "python"):
        rated = ued.rate(
            tmp_path,
            SUBSCRIPTIONS,
            at=PAST_AT,
            kind="past",
            taxes=TAXES,
            layout=layout,
            reader=reader,
        )
        assert rated.digest() == expected, reader


def test_a_split_subscription_read_into_columns_is_merged_from_its_pieces(tmp_path: Path) -> None:
    stream = _columnar_stream(8)
    write_lines(tmp_path / "a.jsonl", stream[:70])
    write_lines(tmp_path / "b.jsonl", stream[70:])
    heavy = stream[0]["external_subscription_id"]
    rated = ued.rate(tmp_path, SUBSCRIPTIONS, at=CURRENT_AT, split_heavy={heavy: 3}, npartitions=4)
    assert rated.split == {heavy: 3}
    assert rated.digest() == one_process(stream)
    assert (
        rated.account.compute()
        == rate_job(stream, plan_job(SUBSCRIPTIONS, at=CURRENT_AT)).event_account
    )


def test_a_bad_reader_is_invalid_input(tmp_path: Path) -> None:
    write_lines(tmp_path / "a.jsonl", POOL[:3])
    with pytest.raises(InvalidInput, match="reader: must be 'auto' or 'python'"):
        ued.rate(tmp_path, SUBSCRIPTIONS, at=CURRENT_AT, reader="arrow")


@settings(max_examples=8, deadline=None)
@given(
    stream=streams(),
    files=st.integers(1, 3),
    buckets=st.integers(1, 4),
    heavy=st.dictionaries(st.sampled_from(("sub_a", "sub_b")), st.integers(1, 3), max_size=2),
)
def test_files_on_the_columnar_route_give_the_digest_and_account_of_one_process(
    stream: list[dict[str, Any]], files: int, buckets: int, heavy: dict[str, int]
) -> None:
    """Any stream, re-sent copies included, written as JSON Lines pyarrow reads exactly and
    rated on Dask from Arrow tables (shuffled as Arrow IPC): one process's digest and account."""
    import tempfile

    from tests.columnar_routes import representable

    events = representable(stream, stamps="iso", forms=lambda name: "text")
    parts = [events[index::files] for index in range(files)]
    job = plan_job(SUBSCRIPTIONS, at=PAST_AT, kind="past", taxes=TAXES)
    # Files are ingested in name order, each row by row: the first copy is the first there.
    expected = rate_job([event for part in parts for event in part], job)
    with tempfile.TemporaryDirectory() as folder:
        for index, part in enumerate(parts):
            write_lines(Path(folder) / f"part-{index}.jsonl", part)
        read = [ued._read_partition(str(path), "auto") for path in sorted(Path(folder).iterdir())]
        assert all(type(part).__name__ in ("Table", "list") for part in read)
        rated = ued.rate(
            folder,
            SUBSCRIPTIONS,
            at=PAST_AT,
            kind="past",
            taxes=TAXES,
            split_heavy=heavy,
            npartitions=buckets,
        )
        result = rated.compute()
        digest = rated.digest()  # computed from the files: before they go
    assert digest == period_digest({sub: usage_digest(usage) for sub, usage in expected.items()})
    assert result.event_account == expected.event_account
