"""The invariant catalogue of docs/invariants.md, each checked on generated plans and events."""

from __future__ import annotations

import copy
import hashlib
import json
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from lago_python_client.models.customer_projected_usage import CustomerProjectedUsageResponse
from lago_python_client.models.customer_usage import CustomerUsageResponse

from tests import factories as make
from tests.properties.strategies import cases, last_day_instants
from usage_engine import (
    BillingPeriod,
    Plan,
    UsageState,
    current_usage,
    past_usage,
    projected_usage,
    rate_subscriptions,
    verify,
)
from usage_engine import strategies as ue
from usage_engine.money import exponent, subunit_to_unit

# Each example prices a whole plan several times: a third of the profile's examples.
EXAMPLES = settings(max_examples=max(10, settings().max_examples // 3))
METHODS = st.sampled_from(["lago", "exact"])
CENT = Decimal("0.01")


def usage_of(case, events):
    return current_usage(case.plan, events, case.period, now=case.now, taxes=case.taxes)


def first_copies(events):
    """The events without re-sent copies: the first occurrence of each transaction_id."""
    kept = {}
    for event in events:
        kept.setdefault(event["transaction_id"], event)
    return list(kept.values())


@EXAMPLES
@given(case=cases(), data=st.data())
def test_order_of_events_does_not_matter(case, data):
    """Any permutation of the events gives the same current usage."""
    shuffled = data.draw(st.permutations(case.events))
    assert usage_of(case, shuffled) == usage_of(case, case.events)


@EXAMPLES
@given(case=cases(), data=st.data())
def test_resent_events_change_nothing(case, data):
    """Events re-sent with the same transaction_id and content, anywhere, are counted once."""
    stream = list(case.events)
    for resent in data.draw(st.lists(st.sampled_from(stream), max_size=8)) if stream else []:
        stream.insert(data.draw(st.integers(0, len(stream))), dict(resent))
    assert usage_of(case, stream) == usage_of(case, first_copies(case.events))


@EXAMPLES
@given(case=cases(), data=st.data())
def test_split_and_merged_states_equal_one_pass(case, data):
    """UsageStates built on any split of the events, merged in any order, give one pass's usage."""
    events = case.events
    cuts = sorted(data.draw(st.lists(st.integers(0, len(events)), max_size=3)))
    parts = [events[a:b] for a, b in zip([0, *cuts], [*cuts, len(events)], strict=True)]
    states = []
    for part in parts:
        state = UsageState(case.plan, case.period, taxes=case.taxes)
        state.add(part)
        states.append(state)
    order = data.draw(st.permutations(states))
    merged = order[0]
    for other in order[1:]:
        merged.merge(other)
    assert merged.current_usage() == usage_of(case, events)
    method = data.draw(METHODS)
    assert merged.projected_usage(now=case.now, method=method) == projected_usage(
        case.plan, events, case.period, now=case.now, taxes=case.taxes, method=method
    )


@EXAMPLES
@given(case=cases(), data=st.data())
def test_other_subscriptions_events_are_never_counted(case, data):
    """Events of other subscriptions, even reusing our transaction ids, change nothing."""
    foreign = data.draw(
        ue.events(case.plan, case.period, max_events=15, subscription_ids=["sub_2", "other"])
    )
    mixed = list(case.events)
    for event in foreign:
        mixed.insert(data.draw(st.integers(0, len(mixed))), event)
    alone = usage_of(case, case.events)
    assert usage_of(case, mixed) == alone
    batch = rate_subscriptions([case.subscription], mixed, now=case.now, taxes=case.taxes)
    assert batch == {case.period.external_subscription_id: alone}


MONOTONE_MODELS = ["standard", "graduated", "package", "volume"]


def _rising_volumes(plan):
    """The plan with each volume charge's prices sorted so they never fall from one range to
    the next: a volume price prices every unit, so a cheaper next range lowers the amount."""
    plan = copy.deepcopy(plan)
    for charge in plan["charges"]:
        filters = charge.get("filters", [])
        for properties in [charge["properties"], *(item["properties"] for item in filters)]:
            ranges = properties.get("volume_ranges", [])
            for key in ("per_unit_amount", "flat_amount"):
                prices = sorted((item[key] for item in ranges), key=Decimal)
                for item, price in zip(ranges, prices, strict=True):
                    item[key] = price
    return plan


@EXAMPLES
@given(
    case=cases(
        plans=ue.plans(min_charges=1, aggregation_types=["sum_agg"], charge_models=MONOTONE_MODELS)
    ),
    data=st.data(),
)
def test_a_positive_event_never_lowers_a_sum_amount(case, data):
    """One more event with a positive value never lowers a sum charge's amount, nor the total
    (volume prices rising from range to range)."""
    case = case._replace(plan=_rising_volumes(case.plan))
    plan = Plan.model_validate(case.plan)
    code = data.draw(st.sampled_from(sorted({c.billable_metric.code for c in plan.charges})))
    (extra,) = data.draw(
        ue.events(
            case.plan,
            case.period,
            codes=[code],
            min_events=1,
            max_events=1,
            duplicate_rate=0,
            id_prefix="extra",
        )
    )
    value = data.draw(st.decimals(min_value="0.0001", max_value=1000, places=4))
    extra["properties"]["value"] = format(value, "f")
    before, after = usage_of(case, case.events), usage_of(case, [*case.events, extra])
    for old, new in zip(before.charges_usage, after.charges_usage, strict=True):
        assert new.amount_cents >= old.amount_cents, new.charge
    assert after.amount_cents >= before.amount_cents


def test_a_cheaper_next_volume_range_can_lower_the_amount():
    """Why the invariant above sorts volume prices: 1 unit costs 1.00 in range 0-1, and 0.0001
    more puts 1.0001 units in the free range 2-3 (from_value <= ceil(units), spec 4.6)."""
    ranges = [
        {"from_value": 0, "to_value": 1, "per_unit_amount": "1", "flat_amount": "0"},
        {"from_value": 2, "to_value": None, "per_unit_amount": "0", "flat_amount": "0"},
    ]
    volume = make.charge(
        "volume", {"volume_ranges": ranges}, billable_metric=make.metric("sum_agg")
    )
    the_plan = make.plan(volume)
    one = [make.event("m", make.utc(2024, 3, 5), {"value": 1})]
    more = [*one, make.event("m", make.utc(2024, 3, 6), {"value": "0.0001"})]
    march = make.month_period(2024, 3)
    assert current_usage(the_plan, one, march).amount_cents == 100
    assert current_usage(the_plan, more, march).amount_cents == 0
    assert current_usage(_rising_volumes(the_plan), more, march).amount_cents == 100


def _held(charge, line):
    """Whether current usage's amount is what projecting the units at ratio 1 re-prices."""
    return not charge.pay_in_advance and all(
        fee.priced_units == fee.priced_units.quantize(CENT) for fee in line.fees
    )


@EXAMPLES
@given(case=cases(), data=st.data())
def test_last_day_projection_equals_current_usage(case, data):
    """On the period's last day the projection is the current usage (units to 2 decimals)."""
    now = data.draw(last_day_instants(case.period))
    usage = projected_usage(
        case.plan, case.events, case.period, now=now, taxes=case.taxes, method="exact"
    )
    assert usage.ratio == 1
    charges = {c.lago_id: c for c in Plan.model_validate(case.plan).charges}
    for line in usage.charges_usage:
        charge = charges[line.charge.lago_id]
        if charge.billable_metric.recurring:
            continue  # held flat: test_recurring_metrics_project_flat
        for fee in line.fees:
            # Pay-in-advance charges project their level, not the peak they are priced at.
            units = fee.units if charge.pay_in_advance else fee.priced_units
            assert fee.projected_units == max(units.quantize(CENT, rounding=ROUND_HALF_UP), 0)
        if _held(charge, line):
            assert line.projected_amount_cents == line.amount_cents


@EXAMPLES
@given(
    case=cases(
        plans=ue.plans(
            min_charges=1, aggregation_types=["sum_agg", "unique_count_agg", "weighted_sum_agg"]
        )
    ),
    method=METHODS,
)
def test_recurring_metrics_project_flat(case, method):
    """A recurring metric's charge projects to its current units and amount, at any instant."""
    usage = projected_usage(
        case.plan, case.events, case.period, now=case.now, taxes=case.taxes, method=method
    )
    charges = {c.lago_id: c for c in Plan.model_validate(case.plan).charges}
    for line in usage.charges_usage:
        if charges[line.charge.lago_id].billable_metric.recurring:
            assert (line.projected_units, line.projected_amount_cents) == (
                line.units,
                line.amount_cents,
            )
            for fee in line.fees:
                assert (fee.projected_units, fee.projected_amount_cents) == (
                    fee.units,
                    fee.amount_cents,
                )


@EXAMPLES
@given(case=cases(), data=st.data())
def test_past_usage_digest_is_reproducible(case, data):
    """The digest is the SHA-256 of the canonical JSON, and the same from JSON-borne inputs,
    shuffled and re-sent events; verify() confirms it."""
    frozen = past_usage(case.plan, case.events, case.period, taxes=case.taxes)
    assert frozen.digest == hashlib.sha256(frozen.canonical_json().encode()).hexdigest()
    resent = data.draw(st.lists(st.sampled_from(case.events), max_size=5)) if case.events else []
    shuffled = data.draw(st.permutations(first_copies(case.events) + resent))
    again = past_usage(
        json.loads(json.dumps(case.plan)),
        json.loads(json.dumps(shuffled)),
        BillingPeriod.model_validate_json(case.period.model_dump_json()),
        taxes=json.loads(json.dumps(case.taxes)),
    )
    assert (again.digest, again, hash(again)) == (frozen.digest, frozen, hash(frozen))
    assert verify(frozen.digest, case.plan, shuffled, case.period, taxes=case.taxes).matches


def _seen_by(client, ours):
    """``ours`` restricted to the fields the client's model reads. A field the client reads but
    we do not send must be optional there (the projected model's ``invoice_id``: Lago sends
    ``lago_invoice_id``, as in current usage, spec 10.2)."""
    if isinstance(client, dict):
        assert all(client[key] is None for key in set(client) - set(ours))
        return {key: _seen_by(value, ours.get(key)) for key, value in client.items()}
    if isinstance(client, list):
        assert len(client) == len(ours)
        return [_seen_by(item, mine) for item, mine in zip(client, ours, strict=True)]
    return ours


@EXAMPLES
@given(case=cases(), method=METHODS)
def test_to_lago_round_trips_through_the_official_client(case, method):
    """lago-python-client parses the JSON of to_lago() back to the same values."""
    results = [
        (usage_of(case, case.events), CustomerUsageResponse),
        (
            projected_usage(
                case.plan, case.events, case.period, now=case.now, taxes=case.taxes, method=method
            ),
            CustomerProjectedUsageResponse,
        ),
        (past_usage(case.plan, case.events, case.period, taxes=case.taxes), CustomerUsageResponse),
    ]
    for result, response in results:
        payload = json.loads(json.dumps(result.to_lago()))
        parsed = response.parse_obj(payload).dict()
        assert parsed == _seen_by(parsed, payload)


def _cents(amount: Decimal, currency: str) -> int:
    """Lago's conversion: round half up to the currency's exponent, then scale; MRO's half
    khoums (exponent 1, 5 per unit) are dropped toward zero, as its integer column does."""
    places = Decimal(1).scaleb(-exponent(currency))
    scaled = amount.quantize(places, rounding=ROUND_HALF_UP) * subunit_to_unit(currency)
    return int(scaled.to_integral_value(rounding=ROUND_DOWN))


def _sums(parts, whole, fields):
    for field in fields:
        assert getattr(whole, field) == sum(getattr(part, field) for part in parts), field


def _check_totals(usage, currency):
    assert type(usage.amount_cents) is int
    assert type(usage.taxes_amount_cents) is int
    assert usage.total_amount_cents == usage.amount_cents + usage.taxes_amount_cents
    assert usage.amount_cents == sum(line.amount_cents for line in usage.charges_usage)
    fields = ["amount_cents", "units", "events_count"]
    projected = getattr(usage, "projected_amount_cents", None) is not None
    if projected:
        fields += ["projected_amount_cents", "projected_units"]
        assert usage.projected_amount_cents == sum(
            line.projected_amount_cents for line in usage.charges_usage
        )
    for line in usage.charges_usage:
        for fee in line.fees:
            assert type(fee.amount_cents) is int
            assert fee.amount_cents == _cents(fee.amount, currency)
            if projected:
                assert type(fee.projected_amount_cents) is int
        _sums(line.fees, line, fields)
        if line.filters:
            _sums(line.filters, line, fields)
        if line.grouped_usage:
            _sums(line.grouped_usage, line, fields)
            for group in line.grouped_usage:
                if group.filters:
                    _sums(group.filters, group, fields)


@EXAMPLES
@given(case=cases(), method=METHODS)
def test_amounts_are_integers_and_totals_add_up(case, method):
    """Every amount is an integer; each fee is rounded on its own, and every total is the sum of
    its parts: fees, filters, groups, charges (current, projected and past usage)."""
    currency = Plan.model_validate(case.plan).amount_currency
    _check_totals(usage_of(case, case.events), currency)
    _check_totals(
        projected_usage(
            case.plan, case.events, case.period, now=case.now, taxes=case.taxes, method=method
        ),
        currency,
    )
    _check_totals(past_usage(case.plan, case.events, case.period, taxes=case.taxes), currency)
