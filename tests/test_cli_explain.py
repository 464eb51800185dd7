"""The commands that explain and compare bills: attribute and simulate."""

from __future__ import annotations

import json

import pytest

from usage_engine.cli import main

CALLS = {"code": "calls", "aggregation_type": "sum_agg", "field_name": "n"}
TIERS = [
    {"from_value": 0, "to_value": 100, "per_unit_amount": "0.10", "flat_amount": "0"},
    {"from_value": 101, "to_value": None, "per_unit_amount": "0.05", "flat_amount": "0"},
]
PLAN = {
    "code": "base",
    "interval": "monthly",
    "amount_currency": "EUR",
    "charges": [
        {
            "code": "api",
            "charge_model": "graduated",
            "billable_metric": CALLS,
            "properties": {"graduated_ranges": TIERS},
        }
    ],
}


def _event(key, day, n, user, subscription="s1"):
    return {
        "transaction_id": key,
        "external_subscription_id": subscription,
        "code": "calls",
        "timestamp": f"2024-03-{day:02d}T00:00:00Z",
        "properties": {"n": n, "user": user},
    }


@pytest.fixture
def files(tmp_path):
    (tmp_path / "plan.json").write_text(json.dumps(PLAN))
    subscriptions = [
        {"external_id": f"s{n}", "external_customer_id": f"c{n}",
         "subscription_at": "2024-01-01T00:00:00Z"} for n in (1, 2)
    ]  # fmt: skip
    (tmp_path / "subs.json").write_text(json.dumps(subscriptions))
    events = [
        _event("a", 2, 90, "ann"),
        _event("b", 9, 20, "bob"),
        _event("c", 10, 5, "ann"),
        _event("d", 3, 150, "cy", "s2"),
    ]
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    cheaper = {
        **PLAN,
        "code": "flat",
        "charges": [
            {**PLAN["charges"][0], "charge_model": "standard", "properties": {"amount": "0.08"}}
        ],
    }
    (tmp_path / "flat.json").write_text(json.dumps(cheaper))
    return tmp_path


def _attribute(capsys, files, *extra):
    status = main([
        "attribute", "--plan", str(files / "plan.json"), "--subscription",
        str(files / "subs.json"), "--external-id", "s1", "--events",
        str(files / "events.jsonl"), "--at", "2024-04-15T00:00:00Z", "--past", *extra,
    ])  # fmt: skip
    out, err = capsys.readouterr()
    return status, out, err


def test_attribute_lists_the_events_that_cost_most(capsys, files):
    status, out, _ = _attribute(capsys, files, "--top", "2")
    # A closed period: 90 units at 0.10 (9.00), then 10 at 0.10 and 10 at 0.05 (1.50), then
    # 5 at 0.05 (0.25): 10.75 in all.
    assert status == 0
    lines = out.splitlines()
    assert [
        line.split() for line in lines[lines.index("the 2 events that cost most:") + 3 :][:2]
    ] == [
        ["a", "2024-03-02T00:00:00Z", "api", "90", "9.00"],
        ["b", "2024-03-09T00:00:00Z", "api", "20", "1.50"],
    ]
    assert lines[-1] == "total 10.75 = events 10.75 + residuals 0.00"
    assert ["api", "convention", "marginal"] in [line.split() for line in lines]


def test_attribute_by_a_property_sums_per_value(capsys, files):
    _, out, _ = _attribute(capsys, files, "--by", "user")
    rows = [line.split() for line in out.splitlines()]
    # ann: 9.00 + 0.25; bob: 1.50.
    assert ["ann", "2", "9.25"] in rows
    assert ["bob", "1", "1.50"] in rows


def test_attribute_as_csv_gives_every_share(capsys, files):
    _, out, _ = _attribute(capsys, files, "--format", "csv")
    lines = out.splitlines()
    assert lines[0] == (
        "transaction_id,timestamp,charge_code,metric_code,filter,group,units,precise_amount,"
        "amount_cents,status"
    )
    assert [line.split(",")[0::8] for line in lines[1:]] == [
        ["a", "900"],
        ["b", "150"],
        ["c", "25"],
    ]


def test_simulate_prints_each_scenario_and_writes_the_page(capsys, files):
    target = files / "cohort.html"
    status = main([
        "simulate", "--plan", str(files / "plan.json"), "--scenario", str(files / "flat.json"),
        "--subscription", str(files / "subs.json"), "--events", str(files / "events.jsonl"),
        "--from", "2024-03-01T00:00:00Z", "--to", "2024-04-01T00:00:00Z", "-o", str(target),
    ])  # fmt: skip
    out, err = capsys.readouterr()
    # c1: 115 units, 10.75 -> 115 x 0.08 = 9.20; c2: 150 units, 12.50 -> 12.00.
    assert status == 0
    assert out.splitlines()[:2] == [
        "Scenario flat: 23.25 -> 21.20 EUR (-2.05, -8.82 %)",
        "customers: 0 pay more, 0 the same, 2 less; change p50 -14.42 %, p90 -4.00 %, p95 -4.00 %",
    ]
    assert out.splitlines()[2] == "largest decreases: c1 -1.55 (-14.42 %), c2 -0.50 (-4.00 %)"
    page = target.read_text(encoding="utf-8")
    assert page.count("<svg") == 1
    assert "<h2>Scenario flat</h2>" in page
    assert err.startswith(f"wrote {target}")


def test_reprice_compares_the_last_closed_period_under_plan_b(capsys, files):
    status = main([
        "reprice", "--plan", str(files / "plan.json"), "--other", str(files / "flat.json"),
        "--subscription", str(files / "subs.json"), "--external-id", "s1",
        "--events", str(files / "events.jsonl"), "--at", "2024-04-15T00:00:00Z",
    ])  # fmt: skip
    out, _ = capsys.readouterr()
    rows = [line.split() for line in out.splitlines()]
    # March: 115 units, graduated 10.75 against 115 x 0.08 = 9.20.
    assert status == 0
    assert ["api", "matched", "115", "10.75", "9.20", "-1.55", "-14.42", "%"] in rows
    assert out.splitlines()[-1] == "note: usage held fixed: the same events priced under both plans"
    status = main([
        "reprice", "--plan", str(files / "plan.json"), "--other", str(files / "flat.json"),
        "--subscription", str(files / "subs.json"), "--external-id", "s1",
        "--events", str(files / "events.jsonl"), "--at", "2024-04-15T00:00:00Z",
        "--format", "csv",
    ])  # fmt: skip
    out, _ = capsys.readouterr()
    assert out.splitlines() == [
        "charge,status,metric_code,units_a,units_b,amount_cents_a,amount_cents_b,delta_cents,percent",
        "api,matched,calls,115,115,1075,920,-155,-14.42",
    ]


def test_correct_prints_the_lines_of_late_events(capsys, files):
    frozen = files / "frozen.jsonl"
    frozen.write_text("".join(json.dumps(_event(k, d, n, u)) + "\n"
                              for k, d, n, u in (("a", 2, 90, "ann"),)))  # fmt: skip
    common = [
        "--plan", str(files / "plan.json"), "--subscription", str(files / "subs.json"),
        "--external-id", "s1", "--at", "2024-04-15T00:00:00Z",
        "--frozen-events", str(frozen), "--events", str(files / "events.jsonl"),
    ]  # fmt: skip
    # Frozen: 90 units, 9.00. Now 115: 10 more at 0.10 and 15 at 0.05 (1.75).
    canonical = files / "march.json"
    assert main(["past", *common[:-4], "--events", str(frozen), "--canonical"]) == 0
    canonical.write_text(capsys.readouterr().out)
    assert main(["correct", *common, "--frozen", str(canonical)]) == 0
    out, _ = capsys.readouterr()
    rows = [line.split() for line in out.splitlines()]
    assert ["api", "tier[1].per_unit", "delta", "10", "1.00"] in rows
    assert ["api", "tier[2].per_unit", "rebill", "15", "0.75"] in rows
    assert "fees 1.75, taxes 0.00, total 1.75 EUR" in out
    assert main(["correct", *common, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("charge,filter,group,component,kind,units,amount,amount_cents")
    assert [line.split(",")[3:8] for line in lines[1:]] == [
        ["tier[1].per_unit", "delta", "10", "1.00", "100"],
        ["tier[2].per_unit", "rebill", "15", "0.75", "75"],
    ]
    canonical.write_text("0" * 64)
    assert main(["correct", *common, "--frozen", str(canonical)]) == 2
    assert "is not what --frozen-events give" in capsys.readouterr().err
