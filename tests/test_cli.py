"""The command line through its entry point: outputs on the bundled sample, JSON, errors."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import subprocess
import sys
from importlib import resources

import pytest

from usage_engine import (
    InvalidInput,
    billing_period,
    current_usage,
    past_usage,
    periods_before,
    projected_usage,
)
from usage_engine import _files as files
from usage_engine.cli import EventFile, Progress, main
from usage_engine.cli import commands as cli_commands
from usage_engine.cli import inputs as cli_inputs
from usage_engine.demo import NOW, load_sample, write_sample

AT = "2026-10-20T12:00:00Z"
# The sample's events file holds three subscriptions' events over several months, some sent
# twice: rating acme's October sets the others aside, and says so in one line (not a warning:
# Lago's own rules, and a subscription picked from several).
ACME_NOTE = (
    "usage-engine: 22052 events set aside: 29 duplicate transaction_id, 6177 outside the "
    "period, 15846 other subscription\n"
)


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory):
    """The bundled sample's files in a temporary directory."""
    directory = tmp_path_factory.mktemp("sample")
    write_sample(directory)
    return directory


@pytest.fixture(scope="module")
def sample():
    """The bundled sample as data."""
    return load_sample()


def _inputs(directory, external_id="acme"):
    return [
        "--plan",
        str(directory / "plan.json"),
        "--subscription",
        str(directory / "subscriptions.json"),
        "--external-id",
        external_id,
    ]


def _with_events(directory, external_id="acme"):
    return [
        *_inputs(directory, external_id),
        "--events",
        str(directory / "events.jsonl.gz"),
        "--taxes",
        str(directory / "taxes.json"),
    ]


def run(capsys, *args):
    """Run the command line; return (status, stdout, stderr)."""
    status = main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return status, out, err


def _library(sample, external_id="acme"):
    subscription = sample.subscription(external_id)
    period = billing_period(subscription, AT, plan=sample.plan)
    return subscription, period


# ---------------------------------------------------------------------------------------------
# Outputs on the sample.


def test_period_table(capsys, sample_dir):
    """period prints Globex's anniversary period in New York time and in UTC."""
    status, out, err = run(capsys, "period", *_inputs(sample_dir, "globex"), "--at", AT)
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "Billing period of globex (monthly, anniversary billing, America/New_York)",
        "  charges       2026-10-15 00:00:00 .. 2026-11-14 23:59:59 local, 31 days",
        "  in UTC        2026-10-15T04:00:00Z .. 2026-11-15T04:59:59Z",
        "  issuing date  2026-11-15",
        "  now           2026-10-20T12:00:00Z = 2026-10-20 08:00 local, day 6 of 31",
    ]


def test_period_json_is_the_library_period(capsys, sample_dir, sample):
    """period --json prints BillingPeriod.to_lago() of the same subscription and instant."""
    status, out, _ = run(capsys, "period", *_inputs(sample_dir, "umbrella"), "--now", AT, "--json")
    _, period = _library(sample, "umbrella")
    assert status == 0
    assert json.loads(out) == period.to_lago()
    assert json.loads(out)["from_datetime"] == "2026-09-30T00:00:00Z"


def test_current_table(capsys, sample_dir):
    """current prints every charge, its filter buckets and groups, and the totals, to the cent."""
    status, out, err = run(capsys, "current", *_with_events(sample_dir), "--now", AT)
    assert (status, err) == (0, ACME_NOTE)
    lines = out.splitlines()
    assert lines[0] == (
        "Current usage of acme, 2026-10-01 .. 2026-10-31 (Europe/Paris) at 2026-10-20T12:00:00Z"
    )
    rows = [line.split() for line in lines]
    assert ["API", "requests", "standard", "2,839", "2,839", "12.87"] in rows
    assert ["API", "requests", "(EU)", "2,035", "2,035", "10.18"] in rows
    assert ["no", "filter", "matched", "280", "280", "1.12"] in rows
    assert ["Compute", "hours", "graduated", "1,480.5", "391", "218.04"] in rows
    assert ["region=eu", "53.75", "45", "95.63"] in rows
    assert ["Seats", "graduated", "(prorated)", "13", "13", "146.45"] in rows
    assert ["Storage", "standard", "1,009.9565", "9", "80.80"] in rows
    assert rows[-3:] == [["usage", "1,637.66"], ["taxes", "327.53"], ["total", "1,965.19"]]


def test_current_json_is_the_library_result(capsys, sample_dir, sample):
    """current --json prints exactly current_usage(...).to_lago() for the same inputs."""
    status, out, _ = run(capsys, "current", *_with_events(sample_dir), "--now", AT, "--json")
    _, period = _library(sample)
    expected = current_usage(sample.plan, sample.events, period, now=AT, taxes=sample.taxes)
    assert status == 0
    document = json.loads(out)
    assert document.pop("event_account") == json.loads(json.dumps(expected.event_account.to_data()))
    assert document == expected.to_lago()
    assert (expected.amount_cents, expected.taxes_amount_cents) == (163766, 32753)
    assert (expected.event_account.read, expected.event_account.rated) == (26522, 4470)


def test_projected_table(capsys, sample_dir):
    """projected adds the projected units and amounts at ratio 20/31 (Lago's rules)."""
    status, out, _ = run(capsys, "projected", *_with_events(sample_dir), "--now", AT)
    assert status == 0
    rows = [line.split() for line in out.splitlines()]
    assert out.splitlines()[2] == (
        "64.5 % of the period elapsed, today included"  # 20 of 31 days: 64.516...%
    )
    assert ["API", "requests", "standard", "2,839", "2,839", "12.87", "4,400.45", "19.95"] in rows
    assert ["Storage", "standard", "1,009.9565", "9", "80.80", "1,009.9565", "80.80"] in rows
    assert ["usage", "1,637.66", "2,400.73"] in rows


@pytest.mark.parametrize(("method", "projected_cents"), [("lago", 240073), ("exact", 228742)])
def test_projected_json_is_the_library_result(capsys, sample_dir, sample, method, projected_cents):
    """projected --json prints projected_usage(...).to_lago(), for both methods."""
    status, out, _ = run(
        capsys, "projected", *_with_events(sample_dir), "--now", AT, "--method", method, "--json"
    )
    _, period = _library(sample)
    expected = projected_usage(
        sample.plan, sample.events, period, now=AT, taxes=sample.taxes, method=method
    )
    assert status == 0
    document = json.loads(out)
    assert document.pop("event_account")["rated"] == expected.event_account.rated
    assert document == expected.to_lago()
    assert document["projected_amount_cents"] == projected_cents


def test_past_table_shows_the_digest(capsys, sample_dir):
    """past prints the period before --at, frozen, with its totals and digest."""
    status, out, _ = run(capsys, "past", *_with_events(sample_dir), "--at", AT)
    assert status == 0
    lines = out.splitlines()
    assert lines[:2] == [
        "Past usage (frozen) of acme, 2026-09-01 .. 2026-09-30 (Europe/Paris)",
        "issued 2026-10-01",
    ]
    assert [line.split() for line in lines[-4:]] == [
        ["usage", "1,900.61"],
        ["taxes", "380.12"],
        ["total", "2,280.73"],
        ["digest", "sha256:312f5c650ad44e0abf769629b87803132619cd762953f7f667349e96013ab9ad"],
    ]


def test_past_shows_a_true_up_apart(capsys, sample_dir):
    """Initech's partial first period falls short of the payouts minimum: a separate true-up."""
    status, out, _ = run(capsys, "past", *_with_events(sample_dir, "initech"), "--at", AT)
    assert status == 0
    assert (
        "true-up  payouts: adds 4.86 EUR, apart from the usage totals\n"
        "         (minimum 40.00 prorated to 28.00)\n" in out
    )
    assert ["usage", "368.12"] in [line.split() for line in out.splitlines()]


def test_past_json_lists_periods_newest_first(capsys, sample_dir, sample):
    """past --periods 2 --json prints Lago's usage_periods, each past_usage(...).to_lago()."""
    status, out, _ = run(
        capsys, "past", *_with_events(sample_dir, "globex"), "--at", AT, "--periods", 2, "--json"
    )
    subscription = sample.subscription("globex")
    periods = periods_before(subscription, AT, 2, plan=sample.plan)
    expected = [
        past_usage(sample.plan, sample.events, period, taxes=sample.taxes).to_lago()
        for period in periods
    ]
    assert status == 0
    account = past_usage(sample.plan, sample.events, periods[0]).event_account
    assert json.loads(out) == {
        "usage_periods": expected,
        "event_account": json.loads(json.dumps(account.to_data())),
    }
    assert [item["from_datetime"] for item in expected] == [
        "2026-09-15T04:00:00Z",
        "2026-08-15T04:00:00Z",
    ]


def test_past_canonical_hashes_to_the_digest(capsys, sample_dir, sample):
    """past --canonical prints the text whose SHA-256 is the period's digest."""
    status, out, _ = run(capsys, "past", *_with_events(sample_dir), "--at", AT, "--canonical")
    subscription = sample.subscription("acme")
    (period,) = periods_before(subscription, AT, 1, plan=sample.plan)
    frozen = past_usage(sample.plan, sample.events, period, taxes=sample.taxes)
    assert status == 0
    assert out == frozen.canonical_json() + "\n"
    assert hashlib.sha256(out.strip().encode()).hexdigest() == frozen.digest


def test_past_before_the_first_period_ends(capsys, sample_dir):
    """A subscription with no closed period yet gives an empty list, not an error."""
    args = [*_with_events(sample_dir, "initech"), "--at", "2026-09-20T00:00:00Z"]
    assert run(capsys, "past", *args, "--json") == (0, '{\n  "usage_periods": []\n}\n', "")
    status, out, _ = run(capsys, "past", *args)
    assert (status, out) == (0, "No billing period of initech ended by 2026-09-20T00:00:00Z.\n")


def test_report_writes_the_file(capsys, sample_dir, tmp_path):
    """report writes one HTML page and says where on stdout."""
    target = tmp_path / "acme.html"
    status, out, err = run(capsys, "report", *_with_events(sample_dir), "--now", AT, "-o", target)
    page = target.read_text(encoding="utf-8")
    assert (status, err) == (0, ACME_NOTE)
    assert out == f"wrote {target} ({len(page.encode()):,} bytes)\n"
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 10


def test_report_to_stdout(capsys, sample_dir):
    """report -o - writes the page itself to stdout and nothing else."""
    status, out, _ = run(capsys, "report", *_with_events(sample_dir), "--now", AT, "-o", "-")
    assert status == 0
    assert out.startswith("<!DOCTYPE html>")
    assert out.rstrip().endswith("</html>")


def test_sample_command_writes_the_bundled_files(capsys, tmp_path):
    """sample DIR writes the four files the other commands read."""
    status, out, _ = run(capsys, "sample", tmp_path / "s")
    assert status == 0
    names = sorted(path.name for path in (tmp_path / "s").iterdir())
    assert names == ["events.jsonl.gz", "plan.json", "subscriptions.json", "taxes.json"]
    assert f"wrote {tmp_path / 's' / 'plan.json'}" in out
    packaged = resources.files("usage_engine").joinpath("data")
    for name in names:  # byte for byte the package data the demo reads
        assert (tmp_path / "s" / name).read_bytes() == packaged.joinpath(name).read_bytes()


# ---------------------------------------------------------------------------------------------
# Reading inputs.


def test_events_from_stdin_json_array(capsys, sample_dir, sample, monkeypatch):
    """Events may come on stdin (-), as a JSON array: the same result as the gzip file."""
    payload = json.dumps(list(sample.events)).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(payload)))
    status, out, _ = run(capsys, "current", *_inputs(sample_dir), "--events", "-", "--now", AT)
    assert status == 0
    assert ["usage", "1,637.66"] in [line.split() for line in out.splitlines()]


def test_events_from_gzipped_stdin(capsys, sample_dir, monkeypatch):
    """Gzip is recognised by its content, also on stdin."""
    data = (sample_dir / "events.jsonl.gz").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    status, out, _ = run(capsys, "current", *_inputs(sample_dir), "--events", "-", "--now", AT)
    assert status == 0
    assert ["usage", "1,637.66"] in [line.split() for line in out.splitlines()]


def test_lago_batch_payload_and_blank_lines(tmp_path):
    """{"events": [...]} (Lago's batch body) and JSON Lines with blank lines both read."""
    event = {"transaction_id": "t", "external_subscription_id": "s", "code": "c", "timestamp": 1}
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps({"events": [event, event]}, indent=2))
    lines = tmp_path / "events.jsonl"
    lines.write_text("\n" + json.dumps(event) + "\n\n" + json.dumps(event) + "\n")
    assert list(EventFile(str(batch))) == [event, event]
    source = EventFile(str(lines))
    assert list(source) == [event, event]
    assert (source.line_of(0), source.line_of(1)) == (2, 4)


def test_subscription_embedding_its_plan(capsys, tmp_path, sample):
    """A subscription that carries its plan needs no --plan."""
    subscription = dict(sample.subscription("acme"), plan=sample.plan)
    path = tmp_path / "acme.json"
    path.write_text(json.dumps({"subscription": subscription}))
    status, out, _ = run(capsys, "period", "--subscription", path, "--at", AT, "--json")
    assert status == 0
    assert json.loads(out)["to_datetime"] == "2026-10-31T22:59:59Z"


# ---------------------------------------------------------------------------------------------
# Errors: one line on stderr, exit status 2, no traceback.


def _error(capsys, *args):
    status, out, err = run(capsys, *args)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    return err.rstrip("\n")


def test_missing_file(capsys, sample_dir, tmp_path):
    """A missing file is named with the reason."""
    missing = tmp_path / "nope.jsonl"
    err = _error(capsys, "current", *_inputs(sample_dir), "--events", missing, "--now", AT)
    assert err == f"usage-engine: {missing}: cannot read the file: No such file or directory"


def test_invalid_json_names_line_and_column(capsys, sample_dir, tmp_path):
    """Invalid JSON names the file, the line and the column."""
    plan = tmp_path / "plan.json"
    plan.write_text('{\n  "code": "scale",\n  "interval": monthly\n}\n')
    args = ["--plan", plan, "--subscription", sample_dir / "subscriptions.json"]
    err = _error(capsys, "period", *args, "--external-id", "acme", "--at", AT)
    assert err.startswith(f"usage-engine: {plan} line 3 column 15: invalid JSON (")


def test_json_lines_line_that_is_not_an_object(capsys, sample_dir, tmp_path):
    """A JSON Lines line holding something else than an object is named by its line."""
    events = tmp_path / "events.jsonl"
    good = {"transaction_id": "a", "external_subscription_id": "x", "code": "c", "timestamp": 1}
    events.write_text(json.dumps(good) + "\n\n[1, 2]\n")
    err = _error(capsys, "current", *_inputs(sample_dir), "--events", events, "--now", AT)
    assert err == (
        f"usage-engine: {events} line 3: each line must be a JSON object (an event), not an array"
    )


def test_broken_json_lines_line(capsys, sample_dir, tmp_path):
    """A truncated JSON Lines line is reported at its own line."""
    good = {"transaction_id": "a", "external_subscription_id": "x", "code": "c", "timestamp": 1}
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(good) + '\n{"transaction_id": "b",\n')
    err = _error(capsys, "current", *_inputs(sample_dir), "--events", events, "--now", AT)
    assert err.startswith(f"usage-engine: {events} line 2 column ")
    assert "invalid JSON (" in err


def test_wrong_field_in_the_plan(capsys, sample_dir, tmp_path, sample):
    """A bad plan field is named by file and field path, with the fix and the value."""
    plan = json.loads(json.dumps(sample.plan))
    plan["charges"][1]["charge_model"] = "graduate"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    args = ["--plan", path, "--subscription", sample_dir / "subscriptions.json"]
    err = _error(capsys, "period", *args, "--external-id", "acme", "--at", AT)
    assert err == (
        f"usage-engine: {path}: plan.charges[1].charge_model: unknown charge_model; expected one "
        "of standard, graduated, graduated_percentage, package, percentage, volume, dynamic. "
        "Did you mean 'graduated'? (got 'graduate')"
    )


def test_wrong_field_in_an_event_names_its_line(capsys, sample_dir, tmp_path):
    """A malformed event is named by its line, position and transaction_id."""
    good = {"transaction_id": "a", "external_subscription_id": "acme", "code": "emails"}
    events = tmp_path / "events.jsonl"
    events.write_text(
        json.dumps(good | {"timestamp": 1791000000})
        + "\n\n"
        + json.dumps(good | {"transaction_id": "b", "timestamp": "yesterday"})
        + "\n"
    )
    err = _error(capsys, "current", *_inputs(sample_dir), "--events", events, "--now", AT)
    assert err == (
        f"usage-engine: {events} line 3: events[1] (transaction_id 'b'): timestamp 'yesterday' "
        "is neither unix seconds nor ISO 8601"
    )


def test_collect_sets_malformed_events_aside_with_a_warning(capsys, sample_dir, tmp_path):
    """--invalid-events collect goes on, warns on stderr, and keeps stdout pure JSON."""
    event = {"transaction_id": "b", "external_subscription_id": "acme", "code": "emails"}
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(event | {"timestamp": "yesterday"}) + "\n")
    args = [*_inputs(sample_dir), "--events", events, "--now", AT]
    status, out, err = run(capsys, "current", *args, "--invalid-events", "collect", "--json")
    assert status == 0
    assert json.loads(out)["amount_cents"] == 0
    assert err == (
        "usage-engine: warning: 1 event set aside: 1 malformed (line 1 (transaction_id 'b'): "
        "timestamp 'yesterday' is neither unix seconds nor ISO 8601)\n"
    )


def test_bad_tax_file(capsys, sample_dir, tmp_path):
    """A bad tax rate is named by file and path."""
    taxes = tmp_path / "taxes.json"
    taxes.write_text('[{"code": "vat", "rate": "abc"}]')
    args = [*_inputs(sample_dir), "--events", sample_dir / "events.jsonl.gz", "--taxes", taxes]
    err = _error(capsys, "current", *args, "--now", AT)
    assert err == (
        f"usage-engine: {taxes}: taxes[0].rate: must be a decimal number such as '12.5' (got 'abc')"
    )


@pytest.mark.parametrize(
    ("now", "message"),
    [
        pytest.param(
            "tomorrow",
            "--now: must be an ISO 8601 datetime such as '2024-03-01T00:00:00Z' or unix seconds "
            "(got 'tomorrow')",
            id="unreadable",
        ),
        pytest.param(
            "2020-01-01",
            "--now: is before the subscription started, at 2026-03-31T22:00:00Z "
            "(got '2020-01-01T00:00:00Z')",
            id="before the subscription",
        ),
    ],
)
def test_bad_now(capsys, sample_dir, now, message):
    """--now is checked, and named as the user typed it."""
    assert (
        _error(capsys, "period", *_inputs(sample_dir), "--now", now) == f"usage-engine: {message}"
    )


def test_several_subscriptions_need_an_external_id(capsys, sample_dir):
    """An array of subscriptions without --external-id lists the choices."""
    args = ["--plan", sample_dir / "plan.json", "--subscription", sample_dir / "subscriptions.json"]
    err = _error(capsys, "period", *args, "--at", AT)
    assert err == (
        f"usage-engine: {sample_dir / 'subscriptions.json'}: holds 4 subscriptions (acme, "
        "globex, initech, umbrella); choose one with --external-id"
    )


def test_missing_plan(capsys, tmp_path, sample):
    """A subscription with only a plan_code needs --plan, and the error says so."""
    path = tmp_path / "acme.json"
    path.write_text(json.dumps(sample.subscription("acme")))
    err = _error(capsys, "period", "--subscription", path, "--at", AT)
    assert err == (
        f"usage-engine: {path}: subscription.plan: is missing; give the plan with --plan FILE "
        "(or embed it in the subscription)"
    )


def test_only_one_input_from_stdin(capsys):
    """Two inputs cannot both be stdin."""
    err = _error(capsys, "current", "--subscription", "-", "--events", "-", "--now", AT)
    assert (
        err
        == "usage-engine: only one input can be stdin ('-'); got it for --subscription and --events"
    )


def test_usage_errors_are_one_line_too(capsys):
    """argparse's errors keep to one line and exit 2."""
    err = _error(capsys, "current", "--now", AT)
    assert err == (
        "usage-engine current: the following arguments are required: --subscription, --events "
        "(see usage-engine current --help)"
    )


def test_debug_shows_the_traceback(sample_dir, tmp_path):
    """--debug lets the error through, with its traceback."""
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"transaction_id": "b", "external_subscription_id": "acme", "code": "emails"}\n'
    )
    args = ["current", *map(str, _inputs(sample_dir)), "--events", str(events), "--now", AT]
    with pytest.raises(InvalidInput, match=r"events\[0\].*timestamp"):
        main([*args, "--debug"])
    with pytest.raises(InvalidInput):
        main(["--debug", *args])


# ---------------------------------------------------------------------------------------------
# Progress.


def _on_a_terminal(monkeypatch):
    for module in (cli_inputs, cli_commands):
        monkeypatch.setattr(module, "Progress", _TerminalProgress)


class _TerminalProgress(Progress):
    """Progress as on a terminal, with no throttling."""

    def __init__(self, stream=None, **_options):
        super().__init__(stream, enabled=True, interval=0.0)


def test_progress_writes_nothing_when_not_a_terminal():
    """Off a terminal, progress is silent and the items pass through."""
    out = io.StringIO()
    assert list(Progress(out).count(range(5000), "events read")) == list(range(5000))
    assert out.getvalue() == ""


def test_progress_on_a_terminal_is_throttled():
    """On a terminal, progress shows count, rate and elapsed time, once per interval at most."""
    out = io.StringIO()
    ticks = iter([0.0, 0.1, 0.3, 0.35, 0.6, 0.7, 1.0])
    progress = Progress(out, enabled=True, clock=lambda: next(ticks), interval=0.25)
    assert sum(progress.count(range(10), "events read", every=2)) == 45
    assert out.getvalue().split("\r") == [
        "",
        "\x1b[Kevents read: 4 (13/s, 0.3 s)",
        "\x1b[Kevents read: 8 (13/s, 0.6 s)",
        "\x1b[Kevents read: 10 (10/s, 1.0 s)\n",
    ]


def test_an_error_ends_the_progress_line(capsys, sample_dir, tmp_path, monkeypatch):
    """An error during a run with progress starts on a line of its own."""
    good = {"transaction_id": "a", "external_subscription_id": "acme", "code": "emails"}
    lines = [
        json.dumps(good | {"transaction_id": f"t{n}", "timestamp": 1791000000}) for n in range(5000)
    ]
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join([*lines, json.dumps(good | {"timestamp": "soon"})]) + "\n")
    _on_a_terminal(monkeypatch)
    status, out, err = run(capsys, "current", *_inputs(sample_dir), "--events", events, "--now", AT)
    assert (status, out) == (2, "")
    assert err.startswith("\r\x1b[K")
    assert err.endswith(
        f"\nusage-engine: {events} line 5001: events[5000] (transaction_id 'a'): timestamp "
        "'soon' is neither unix seconds nor ISO 8601\n"
    )


def test_progress_on_a_terminal_keeps_stdout_clean(capsys, sample_dir, monkeypatch):
    """With stderr a terminal the progress lines go to stderr; stdout is the same as without."""
    for reader in ("python", "auto"):
        args = ["current", *_with_events(sample_dir), "--now", AT, "--json", "--reader", reader]
        _, quiet, _ = run(capsys, *args)
        _on_a_terminal(monkeypatch)
        status, out, err = run(capsys, *args)
        monkeypatch.undo()
        assert status == 0
        assert out == quiet
        assert json.loads(out)["amount_cents"] == 163766
        assert err.endswith("events.jsonl.gz: events read: 26,522 (" + err.split("(")[-1])
        if reader == "python":  # counted event by event; pyarrow's batch by batch
            assert "events read: 2,048 (" in err


# ---------------------------------------------------------------------------------------------
# The installed entry points.


def test_python_dash_m_runs_the_command_line(sample_dir):
    """python -m usage_engine is the same command line, with the same exit statuses."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "usage_engine",
            "period",
            *map(str, _inputs(sample_dir)),
            "--at",
            AT,
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout)["issuing_date"] == "2026-10-31"
    failed = subprocess.run(
        [sys.executable, "-m", "usage_engine", "period", "--subscription", "missing.json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 2
    assert failed.stderr == (
        "usage-engine: missing.json: cannot read the file: No such file or directory\n"
    )


def test_sample_now_is_the_demo_now():
    """The tests' instant is the demo's."""
    assert NOW.strftime("%Y-%m-%dT%H:%M:%SZ") == AT


def test_gzip_that_is_broken(capsys, sample_dir, tmp_path):
    """A file that starts like gzip but is not is reported as such."""
    broken = tmp_path / "events.jsonl.gz"
    broken.write_bytes(b"\x1f\x8b" + b"not really gzip" * 10)
    err = _error(capsys, "current", *_inputs(sample_dir), "--events", broken, "--now", AT)
    assert err.startswith(f"usage-engine: {broken}: not a valid gzip file (")


# ---------------------------------------------------------------------------------------------
# Exact numbers, bounded input and safe output (the setup: one sum charge at 1 EUR).

SUM = {"code": "m", "aggregation_type": "sum_agg", "field_name": "v"}
SUM_PLAN = {
    "code": "p",
    "interval": "monthly",
    "amount_currency": "EUR",
    "charges": [
        {"charge_model": "standard", "properties": {"amount": "1"}, "billable_metric": SUM}
    ],
}
SUM_SUB = {"external_id": "s", "subscription_at": "2025-01-01T00:00:00Z", "plan": SUM_PLAN}
IN_MARCH, AFTER_MARCH = "2025-03-10T00:00:00Z", "2025-04-10T00:00:00Z"
THIRTY = "123456789012345678901234567890"


def _event_line(transaction: str, value: str, sub: str = "s") -> str:
    return (
        f'{{"transaction_id": "{transaction}", "external_subscription_id": {json.dumps(sub)}, '
        '"code": "m",'
        f' "timestamp": "2025-03-05T10:00:00Z", "properties": {{"v": {value}}}}}\n'
    )


def _sum_files(directory, *values, subscription=SUM_SUB):
    """The subscription (carrying its plan) and a JSON Lines file of one event per value."""
    sub = directory / "sub.json"
    sub.write_text(json.dumps(subscription))
    events = directory / "events.jsonl"
    events.write_text("".join(_event_line(f"t{n}", v) for n, v in enumerate(values)))
    return ["--subscription", sub, "--events", events]


@pytest.fixture(params=["orjson", "stdlib"])
def json_route(request, monkeypatch):
    """The command line with orjson (when installed) and with the standard library alone."""
    from usage_engine import reading

    if request.param == "stdlib":
        monkeypatch.setattr(reading, "_fast", None)
    elif reading._fast is None:
        pytest.skip("orjson is not installed")


def test_a_thirty_digit_integer_reaches_the_engine_exactly(capsys, tmp_path, json_route):
    """The 30-digit value is priced to the cent, in current and past, as JSON and as tables."""
    args = _sum_files(tmp_path, THIRTY)
    status, out, _ = run(capsys, "current", *args, "--now", IN_MARCH, "--json")
    assert status == 0
    usage = json.loads(out)
    assert usage["amount_cents"] == int(THIRTY + "00")
    assert usage["charges_usage"][0]["units"] == THIRTY + ".0"
    status, out, _ = run(capsys, "past", *args, "--at", AFTER_MARCH, "--json")
    assert json.loads(out)["usage_periods"][0]["amount_cents"] == int(THIRTY + "00")
    status, out, _ = run(capsys, "past", *args, "--at", AFTER_MARCH)
    assert ["usage", "123,456,789,012,345,678,901,234,567,890.00"] in [
        line.split() for line in out.splitlines()
    ]


def test_a_tenth_reaches_the_engine_exactly(capsys, tmp_path, json_route):
    """0.1 and a fraction of 21 digits are decimals, not the binary floats next to them."""
    args = _sum_files(tmp_path, "0.1", "0.2", "0.123456789012345678901")
    status, out, _ = run(capsys, "current", *args, "--now", IN_MARCH, "--json")
    assert status == 0
    assert json.loads(out)["charges_usage"][0]["units"] == "0.423456789012345678901"
    status, out, _ = run(capsys, "past", *args, "--at", AFTER_MARCH, "--json")
    [period] = json.loads(out)["usage_periods"]
    assert (period["charges_usage"][0]["units"], period["amount_cents"]) == (
        "0.423456789012345678901",
        42,
    )


def test_twenty_five_digit_units_format_in_every_command(capsys, tmp_path):
    """v = 10**24: current, past and report print every digit (no 28-digit context)."""
    args = _sum_files(tmp_path, '"1' + "0" * 24 + '"')
    status, out, err = run(capsys, "current", *args, "--now", IN_MARCH)
    assert (status, err) == (0, "")
    rows = [line.split() for line in out.splitlines()]
    assert [
        "standard",
        "1," + ",".join(["000"] * 8),
        "1",
        "1," + ",".join(["000"] * 8) + ".00",
    ] in (rows)
    status, out, _ = run(capsys, "past", *args, "--at", AFTER_MARCH)
    assert status == 0
    assert ["total", "1," + ",".join(["000"] * 8) + ".00"] in [
        line.split() for line in out.splitlines()
    ]
    status, out, _ = run(capsys, "report", *args, "--now", IN_MARCH, "-o", "-")
    assert status == 0
    assert "<td>usage so far</td><td>1,000,000,000,000,000,000,000,000.00</td>" in out
    assert "<td>1,000,000,000,000,000,000,000,000</td>" in out


def test_a_thirty_two_digit_amount_is_not_rounded(capsys, tmp_path):
    """12345678901234567890123456789012 units at 1 EUR: 32 digits of euros, to the cent."""
    args = _sum_files(tmp_path, "12345678901234567890123456789012")
    shown = "12,345,678,901,234,567,890,123,456,789,012.00"
    for command, instant in (("current", IN_MARCH), ("past", AFTER_MARCH)):
        status, out, _ = run(capsys, command, *args, "--now", instant)
        assert status == 0
        assert ["usage", shown] in [line.split() for line in out.splitlines()]
    status, out, _ = run(capsys, "report", *args, "--now", IN_MARCH, "-o", "-")
    assert f"<td>usage so far</td><td>{shown}</td>" in out


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("where", ["plan", "subscription", "taxes", "event line", "events array"])
def test_deep_json_is_bad_input_not_a_crash(capsys, tmp_path, json_route, where):
    """100,000 nested brackets anywhere: exit 2 with one line naming the file (and line)."""
    args = _sum_files(tmp_path, "1")
    deep = tmp_path / "deep.json"
    if where == "plan":
        deep.write_text(DEEP)
        args += ["--plan", deep]
    elif where == "subscription":
        deep.write_text('{"external_id": "s", "metadata": ' + DEEP + "}")
        args[1] = deep
    elif where == "taxes":
        deep.write_text(DEEP)
        args += ["--taxes", deep]
    elif where == "event line":
        deep.write_text(_event_line("a", "1") + "\n" + _event_line("b", DEEP))
        args[3] = deep
    else:
        deep.write_text(DEEP)
        args[3] = deep
    err = _error(capsys, "current", *args, "--now", IN_MARCH)
    line = " line 3" if where == "event line" else ""
    assert err == (
        f"usage-engine: {deep}{line}: cannot be read: nested too deep (more than 256 levels)"
    )


def test_a_plan_past_the_size_limit_is_refused(capsys, tmp_path, monkeypatch):
    """Plan, subscription and taxes files are read up to the limit, counted after gunzip."""
    monkeypatch.setattr(files, "MAX_DOCUMENT_BYTES", 10_000)
    args = _sum_files(tmp_path, "1")
    plan = tmp_path / "plan.json.gz"
    plan.write_bytes(gzip.compress(json.dumps(SUM_PLAN | {"description": " " * 20_000}).encode()))
    assert plan.stat().st_size < 1000
    err = _error(capsys, "current", *args, "--plan", plan, "--now", IN_MARCH)
    assert err == (
        f"usage-engine: {plan}: is larger than 10,000 bytes (the limit for a JSON document)"
    )


def test_endless_events_are_refused_quickly(capsys, tmp_path):
    """--events /dev/zero stops at the document limit with a clear message."""
    args = _sum_files(tmp_path, "1")
    err = _error(capsys, "current", *args[:2], "--events", "/dev/zero", "--now", IN_MARCH)
    assert err == (
        "usage-engine: /dev/zero: is larger than 64 MiB (the limit for a JSON document); give "
        "more events as JSON Lines, one event per line"
    )


def test_an_event_line_past_the_limit_is_refused(capsys, tmp_path):
    """A JSON Lines line over 1 MiB is named by its line."""
    args = _sum_files(tmp_path, "1")
    events = tmp_path / "long.jsonl"
    events.write_text(_event_line("a", "1") + "\n" + _event_line("b", '"' + "x" * 2**20 + '"'))
    args[3] = events
    err = _error(capsys, "current", *args, "--now", IN_MARCH)
    assert err == (
        f"usage-engine: {events} line 3: is longer than 1 MiB (the limit for a JSON Lines line)"
    )


def test_blank_lines_cost_no_memory(tmp_path):
    """Millions of blank lines are skipped without a record per line; lines stay right."""
    import tracemalloc

    events = tmp_path / "blank.jsonl.gz"
    line = _event_line("a", "1").encode()
    events.write_bytes(gzip.compress(line + b"\n" * 5_000_000 + line))
    source = EventFile(str(events))
    tracemalloc.start()
    try:
        assert len(list(source)) == 2
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000
    assert (source.line_of(0), source.line_of(1)) == (1, 5_000_002)


def test_old_events_are_found_on_their_line_again(capsys, tmp_path, monkeypatch):
    """Past the remembered lines, the file is read again to name an event's line."""
    monkeypatch.setattr(EventFile, "recent", 3)
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(_event_line(f"t{n}", str(n)) for n in range(10)))
    source = EventFile(str(events))
    assert len(list(source)) == 10
    assert [source.line_of(n) for n in (0, 5, 9, 10)] == [1, 11, 19, None]


HOSTILE = "acme\x1b]0;PWNED\x07\x1b[2J\x9b31m\u202e"
SHOWN = "acme\\x1b]0;PWNED\\x07\\x1b[2J\\x9b31m\\u202e"


def _hostile_files(directory):
    plan = json.loads(json.dumps(SUM_PLAN))
    plan["charges"][0]["invoice_display_name"] = HOSTILE
    return _sum_files(directory, "1", subscription=SUM_SUB | {"external_id": HOSTILE, "plan": plan})


def _no_controls(text):
    return not any((ord(c) < 32 and c != "\n") or 0x7F <= ord(c) < 0xA0 for c in text)


def test_control_characters_are_shown_not_obeyed(capsys, tmp_path):
    """Names and ids with escape sequences are printed as visible escapes, tables aligned."""
    args = _hostile_files(tmp_path)
    events = tmp_path / "events.jsonl"
    events.write_text(_event_line("a", "1", sub=HOSTILE))
    runs = (
        ("current", args, IN_MARCH),
        ("past", args, AFTER_MARCH),
        ("period", args[:2], IN_MARCH),
    )
    for command, given_args, instant in runs:
        status, out, err = run(capsys, command, *given_args, "--now", instant)
        assert (status, err) == (0, "")
        assert _no_controls(out)
        assert SHOWN in out
    status, out, _ = run(capsys, "current", *args, "--now", IN_MARCH)
    assert out.splitlines()[0] == (
        f"Current usage of {SHOWN}, 2025-03-01 .. 2025-03-31 (UTC) at {IN_MARCH}"
    )
    lines = out.splitlines()
    assert len({len(line) for line in lines[2:5]}) == 1  # header, rule and row aligned


def test_json_output_escapes_what_a_terminal_obeys(capsys, tmp_path):
    """--json writes C1 controls and bidi overrides as \\u escapes: the same JSON, inert."""
    args = _hostile_files(tmp_path)
    status, out, _ = run(capsys, "current", *args, "--now", IN_MARCH, "--json")
    assert status == 0
    assert _no_controls(out)
    assert "\u202e" not in out
    assert json.loads(out)["charges_usage"][0]["charge"]["invoice_display_name"] == HOSTILE


def test_error_messages_show_control_characters(capsys, tmp_path):
    """A hostile id in an error message (and the file name) is escaped on stderr too."""
    subs = tmp_path / "subs.json"
    subs.write_text(json.dumps([SUM_SUB | {"external_id": HOSTILE}, SUM_SUB]))
    err = _error(capsys, "period", "--subscription", subs, "--now", IN_MARCH)
    assert err == (
        f"usage-engine: {subs}: holds 2 subscriptions ({SHOWN}, s); choose one with --external-id"
    )
    missing = tmp_path / "x\x1b[2J.json"
    err = _error(capsys, "period", "--subscription", missing)
    assert err == (
        f"usage-engine: {tmp_path}/x\\x1b[2J.json: cannot read the file: No such file or directory"
    )


def test_the_html_report_escapes_markup_and_controls(capsys, tmp_path):
    """The report shows a hostile name escaped for HTML and for a terminal (-o -)."""
    plan = json.loads(json.dumps(SUM_PLAN))
    plan["name"] = "<script>alert(1)</script>\x1b[2J"
    plan["charges"][0]["billable_metric"] = SUM | {"name": 'Sum "&" <b>'}
    args = _sum_files(tmp_path, "1", subscription=SUM_SUB | {"plan": plan})
    status, out, _ = run(capsys, "report", *args, "--now", IN_MARCH, "-o", "-")
    assert status == 0
    assert _no_controls(out)
    assert "<script>" not in out
    assert "Plan &lt;script&gt;alert(1)&lt;/script&gt;\\x1b[2J (p)" in out
    assert "<h3>Sum &quot;&amp;&quot; &lt;b&gt;</h3>" in out


def test_report_freezes_the_previous_period_as_past_does(capsys, sample_dir, sample, tmp_path):
    """The page's previous period is past_usage over every event (its digest shows it), though
    the report only rates the events stamped by that period's end."""
    target = tmp_path / "acme.html"
    run(capsys, "report", *_with_events(sample_dir), "--now", AT, "-o", target)
    subscription = sample.subscription("acme")
    (period,) = periods_before(subscription, AT, 1, plan=sample.plan)
    frozen = past_usage(sample.plan, sample.events, period, taxes=sample.taxes)
    assert f"<code>sha256:{frozen.digest}</code>" in target.read_text(encoding="utf-8")


def test_report_with_progress_off_a_terminal_writes_progress_lines(capsys, sample_dir, tmp_path):
    """--progress into a log (stderr not a terminal): the events read and the days rated, each
    report a line of its own, the last always written."""
    target = tmp_path / "acme.html"
    status, _, err = run(
        capsys, "report", *_with_events(sample_dir), "--now", AT, "-o", target, "--progress"
    )
    lines = err.splitlines()
    assert status == 0
    assert len(lines) == 3
    assert re.fullmatch(
        re.escape(f"{sample_dir / 'events.jsonl.gz'}: events read: 26,522 (")
        + r"[\d,]+/s, [\d.]+ s\)",
        lines[0],
    )
    assert lines[1] == ACME_NOTE.strip()
    assert re.fullmatch(r"rating day by day: 21/21 \([\d.]+ s\)", lines[2])
