"""The command line reads JSON Lines and Parquet with pyarrow when the values stay exact."""

from __future__ import annotations

import gzip
import json

import pytest

from usage_engine import arrow
from usage_engine.cli import main
from usage_engine.demo import write_sample

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

AT = "2026-10-20T12:00:00Z"


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sample")
    write_sample(directory)
    return directory


def run(capsys, directory, events, *extra):
    args = [
        "current",
        "--plan",
        directory / "plan.json",
        "--subscription",
        directory / "subscriptions.json",
        "--external-id",
        "acme",
        "--taxes",
        directory / "taxes.json",
        "--events",
        events,
        "--now",
        AT,
        "--json",
        *extra,
    ]
    status = main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return status, out, err


def _lines(directory):
    with gzip.open(directory / "events.jsonl.gz", "rt") as file:
        return [json.loads(line) for line in file if line.strip()]


def test_every_reader_gives_the_same_usage(capsys, sample_dir, tmp_path):
    """The sample read by pyarrow (JSON Lines, gzip, in batches), from Parquet, and by the
    pure-Python reader: the same usage, the same account line."""
    python = run(capsys, sample_dir, sample_dir / "events.jsonl.gz", "--reader", "python")
    assert arrow.read_batches(str(sample_dir / "events.jsonl.gz")) is not None
    by_arrow = run(capsys, sample_dir, sample_dir / "events.jsonl.gz")
    table = arrow.read_columns(str(sample_dir / "events.jsonl.gz"))
    pq.write_table(table, tmp_path / "events.parquet")
    parquet = run(capsys, sample_dir, tmp_path / "events.parquet")
    assert python[0] == 0
    assert json.loads(python[1])["amount_cents"] == 163766
    assert by_arrow == python
    assert parquet == python


def test_a_later_batch_pyarrow_cannot_keep_exact_is_read_again(
    capsys, sample_dir, tmp_path, monkeypatch
):
    """The first batches are text and integers; a later one holds 0.1 as a JSON number,
    which pyarrow would read as a float: the whole file is read again, exactly."""
    events = [event for event in _lines(sample_dir) if event["external_subscription_id"] == "acme"]
    late = {**events[-1], "transaction_id": "late-decimal", "code": "storage_gb"}
    late["properties"] = {"gb": 0.1}
    path = tmp_path / "events.jsonl"
    path.write_text(
        "".join(json.dumps(event) + "\n" for event in events)
        + json.dumps(late).replace('"gb": 0.1', '"gb": 0.1000000000000000000001')
        + "\n"
    )
    monkeypatch.setattr(arrow, "BATCH_BYTES", 4096)
    batches = arrow.read_batches(str(path))
    assert batches is not None
    with pytest.raises(arrow.ReadAgain, match="a later batch cannot be read as the first"):
        list(batches)
    again = run(capsys, sample_dir, path)
    python = run(capsys, sample_dir, path, "--reader", "python")
    assert again == python
    assert again[0] == 0


def test_an_error_names_the_line_of_an_event_read_by_pyarrow(capsys, sample_dir, tmp_path):
    good = {"external_subscription_id": "acme", "code": "emails", "timestamp": 1791000000}
    lines = [json.dumps(good | {"transaction_id": f"t{n}"}) for n in range(3)]
    lines.insert(2, "")
    lines.append(json.dumps(good | {"transaction_id": "", "code": "emails"}))
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert arrow.read_columns(str(path)) is not None
    status, out, err = run(capsys, sample_dir, path)
    assert (status, out) == (2, "")
    assert err.startswith(f"usage-engine: {path} line 5: events[3]")


@pytest.mark.parametrize("first", ["null", "  null", "[1]", "3", '"text"'])
def test_a_file_not_starting_with_an_object_is_left_to_the_pure_python_reader(tmp_path, first):
    """pyarrow 26 crashes the process on a JSON file whose first value is null: the readers
    never hand it such a file."""
    event = {"transaction_id": "a", "external_subscription_id": "s", "code": "c", "timestamp": 1}
    path = tmp_path / "events.jsonl"
    path.write_text(first + "\n" + json.dumps(event) + "\n")
    assert arrow.read_columns(str(path)) is None
    assert arrow.read_batches(str(path)) is None


@pytest.mark.parametrize("size", [0, -1, 1.5, "1MB"])
def test_a_batch_size_that_is_not_a_positive_integer_is_invalid_input(tmp_path, size):
    from usage_engine import InvalidInput

    path = tmp_path / "events.jsonl"
    path.write_text("{}\n")
    with pytest.raises(InvalidInput) as raised:
        arrow.read_batches(str(path), batch_bytes=size)
    assert raised.value.path == "batch_bytes"
