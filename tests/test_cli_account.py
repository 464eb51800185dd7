"""The event account on the command line: nothing set aside silently, --strict, --json."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from usage_engine.cli import main

NOW = "2024-03-20T00:00:00Z"
PLAN = {
    "code": "p",
    "interval": "monthly",
    "amount_currency": "EUR",
    "charges": [
        {
            "charge_model": "standard",
            "properties": {"amount": "1"},
            "billable_metric": {"code": "api_calls", "aggregation_type": "count_agg"},
        },
        {
            "charge_model": "standard",
            "properties": {"amount": "2"},
            "billable_metric": {
                "code": "storage",
                "aggregation_type": "sum_agg",
                "field_name": "gb",
            },
        },
    ],
}
SUBSCRIPTION = {"external_id": "sub", "plan": PLAN, "subscription_at": "2024-01-01T00:00:00Z"}


def _event(key, code="api_calls", subscription="sub", **properties):
    return {
        "transaction_id": key,
        "external_subscription_id": subscription,
        "code": code,
        "timestamp": "2024-03-10T10:00:00Z",
        "properties": properties,
    }


@pytest.fixture
def files(tmp_path):
    (tmp_path / "subscription.json").write_text(json.dumps(SUBSCRIPTION))

    def write(*lines: str | dict) -> list[str]:
        events = tmp_path / "events.jsonl"
        events.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n"
                                  for line in lines))  # fmt: skip
        return ["--subscription", str(tmp_path / "subscription.json"), "--events", str(events),
                "--now", NOW]  # fmt: skip

    return write


def _run(capsys, *args):
    status = main(["current", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def test_values_not_a_number_and_unknown_codes_are_named_on_stderr(capsys, files):
    args = files(
        _event("t1"),
        _event("t2", "storage", gb="50GB"),
        _event("t3", "storage", gb="three"),
        _event("t4", "api_cals"),
    )
    status, _, err = _run(capsys, *args)
    assert status == 0
    assert err == (
        "usage-engine: warning: 3 events set aside: 1 code matches no metric (api_cals: did you "
        "mean api_calls?), 2 value not a number (gb)\n"
    )


def test_another_subscriptions_events_are_named(capsys, files):
    status, out, err = _run(capsys, *files(_event("t1", subscription="other")), "--json")
    assert (status, json.loads(out)["amount_cents"]) == (0, 0)
    assert err == "usage-engine: warning: 1 event set aside: 1 other subscription\n"


def test_an_empty_events_file_says_so(capsys, files):
    args = files()
    status, _, err = _run(capsys, *args)
    events = args[args.index("--events") + 1]
    assert (status, err) == (0, f"usage-engine: warning: {events}: no events read\n")


def test_duplicates_and_events_outside_the_period_are_a_note_not_a_warning(capsys, files):
    late = _event("t9") | {"timestamp": "2024-04-02T00:00:00Z"}
    status, _, err = _run(capsys, *files(_event("t1"), _event("t1"), late))
    assert (status, err) == (
        0,
        "usage-engine: 2 events set aside: 1 duplicate transaction_id, 1 outside the period\n",
    )


def test_a_line_that_is_not_json_stops_the_run_unless_collected(capsys, files):
    args = files(_event("t1"), '{"transaction_id": "t2", "code": oops}', _event("t3"), "[1, 2]")
    events = args[args.index("--events") + 1]
    status, _, err = _run(capsys, *args)
    assert (status, err) == (
        2,
        f"usage-engine: {events} line 2 column 34: invalid JSON (Expecting value)\n",
    )
    status, out, err = _run(capsys, *args, "--invalid-events", "collect", "--json")
    assert status == 0
    assert err == (
        "usage-engine: warning: 2 events set aside: 2 malformed (line 2: invalid JSON "
        "(Expecting value) at column 34; line 4: must be a JSON object, not an array)\n"
    )
    document = json.loads(out)
    assert document["amount_cents"] == 200
    account = document["event_account"]
    assert (account["read"], account["rated"], account["set_aside"]) == (4, 2, {"malformed": 2})


def test_strict_stops_at_a_problem_in_the_data(capsys, files):
    args = files(_event("t1"), _event("t1"), _event("t3", "api_cals"), _event("t4", "api_cals"))
    status, out, err = _run(capsys, *args, "--strict")
    assert (status, out) == (2, "")
    assert err == (
        "usage-engine: --strict: 2 events set aside: 2 code matches no metric (api_cals: did you "
        "mean api_calls?); transaction_id 't3', 't4'\n"
    )
    status, _, err = _run(capsys, *files(_event("t1"), _event("t1")), "--strict")
    assert (status, err) == (0, "usage-engine: 1 event set aside: 1 duplicate transaction_id\n")


def test_json_carries_the_event_account_under_its_own_key(capsys, files):
    status, out, _ = _run(capsys, *files(_event("t1"), _event("t2", "storage", gb="5")), "--json")
    document = json.loads(out)
    assert status == 0
    assert document["event_account"] == {
        "read": 2,
        "rated": 2,
        "set_aside": {},
        "examples": {},
        "details": {},
    }
    assert document["amount_cents"] == 1100


_LINES = st.one_of(
    st.builds(lambda n: _event(f"t{n}"), st.integers(0, 5)),
    st.builds(lambda n: _event(f"t{n}", "storage", gb="x"), st.integers(0, 5)),
    st.builds(lambda n: _event(f"t{n}", "nope"), st.integers(0, 5)),
    st.sampled_from(["{oops", '{"a": 1', "[1]", "3", '"text"', "null", '{"transaction_id": 5}']),
)


@settings(max_examples=30, deadline=None)
@given(lines=st.lists(_LINES, min_size=1, max_size=8))
def test_every_line_is_read_and_accounted_for(lines, tmp_path_factory):
    directory = tmp_path_factory.mktemp("lines")
    (directory / "subscription.json").write_text(json.dumps(SUBSCRIPTION))
    events = directory / "events.jsonl"
    events.write_text("".join((item if isinstance(item, str) else json.dumps(item)) + "\n"
                              for item in lines))  # fmt: skip
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([
            "current", "--subscription", str(directory / "subscription.json"), "--events",
            str(events), "--now", NOW, "--invalid-events", "collect", "--json",
        ])  # fmt: skip
    # The first line decides whether the file is JSON Lines: a first line that is not an
    # object makes the file one JSON document, which then cannot be read.
    if status == 2:
        assert not isinstance(lines[0], dict)
        return
    account = json.loads(out.getvalue())["event_account"]
    assert account["read"] == len(lines)
    assert account["read"] == account["rated"] + sum(account["set_aside"].values())


def test_csv_prints_the_rows_of_the_result(capsys, files):
    args = files(_event("t1"), _event("t2", "storage", gb="1.25"))
    status, out, err = _run(capsys, *args, "--format", "csv")
    lines = out.splitlines()
    assert (status, err) == (0, "")
    assert lines[0].split(",")[-4:] == ["units", "events_count", "amount", "amount_cents"]
    assert [line.split(",")[-4:] for line in lines[1:]] == [
        ["1.0", "1", "1.00", "100"],  # api_calls: 1 x 1.00
        ["1.25", "1", "2.50", "250"],  # storage: 1.25 GB x 2.00
    ]
    status, _, err = _run(capsys, *args, "--format", "csv", "--json")
    assert (status, err) == (
        2,
        "usage-engine: --json and --format csv ask for two outputs; give one\n",
    )
    status, out, _ = _run(capsys, *args, "--format", "json")
    assert json.loads(out)["amount_cents"] == 350


def test_csv_of_past_periods_lists_each_periods_rows(capsys, files):
    february = _event("t0", "storage", gb="0.5") | {"timestamp": "2024-02-10T00:00:00Z"}
    args = files(_event("t1"), february)
    args[args.index("--now")] = "--at"
    args[args.index("--at") + 1] = "2024-04-20T00:00:00Z"
    status = main(["past", *map(str, args), "--periods", "2", "--format", "csv"])
    out, err = capsys.readouterr()
    rows = [line.split(",") for line in out.splitlines()[1:]]
    # Newest first; a past period keeps only the buckets that hold something, as Lago's
    # invoices do: March the one call (1.00), February the 0.5 GB (0.5 x 2.00 = 1.00).
    assert [(row[0], row[7], row[-4], row[-1]) for row in rows] == [
        ("2024-03-01T00:00:00Z", "api_calls", "1.0", "100"),
        ("2024-02-01T00:00:00Z", "storage", "0.5", "100"),
    ]
    assert (status, err) == (0, "usage-engine: 1 event set aside: 1 outside the period\n")


def test_attribute_and_report_say_what_was_set_aside_and_obey_strict(capsys, files, tmp_path):
    args = files(_event("t1"), _event("t2", "api_cals"))
    warning = (
        "usage-engine: warning: 1 event set aside: 1 code matches no metric (api_cals: did you "
        "mean api_calls?)\n"
    )
    assert main(["attribute", *args]) == 0
    assert capsys.readouterr().err == warning
    assert main(["attribute", *args, "--strict"]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == (
        "",
        "usage-engine: --strict: 1 event set aside: 1 code matches no metric (api_cals: did you "
        "mean api_calls?); transaction_id 't2'\n",
    )
    page = tmp_path / "report.html"
    assert main(["report", *args, "-o", str(page)]) == 0
    assert capsys.readouterr().err == warning
    assert main(["report", *args, "-o", str(page), "--strict"]) == 2


def test_attribute_collects_a_line_that_is_not_json(capsys, files):
    args = files(_event("t1"), "{not json")
    assert main(["attribute", *args]) == 2
    assert capsys.readouterr().err.endswith(
        "events.jsonl line 2 column 2: invalid JSON (Expecting property name enclosed in double "
        "quotes)\n"
    )
    assert main(["attribute", *args, "--invalid-events", "collect", "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert err == (
        "usage-engine: warning: 1 event set aside: 1 malformed (line 2: invalid JSON (Expecting "
        "property name enclosed in double quotes) at column 2)\n"
    )
    assert out.count("t1") == 1


def test_reprice_says_what_was_set_aside_and_obeys_strict(capsys, files, tmp_path):
    february = {"timestamp": "2024-02-10T10:00:00Z"}
    args = files(_event("t1") | february, _event("t2", "api_cals") | february)
    (tmp_path / "b.json").write_text(json.dumps(PLAN))
    other = ["--plan", str(tmp_path / "b.json"), "--other", str(tmp_path / "b.json")]
    assert main(["reprice", *args, *other]) == 0
    assert capsys.readouterr().err == (
        "usage-engine: warning: 1 event set aside: 1 code matches no metric (api_cals: did you "
        "mean api_calls?)\n"
    )
    assert main(["reprice", *args, *other, "--strict"]) == 2
    assert capsys.readouterr().out == ""
