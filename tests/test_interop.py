"""The official lago-python-client parses our Lago-shaped output."""

from lago_python_client.models.customer_projected_usage import CustomerProjectedUsageResponse
from lago_python_client.models.customer_usage import CustomerUsageResponse

from tests.showcase import NOW, PERIOD, showcase_events, showcase_plan
from usage_engine import current_usage, past_usage, projected_usage


def test_current_usage_parses_with_the_official_client():
    """CustomerUsageResponse reads to_lago() of a plan using every model, filters and groups."""
    usage = current_usage(showcase_plan(), showcase_events(), PERIOD, now=NOW)
    parsed = CustomerUsageResponse.parse_obj(usage.to_lago())
    assert parsed.amount_cents == usage.amount_cents
    assert len(parsed.charges_usage) == 8
    compute = next(c for c in parsed.charges_usage if c.billable_metric.code == "compute")
    assert [f.values for f in compute.filters] == [
        {"region": ["eu"]},
        {"region": ["us"], "tier": ["gold"]},
        None,
    ]
    assert compute.grouped_usage
    ours = next(c for c in usage.charges_usage if c.billable_metric.code == "compute")
    assert compute.charge.lago_id == ours.charge.lago_id
    assert [c.billable_metric.name for c in parsed.charges_usage] == [
        "API calls",
        "Compute hours",
        "Payments",
        "Peak",
        "Resold",
        "Seats",
        "Storage",
        "Tokens",
    ]


def test_projected_usage_parses_with_the_official_client():
    """CustomerProjectedUsageResponse reads the projected shape."""
    usage = projected_usage(showcase_plan(), showcase_events(), PERIOD, now=NOW)
    parsed = CustomerProjectedUsageResponse.parse_obj(usage.to_lago())
    assert parsed.projected_amount_cents == usage.projected_amount_cents
    assert sum(c.projected_amount_cents for c in parsed.charges_usage) == (
        usage.projected_amount_cents
    )


def test_past_usage_entry_parses_as_a_usage_period():
    """A past-usage entry has the current-usage shape (spec 10.3)."""
    usage = past_usage(showcase_plan(), showcase_events(), PERIOD)
    parsed = CustomerUsageResponse.parse_obj(usage.to_lago())
    assert parsed.total_amount_cents == usage.total_amount_cents


def test_stable_ids_when_the_input_has_none():
    """Charges and metrics without ids get the same derived lago_id on every run."""
    first = current_usage(showcase_plan(), [], PERIOD).to_lago()
    second = current_usage(showcase_plan(), [], PERIOD).to_lago()
    ids = [
        (c["charge"]["lago_id"], c["billable_metric"]["lago_id"]) for c in first["charges_usage"]
    ]
    assert ids == [
        (c["charge"]["lago_id"], c["billable_metric"]["lago_id"]) for c in second["charges_usage"]
    ]
    assert len({charge for charge, _ in ids}) == 8
