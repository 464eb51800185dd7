"""The bundled sample and the demo: reproducible data, every feature, exact figures."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from usage_engine import Plan, current_usage, past_usage, periods_before, projected_usage
from usage_engine.cli import main
from usage_engine.demo import (
    EVENTS_FILE,
    NOW,
    demo_json,
    generate_sample,
    load_sample,
    run_demo,
    sample_files,
    subscription_result,
)


@pytest.fixture(scope="module")
def sample():
    """The bundled sample as data."""
    return load_sample()


@pytest.fixture(scope="module")
def demo_text():
    """The demo's text output."""
    return run_demo()


def test_package_data_is_the_generator_output():
    """The shipped files are exactly what generate_sample() writes (same seed, same bytes)."""
    data = resources.files("usage_engine").joinpath("data")
    for name, content in sample_files(generate_sample()).items():
        shipped = data.joinpath(name).read_bytes()
        if name == EVENTS_FILE:
            assert gzip.decompress(shipped) == gzip.decompress(content), name
        else:
            assert shipped == content, name


def test_events_file_is_small():
    """Tens of thousands of events in a few hundred kilobytes."""
    shipped = resources.files("usage_engine").joinpath("data", EVENTS_FILE).read_bytes()
    assert len(shipped) < 300_000
    assert gzip.decompress(shipped).count(b"\n") == 26522


def test_sample_uses_every_charge_model_and_feature(sample):
    """Every charge model, filters, pricing groups, recurring and prorated charges, a minimum."""
    plan = Plan.model_validate(sample.plan)
    assert {charge.charge_model.value for charge in plan.charges} == {
        "standard",
        "graduated",
        "graduated_percentage",
        "package",
        "percentage",
        "volume",
        "dynamic",
    }
    assert {charge.billable_metric.aggregation_type.value for charge in plan.charges} == {
        "count_agg",
        "sum_agg",
        "max_agg",
        "unique_count_agg",
        "latest_agg",
        "weighted_sum_agg",
    }
    prorated = [charge.code for charge in plan.charges if charge.prorated]
    recurring = [charge.code for charge in plan.charges if charge.billable_metric.recurring]
    assert (prorated, recurring) == (["seats"], ["seats", "storage"])
    assert [charge.code for charge in plan.charges if charge.filters] == ["api_requests", "compute"]
    assert [charge.code for charge in plan.charges if charge.properties.group_keys] == ["compute"]
    assert [charge.code for charge in plan.charges if charge.min_amount_cents] == ["payouts"]
    assert sample.taxes == ({"code": "vat_20", "name": "VAT", "rate": "20"},)


def test_sample_subscriptions_differ_in_timezone_and_billing(sample):
    """Four subscriptions: four timezones, both billing times."""
    rows = [(item["timezone"], item["billing_time"]) for item in sample.subscriptions]
    assert rows == [
        ("Europe/Paris", "calendar"),
        ("America/New_York", "anniversary"),
        ("Asia/Tokyo", "calendar"),
        ("UTC", "anniversary"),
    ]


def test_events_cover_two_periods_up_to_now(sample):
    """Events run from late August to the demo's now, sorted, with a few resent duplicates."""
    stamps = [event["timestamp"] for event in sample.events]
    ids = [event["transaction_id"] for event in sample.events]
    assert stamps == sorted(stamps)
    assert (min(stamps), max(stamps)) == (1788134400, 1792497600)
    assert max(stamps) <= NOW.timestamp()
    assert len(ids) - len(set(ids)) == 57


def test_demo_overview(demo_text):
    """The overview gives every subscription's period, usage, projection and previous period."""
    lines = demo_text.splitlines()
    assert lines[:2] == [
        "usage_engine demo: plan 'Scale' (scale, monthly, EUR), 10 charges;",
        "4 subscriptions, 26,522 events",
    ]
    periods = [line.split() for line in lines[5:10]]
    assert periods == [
        ["-" * 12, "-" * 16, "-" * 11, "-" * 24, "-----"],
        ["acme", "Europe/Paris", "calendar", "2026-10-01", "..", "2026-10-31", "20/31"],
        ["globex", "America/New_York", "anniversary", "2026-10-15", "..", "2026-11-14", "6/31"],
        ["initech", "Asia/Tokyo", "calendar", "2026-10-01", "..", "2026-10-31", "20/31"],
        ["umbrella", "UTC", "anniversary", "2026-09-30", "..", "2026-10-30", "21/31"],
    ]
    amounts = [line.split() for line in lines[11:17]]
    assert amounts == [
        ["subscription", "usage", "so", "far", "projected", "previous", "period"],
        ["-" * 12, "-" * 12, "-" * 9, "-" * 15],
        ["acme", "1,637.66", "2,400.73", "1,900.61"],
        ["globex", "803.25", "1,805.64", "1,673.47"],
        ["initech", "421.84", "629.79", "368.12"],
        ["umbrella", "2,031.14", "2,560.05", "2,355.86"],
    ]


@pytest.mark.parametrize("subscription", ["acme", "globex", "initech", "umbrella"])
def test_the_demo_fits_an_80_column_terminal(subscription):
    """Every line of the demo, for every sample subscription, is at most 80 characters."""
    widths = [len(line) for line in run_demo(subscription).splitlines()]
    assert max(widths) <= 80
    assert max(widths) >= 70  # the widest tables are wrapped, not cut short


def test_demo_details(demo_text):
    """The details show the period, the usage with its projection and the frozen previous period."""
    assert "  charges       2026-10-01 00:00:00 .. 2026-10-31 23:59:59 local, 31 days" in demo_text
    assert "64.5 % of the period elapsed, today included" in demo_text
    rows = [line.split() for line in demo_text.splitlines()]
    # The projection is its own table, row for row: 80 columns would not hold both.
    assert ["Payouts", "percentage", "68,448.59", "35", "180.78"] in rows
    assert ["Payouts", "106,095.31", "285.71"] in rows
    assert ["Seats", "graduated", "(prorated)", "13", "13", "146.45"] in rows
    assert ["Seats", "13", "146.45"] in rows
    assert ["usage", "1,637.66"] in rows
    assert ["usage", "2,400.73"] in rows
    assert ["usage", "1,900.61"] in rows
    assert (
        "Previous period (frozen) of acme, 2026-09-01 .. 2026-09-30 (Europe/Paris)\n"
        "issued 2026-10-01\n" in demo_text
    )
    assert (
        "digest   sha256:312f5c650ad44e0abf769629b87803132619cd762953f7f667349e96013ab9ad"
        in demo_text
    )


def test_demo_is_deterministic(demo_text):
    """The demo prints the same text every time."""
    assert run_demo() == demo_text


def test_demo_results_are_the_library_results(sample):
    """The demo's figures are current_usage, projected_usage and past_usage on the sample."""
    result = subscription_result(sample, "umbrella")
    plan, taxes, events = sample.plan, sample.taxes, sample.events
    current = current_usage(plan, events, result.period, now=NOW, taxes=taxes)
    projected = projected_usage(plan, events, result.period, now=NOW, taxes=taxes)
    (before,) = periods_before(result.subscription, NOW, 1, plan=plan)
    assert result.current == current
    assert result.projected == projected
    assert result.previous == past_usage(plan, events, before, taxes=taxes)
    assert (current.amount_cents, projected.projected_amount_cents) == (203114, 256005)


def test_demo_json(capsys, sample):
    """demo --json gives the period, Lago's usage shapes and the previous period's digest."""
    assert main(["demo", "--json", "--subscription", "initech"]) == 0
    document = json.loads(capsys.readouterr().out)
    result = subscription_result(sample, "initech")
    assert document == demo_json("initech")
    assert document["customer_usage"] == result.current.to_lago()
    assert document["customer_projected_usage"] == result.projected.to_lago()
    assert document["past_usage"]["usage"] == result.previous.to_lago()
    assert document["past_usage"]["digest"] == result.previous.digest
    assert document["past_usage"]["true_ups"][0]["amount_cents"] == 486


def test_demo_unknown_subscription(capsys):
    """An unknown sample subscription is one line and exit status 2."""
    assert main(["demo", "--subscription", "hooli"]) == 2
    assert capsys.readouterr().err == (
        "usage-engine: --subscription: no sample subscription 'hooli' "
        "(known: acme, globex, initech, umbrella)\n"
    )


def test_demo_report(capsys, tmp_path):
    """demo --report writes the HTML report of the chosen subscription too."""
    target = tmp_path / "demo.html"
    assert main(["demo", "--subscription", "globex", "--report", str(target)]) == 0
    captured = capsys.readouterr()
    page = target.read_text(encoding="utf-8")
    assert captured.out.startswith("usage_engine demo:")
    assert captured.err == f"wrote {target} ({len(page.encode()):,} bytes)\n"
    assert page.count("<svg") == 10
    assert "<td>usage so far</td><td>803.25</td>" in page


def test_console_script_runs_the_demo():
    """The installed usage-engine script runs the demo (the README's command)."""
    script = shutil.which("usage-engine", path=str(Path(sys.executable).parent))
    assert script is not None
    done = subprocess.run([script, "demo"], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == run_demo() + "\n"


def test_an_unknown_sample_subscription_is_invalid_input():
    from usage_engine import InvalidInput

    with pytest.raises(InvalidInput) as raised:
        load_sample().subscription("hooli")
    assert raised.value.path == "external_id"
    assert raised.value.errors[0].message == (
        "no sample subscription 'hooli' (known: acme, globex, initech, umbrella)"
    )
