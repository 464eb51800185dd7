"""Payloads as Lago's API gives them: wrappers, plans naming their metrics, one-line bodies.

Each payload is written as Lago's API reference documents its response, serialised with
``json.dumps`` and read back with ``json.loads``, as a user downloading it would.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from usage_engine import (
    BillableMetric,
    InvalidInput,
    Plan,
    billing_period,
    current_usage,
    past_usage,
    plan_with_metrics,
    rate_subscriptions,
)
from usage_engine._coerce import as_metric, as_plan, as_taxes
from usage_engine._files import UnreadableFile
from usage_engine._wrappers import unwrap, unwrap_events
from usage_engine.cli import EventFile, main

NOW = "2024-03-10T12:00:00Z"


def _downloaded(payload):
    """The payload as a client reads it from Lago's answer."""
    return json.loads(json.dumps(payload))


def _metric(lago_id, code, aggregation_type, field_name=None):
    """A billable metric object as GET /billable_metrics lists it."""
    return {
        "lago_id": lago_id,
        "name": code.title(),
        "code": code,
        "description": "",
        "aggregation_type": aggregation_type,
        "weighted_interval": None,
        "recurring": False,
        "rounding_function": None,
        "rounding_precision": None,
        "created_at": "2024-01-02T10:00:00Z",
        "expression": "",
        "field_name": field_name,
        "active_subscriptions_count": 1,
        "draft_invoices_count": 0,
        "plans_count": 1,
        "filters": [],
    }


METRICS = _downloaded(
    {
        "billable_metrics": [
            _metric("1a90-requests", "requests", "sum_agg", "count"),
            _metric("1a90-seats", "seats", "count_agg"),
        ],
        "meta": {
            "current_page": 1,
            "next_page": None,
            "prev_page": None,
            "total_pages": 1,
            "total_count": 2,
        },
    }
)


def _charge(lago_id, metric_id, metric_code, charge_model, properties):
    """A charge as the plan object carries it: the metric named, not embedded."""
    return {
        "lago_id": lago_id,
        "lago_billable_metric_id": metric_id,
        "code": None,
        "invoice_display_name": None,
        "billable_metric_code": metric_code,
        "created_at": "2024-01-02T10:00:00Z",
        "charge_model": charge_model,
        "invoiceable": True,
        "regroup_paid_fees": None,
        "pay_in_advance": False,
        "prorated": False,
        "min_amount_cents": 0,
        "properties": properties,
        "applied_pricing_unit": None,
        "lago_parent_id": None,
        "filters": [],
        "taxes": [],
    }


PLAN = _downloaded(
    {
        "plan": {
            "lago_id": "1a90-plan",
            "name": "Startup",
            "invoice_display_name": None,
            "created_at": "2024-01-02T10:00:00Z",
            "code": "startup",
            "interval": "monthly",
            "description": "",
            "amount_cents": 10000,
            "amount_currency": "USD",
            "trial_period": 0.0,
            "pay_in_advance": True,
            "bill_charges_monthly": None,
            "bill_fixed_charges_monthly": None,
            "active_subscriptions_count": 1,
            "draft_invoices_count": 0,
            "parent_id": None,
            "pending_deletion": False,
            "minimum_commitment": None,
            "charges": [
                _charge(
                    "1a90-c1",
                    "1a90-requests",
                    "requests",
                    "package",
                    {"amount": "30", "free_units": 100, "package_size": 1000},
                ),
                _charge("1a90-c2", "1a90-seats", "seats", "standard", {"amount": "0.5"}),
            ],
            "usage_thresholds": [],
            "taxes": [],
        }
    }
)

SUBSCRIPTION = {
    "lago_id": "1a90-sub",
    "external_id": "sub_1",
    "lago_customer_id": "1a90-cust",
    "external_customer_id": "cust_1",
    "name": "",
    "plan_code": "startup",
    "plan_amount_cents": 10000,
    "plan_amount_currency": "USD",
    "status": "active",
    "billing_time": "calendar",
    "subscription_at": "2024-01-15T00:00:00Z",
    "started_at": "2024-01-15T00:00:00.000Z",
    "trial_ended_at": None,
    "ending_at": None,
    "terminated_at": None,
    "canceled_at": None,
    "created_at": "2024-01-15T00:00:00Z",
    "previous_plan_code": None,
    "next_plan_code": None,
    "downgrade_plan_date": None,
    "current_billing_period_started_at": "2024-03-01T00:00:00Z",
    "current_billing_period_ending_at": "2024-03-31T23:59:59Z",
    "on_termination_credit_note": None,
    "on_termination_invoice": "generate",
    "progressive_billing_disabled": False,
    "plan": PLAN["plan"],
}


def _event(number, code, properties):
    return {
        "transaction_id": f"tx_{number}",
        "external_subscription_id": "sub_1",
        "code": code,
        "timestamp": 1709380800 + number,  # 2024-03-02T12:00:00Z
        "properties": properties,
    }


EVENTS = [
    _event(1, "requests", {"count": 700}),
    _event(2, "requests", {"count": "800"}),
    _event(3, "seats", {}),
    _event(4, "seats", {}),
    _event(5, "seats", {}),
]
BATCH = {"events": EVENTS}  # the body of POST /events/batch
# requests: 1,500 units, 100 free, 1,400 in packages of 1,000 at 30: 2 packages, 6,000 cents.
# seats: 3 events at 0.5: 150 cents.
REQUESTS_CENTS, SEATS_CENTS = 6000, 150


def _period():
    # The subscription's embedded plan names its metrics: the joined plan gives the interval.
    plan = plan_with_metrics(PLAN, METRICS)
    return billing_period({"subscription": _downloaded(SUBSCRIPTION)}, NOW, plan=plan)


# ---------------------------------------------------------------------------------------------
# Plans from GET /plans/{code}, joined with GET /billable_metrics.


def test_a_wrapped_plan_is_joined_with_its_metrics():
    """{"plan": ...} whose charges name their metrics, with {"billable_metrics": [...]}."""
    plan = plan_with_metrics(PLAN, METRICS)
    usage = current_usage(plan, EVENTS, _period(), now=NOW)
    assert [(fee.billable_metric.code, fee.amount_cents) for fee in usage.charges_usage] == [
        ("requests", REQUESTS_CENTS),
        ("seats", SEATS_CENTS),
    ]
    assert usage.amount_cents == REQUESTS_CENTS + SEATS_CENTS


def test_a_bare_plan_is_joined_with_a_bare_list_of_metrics():
    """The plan object unwrapped and the metrics as a list give the same plan."""
    assert plan_with_metrics(PLAN["plan"], METRICS["billable_metrics"]) == plan_with_metrics(
        PLAN, METRICS
    )


def test_a_charge_naming_its_metric_by_id_only_is_joined():
    """lago_billable_metric_id finds the metric whose lago_id it is."""
    plan = json.loads(json.dumps(PLAN))
    for charge in plan["plan"]["charges"]:
        del charge["billable_metric_code"]
    joined = plan_with_metrics(plan, METRICS)
    assert [charge.billable_metric.code for charge in joined.charges] == ["requests", "seats"]


def test_pages_of_metrics_are_joined():
    """Several pages of GET /billable_metrics, as a list of responses."""
    first, second = (
        {"billable_metrics": [metric], "meta": {"current_page": page, "total_pages": 2}}
        for page, metric in enumerate(METRICS["billable_metrics"], 1)
    )
    assert plan_with_metrics(PLAN, [first, second]) == plan_with_metrics(PLAN, METRICS)


def _decoy(index):
    return _metric(f"1a90-decoy-{index}", f"decoy_{index}", "count_agg")


@given(
    st.permutations([*METRICS["billable_metrics"], *map(_decoy, range(4))]),
    st.integers(min_value=0, max_value=6),
)
def test_the_order_and_pages_of_metrics_do_not_matter(metrics, cut):
    """However the metrics are ordered and paged, with others among them, the plan is one."""
    pages = [{"billable_metrics": metrics[:cut]}, {"billable_metrics": metrics[cut:]}]
    joined = plan_with_metrics(PLAN, pages)
    assert joined == plan_with_metrics(PLAN, METRICS)
    assert [charge.billable_metric.lago_id for charge in joined.charges] == [
        "1a90-requests",
        "1a90-seats",
    ]


def test_a_missing_metric_is_named():
    """A charge naming a metric not given: its field, its value and the codes given."""
    only_seats = {"billable_metrics": METRICS["billable_metrics"][1:]}
    with pytest.raises(InvalidInput) as caught:
        plan_with_metrics(PLAN, only_seats)
    assert caught.value.path == "plan.charges[0].billable_metric_code"
    assert str(caught.value) == (
        "plan.charges[0].billable_metric_code: is not among the billable metrics given "
        "(codes: seats) (got 'requests')"
    )


def test_a_bad_metric_is_named_where_it_was_given():
    """A metric is validated where it sits in the metrics given."""
    metrics = json.loads(json.dumps(METRICS))
    metrics["billable_metrics"][1]["aggregation_type"] = "count"
    with pytest.raises(InvalidInput) as caught:
        plan_with_metrics(PLAN, metrics)
    assert caught.value.path == "billable_metrics[1].aggregation_type"


def test_a_plan_naming_its_metrics_alone_says_how_to_join_them():
    """Without its metrics, the plan's error names the reference and the way to join."""
    with pytest.raises(InvalidInput) as caught:
        current_usage(PLAN, EVENTS, _period())
    assert caught.value.path == "plan.charges[0].billable_metric"
    assert "billable_metric_code 'requests'" in str(caught.value)
    assert "plan_with_metrics" in str(caught.value)


def test_a_plan_model_is_returned_as_it_is():
    """A Plan model embeds its metrics already."""
    plan = plan_with_metrics(PLAN, METRICS)
    assert plan_with_metrics(plan, []) is plan


def test_metrics_that_are_not_a_list_are_refused():
    """Anything but metrics, a list of them or Lago's response is InvalidInput."""
    with pytest.raises(InvalidInput) as caught:
        plan_with_metrics(PLAN, 42)
    assert caught.value.path == "billable_metrics"


# ---------------------------------------------------------------------------------------------
# Wrappers accepted wherever the bare object is.


def test_a_wrapped_plan_is_a_plan():
    """{"plan": ...} of an embedded-metric plan is read as the bare plan."""
    plan = plan_with_metrics(PLAN, METRICS).model_dump(mode="json")
    assert as_plan({"plan": plan}) == as_plan(plan)


def test_a_wrapped_billable_metric_is_a_metric():
    """GET /billable_metrics/{code} gives {"billable_metric": ...}."""
    payload = _downloaded({"billable_metric": METRICS["billable_metrics"][0]})
    metric = as_metric(payload)
    expected = ("requests", "count", "1a90-requests")
    assert (metric.code, metric.field_name, metric.lago_id) == expected
    assert isinstance(plan_with_metrics(PLAN, [payload, METRICS["billable_metrics"][1]]), Plan)


def test_a_wrapped_subscription_embedding_its_plan_gives_its_period():
    """GET /subscriptions/{external_id}: the embedded plan names its metrics and is set aside."""
    period = _period()
    assert (period.from_datetime.isoformat(), period.to_datetime.isoformat()) == (
        "2024-03-01T00:00:00+00:00",
        "2024-03-31T23:59:59.999999+00:00",
    )


def test_wrapped_subscriptions_are_rated():
    """GET /subscriptions: {"subscriptions": [...], "meta": ...}, each plan joined."""
    joined = plan_with_metrics(PLAN, METRICS)
    listing = {
        "subscriptions": [{**_downloaded(SUBSCRIPTION), "plan": joined}],
        "meta": {"current_page": 1, "total_pages": 1},
    }
    usages = rate_subscriptions(listing, BATCH, now=NOW)
    assert {key: usage.amount_cents for key, usage in usages.items()} == {
        "sub_1": REQUESTS_CENTS + SEATS_CENTS
    }


def test_wrapped_subscriptions_with_plans_naming_metrics_say_how_to_join():
    """The embedded plan of GET /subscriptions cannot be rated without its metrics."""
    listing = {"subscriptions": [_downloaded(SUBSCRIPTION)], "meta": {"current_page": 1}}
    with pytest.raises(InvalidInput) as caught:
        rate_subscriptions(listing, BATCH, now=NOW)
    assert caught.value.path == "subscriptions[0].plan.charges[0].billable_metric"


CUSTOMER = _downloaded(
    {
        "customer": {
            "lago_id": "1a90-cust",
            "external_id": "cust_1",
            "name": "Acme",
            "currency": "USD",
            "timezone": "Europe/Paris",
            "applicable_timezone": "Europe/Paris",
            "metadata": [],
            "taxes": [
                {
                    "lago_id": "1a90-vat",
                    "name": "VAT",
                    "code": "vat",
                    "rate": 20.0,
                    "description": "French VAT",
                    "applied_to_organization": False,
                    "created_at": "2024-01-02T10:00:00Z",
                }
            ],
        }
    }
)


def test_a_wrapped_customer_gives_its_taxes():
    """GET /customers/{external_id}: its taxes are the customer's taxes."""
    usage = current_usage(plan_with_metrics(PLAN, METRICS), EVENTS, _period(), taxes=CUSTOMER)
    assert usage.amount_cents == REQUESTS_CENTS + SEATS_CENTS
    assert usage.taxes_amount_cents == (REQUESTS_CENTS + SEATS_CENTS) // 5
    assert [(tax.code, tax.rate) for tax in as_taxes(CUSTOMER)] == [("vat", Decimal("20.0"))]
    assert as_taxes(CUSTOMER["customer"]) == as_taxes(CUSTOMER)


def test_a_customer_without_taxes_has_none():
    """A customer object with no taxes gives none."""
    assert as_taxes({"customer": {"external_id": "cust_1", "taxes": None}}) == ()


def test_the_customer_embedded_in_a_subscription_gives_its_timezone():
    """GET /subscriptions/{id} with its customer: the period follows the customer's zone."""
    subscription = {"subscription": {**_downloaded(SUBSCRIPTION), **CUSTOMER}}
    period = billing_period(subscription, NOW, plan=plan_with_metrics(PLAN, METRICS))
    assert period.from_datetime.isoformat() == "2024-02-29T23:00:00+00:00"


# ---------------------------------------------------------------------------------------------
# Events: a batch body, one event, GET /events.


def test_a_batch_body_is_events():
    """The body of POST /events/batch rates as its list of events."""
    plan, period = plan_with_metrics(PLAN, METRICS), _period()
    assert current_usage(plan, _downloaded(BATCH), period) == current_usage(plan, EVENTS, period)


def test_a_listing_of_events_is_events():
    """GET /events: {"events": [...], "meta": ...}, each event with Lago's own fields."""
    listed = [
        {**event, "lago_id": f"1a90-{index}", "lago_customer_id": "1a90-cust", "created_at": NOW}
        for index, event in enumerate(EVENTS)
    ]
    payload = _downloaded({"events": listed, "meta": {"current_page": 1, "total_pages": 1}})
    usage = current_usage(plan_with_metrics(PLAN, METRICS), payload, _period())
    assert usage.amount_cents == REQUESTS_CENTS + SEATS_CENTS


def test_a_single_wrapped_event_is_one_event():
    """POST /events and GET /events/{transaction_id}: {"event": {...}}."""
    plan = plan_with_metrics(PLAN, METRICS)
    usage = past_usage(plan, _downloaded({"event": EVENTS[2]}), _period())
    assert usage.amount_cents == 50


def test_a_bare_event_is_still_not_a_stream():
    """One bare event is refused, not read as a stream of its keys."""
    with pytest.raises(InvalidInput) as caught:
        current_usage(plan_with_metrics(PLAN, METRICS), EVENTS[0], _period())
    assert caught.value.path == "events"


@given(st.dictionaries(st.sampled_from(["code", "plan", "meta", "name"]), st.integers()))
def test_unwrapping_leaves_what_is_no_wrapper(value):
    """Only {key: object} (with a meta beside it) is unwrapped; any other mapping is kept."""
    result = unwrap(value, "plan")
    if "plan" in value and set(value) <= {"plan", "meta"}:
        assert result == value["plan"]
    else:
        assert result is value
    if "events" not in value and "event" not in value:
        assert unwrap_events(value) is value


# ---------------------------------------------------------------------------------------------
# Files: a batch body on one line or indented, --metrics.


@pytest.mark.parametrize("indent", [None, 2], ids=["one line", "indented"])
def test_a_batch_body_file_is_read_as_events(tmp_path, indent):
    """json.dump of a batch body, on one line or indented: its events, in order."""
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(BATCH, indent=indent))
    source = EventFile(str(path))
    assert list(source) == EVENTS


def test_json_lines_of_batch_bodies_stream_by_line(tmp_path):
    """Several batch bodies, one a line: JSON Lines, each event knowing its line."""
    path = tmp_path / "batches.jsonl"
    bodies = [{"events": EVENTS[:2]}, {"event": EVENTS[2]}, EVENTS[3], {"events": EVENTS[4:]}]
    path.write_text("\n".join(json.dumps(body) for body in bodies) + "\n")
    source = EventFile(str(path))
    assert list(source) == EVENTS
    assert [source.line_of(index) for index in range(5)] == [1, 1, 2, 3, 4]


def test_a_batch_body_line_with_a_bad_event_names_it(tmp_path):
    """An item of a one-line batch body that is not an object: its line and index."""
    path = tmp_path / "batch.json"
    path.write_text(json.dumps({"events": [EVENTS[0], 7]}))
    with pytest.raises(UnreadableFile) as caught:
        list(EventFile(str(path)))
    assert str(caught.value) == (
        f"{path} line 1: events[1] must be a JSON object (an event), not a number"
    )


def _write(tmp_path, name, payload, indent=None):
    path = tmp_path / name
    path.write_text(json.dumps(payload, indent=indent))
    return str(path)


def test_the_command_line_reads_lago_exports_as_they_are(tmp_path, capsys):
    """--plan from GET /plans/{code}, --metrics, a one-line batch body, a wrapped customer."""
    args = [
        "current",
        "--subscription",
        _write(tmp_path, "subscription.json", {"subscription": SUBSCRIPTION}),
        "--plan",
        _write(tmp_path, "plan.json", PLAN),
        "--metrics",
        _write(tmp_path, "metrics.json", METRICS),
        "--events",
        _write(tmp_path, "batch.json", BATCH),
        "--taxes",
        _write(tmp_path, "customer.json", CUSTOMER),
        "--now",
        NOW,
        "--json",
    ]
    assert main(args) == 0
    usage = json.loads(capsys.readouterr().out)
    assert (usage["amount_cents"], usage["taxes_amount_cents"]) == (6150, 1230)
    assert [charge["amount_cents"] for charge in usage["charges_usage"]] == [6000, 150]


def test_the_command_line_joins_the_plan_embedded_in_the_subscription(tmp_path, capsys):
    """With --metrics and no --plan, the plan Lago embeds in the subscription is joined."""
    args = [
        "current",
        "--subscription",
        _write(tmp_path, "subscription.json", {"subscription": SUBSCRIPTION}),
        "--metrics",
        _write(tmp_path, "metrics.json", METRICS),
        "--events",
        _write(tmp_path, "batch.json", BATCH),
        "--now",
        NOW,
        "--json",
    ]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["amount_cents"] == 6150


def test_the_command_line_names_a_missing_metric(tmp_path, capsys):
    """--metrics without the plan's metric: one line naming the file, the field, the value."""
    args = [
        "current",
        "--subscription",
        _write(tmp_path, "subscription.json", {"subscription": SUBSCRIPTION}),
        "--plan",
        _write(tmp_path, "plan.json", PLAN),
        "--metrics",
        _write(tmp_path, "metrics.json", {"billable_metrics": []}),
        "--events",
        _write(tmp_path, "batch.json", BATCH),
        "--now",
        NOW,
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "plan.json: plan.charges[0].billable_metric_code: is not among the billable" in err
    assert "(got 'requests')" in err


def test_metric_type_is_a_model():
    """The join embeds validated metrics."""
    plan = plan_with_metrics(PLAN, METRICS)
    assert all(isinstance(charge.billable_metric, BillableMetric) for charge in plan.charges)


def test_json_lines_of_documents_read_as_an_array(tmp_path, capsys):
    """Subscriptions one a line and pages of metrics one a line: JSON Lines, by content."""
    other = {**SUBSCRIPTION, "external_id": "sub_2"}
    subscriptions = tmp_path / "subscriptions.jsonl"
    subscriptions.write_text(json.dumps(other) + "\n" + json.dumps(SUBSCRIPTION) + "\n")
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text(
        "\n".join(
            json.dumps({"billable_metrics": [metric], "meta": {"current_page": page}})
            for page, metric in enumerate(METRICS["billable_metrics"], 1)
        )
    )
    args = [
        "current",
        "--subscription",
        str(subscriptions),
        "--external-id",
        "sub_1",
        "--metrics",
        str(metrics),
        "--events",
        _write(tmp_path, "batch.json", BATCH, indent=2),
        "--now",
        NOW,
        "--json",
    ]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["amount_cents"] == 6150


def test_a_broken_document_is_not_read_as_lines(tmp_path, capsys):
    """Text that is neither one document nor JSON Lines keeps the document's error."""
    path = tmp_path / "plan.json"
    path.write_text('{"plan": {"code": "p",\n "interval": }}\n')
    args = ["period", "--subscription", _write(tmp_path, "s.json", SUBSCRIPTION)]
    assert main([*args, "--plan", str(path), "--at", NOW]) == 2
    err = capsys.readouterr().err
    assert f"{path} line 2 column 14: invalid JSON (Expecting value)" in err


def test_the_command_line_asks_for_the_metrics_of_an_embedded_plan(tmp_path, capsys):
    """A subscription from Lago without --metrics: the error says what to give."""
    path = _write(tmp_path, "subscription.json", {"subscription": SUBSCRIPTION})
    events = _write(tmp_path, "batch.json", BATCH)
    assert main(["current", "--subscription", path, "--events", events, "--now", NOW]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage-engine: {path}: plan.charges[0].billable_metric: is required: ")
    assert "--metrics" in err
