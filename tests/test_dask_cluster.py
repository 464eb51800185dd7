"""usage_engine.dask on a real local cluster: two worker processes, one of them killed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("distributed")

import dask.bag as db
from distributed import Client, LocalCluster

from tests.test_partition import CURRENT_AT, PAST_AT, POOL, SUBSCRIPTIONS, TAXES
from usage_engine import dask as ued
from usage_engine.partition import period_digest, plan_job, rate_job, usage_digest

# Enough events for every partition to hold several subscriptions' worth.
STREAM = [
    item | {"transaction_id": f"{round_}-{item['transaction_id']}"}
    for round_ in range(8)
    for item in POOL
]


def one_process(kind: Any, at: str) -> str:
    job = plan_job(SUBSCRIPTIONS, at=at, kind=kind, taxes=TAXES)
    return period_digest({sub: usage_digest(usage) for sub, usage in rate_job(STREAM, job).items()})


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as connected,
    ):
        yield connected


@pytest.mark.parametrize("shuffle", ["tasks", "p2p"])
def test_a_local_cluster_gives_the_digest_of_one_process(client: Client, shuffle: Any) -> None:
    events = db.from_sequence(STREAM, npartitions=6)
    rated = ued.rate(events, SUBSCRIPTIONS, at=PAST_AT, kind="past", taxes=TAXES, shuffle=shuffle)
    assert rated.digest() == one_process("past", PAST_AT)


def test_a_worker_killed_mid_run_changes_nothing(client: Client, tmp_path: Path) -> None:
    marker = tmp_path / "killed"

    def die_once(events: list[Any]) -> list[Any]:
        # The first worker to get here dies at once, as a machine lost mid-run would;
        # the nanny starts a new worker and the scheduler runs the task again.
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            os._exit(1)
        return list(events)

    events = db.from_sequence(STREAM, npartitions=6).map_partitions(die_once)
    rated = ued.rate(events, SUBSCRIPTIONS, at=CURRENT_AT, kind="projected", taxes=TAXES)
    assert rated.digest() == one_process("projected", CURRENT_AT)
    assert marker.exists()


def _die_once_when_rating(marker: str) -> None:
    # Run in each worker: the first shuffled partition to be rated kills its worker, as a
    # machine lost mid-run would; the nanny starts a new worker, the task runs again.
    import usage_engine.dask as module

    original = module._rate_shuffled

    def dying(*args: Any, **kwargs: Any) -> Any:
        if not os.path.exists(marker):
            Path(marker).write_text(str(os.getpid()))
            os._exit(1)
        return original(*args, **kwargs)

    module._rate_shuffled = dying  # type: ignore[assignment]


def test_files_read_into_columns_survive_a_killed_worker(client: Client, tmp_path: Path) -> None:
    """JSON Lines pyarrow reads exactly, shuffled as Arrow IPC on two workers, one killed
    while rating: the digest of one process."""
    from tests.columnar_routes import representable
    from tests.test_dask import write_lines
    from usage_engine.arrow import read_columns

    # A re-sent copy and an event of another subscription: accounts that are not empty must
    # cross between the workers too.
    other = STREAM[1] | {"transaction_id": "elsewhere", "external_subscription_id": "nobody"}
    stream = representable([*STREAM, STREAM[0], other], stamps="iso", forms=lambda name: "text")
    folder = tmp_path / "events"
    folder.mkdir()
    for index in range(4):
        write_lines(folder / f"part-{index}.jsonl", stream[index::4])
    assert read_columns(str(folder / "part-0.jsonl")) is not None
    marker = tmp_path / "killed"
    client.run(_die_once_when_rating, str(marker))
    rated = ued.rate(folder, SUBSCRIPTIONS, at=PAST_AT, kind="past", taxes=TAXES)
    job = plan_job(SUBSCRIPTIONS, at=PAST_AT, kind="past", taxes=TAXES)
    expected = period_digest({s: usage_digest(u) for s, u in rate_job(stream, job).items()})
    assert rated.digest() == expected
    assert marker.exists()
    account = rated.account.compute()
    assert account == rate_job(stream, job).event_account
    assert account.set_aside["duplicate"] == 1
