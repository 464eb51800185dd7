"""past_usage (spec 9): frozen results, digests, true-ups, verification."""

import json
from datetime import date
from decimal import Decimal

import pytest

from tests.factories import charge, event, metric, month_period, plan, span_period, utc
from usage_engine import InvalidInput
from usage_engine.past import PastUsage, past_usage, past_usages, verify
from usage_engine.usage import current_usage

AUGUST = span_period(date(2023, 8, 17), date(2023, 9, 16))
VAT = {"code": "vat", "rate": "20"}
REGION = metric("count_agg", filters=[{"key": "region", "values": ["eu", "us"]}])
FILTERS = [
    {"properties": {"amount": "2"}, "values": {"region": ["eu"]}},
    {"properties": {"amount": "3"}, "values": {"region": ["us"]}},
]


def _plan(**extra):
    return plan(
        charge("standard", {"amount": "10"}, billable_metric=REGION, filters=FILTERS, **extra),
        charge("standard", {"amount": "1"}, billable_metric=metric("count_agg", code="idle")),
        taxes=[VAT],
    )


EVENTS = [
    event("m", utc(2023, 8, 20), {"region": "eu"}, transaction_id="a"),
    event("m", utc(2023, 8, 21), {"region": "eu"}, transaction_id="b"),
    event("m", utc(2023, 8, 22), {"region": "mars"}, transaction_id="c"),
]


def test_frozen_result_keeps_only_stored_fees():
    """Zero fees are dropped: no 'us' filter, no idle charge; 2 × 2 + 10 = 14.00 (spec 9)."""
    usage = past_usage(_plan(), EVENTS, AUGUST)
    payload = usage.to_lago()
    assert (payload["from_datetime"], payload["to_datetime"]) == (
        "2023-08-17T00:00:00Z",
        "2023-09-16T23:59:59Z",
    )
    assert [line["billable_metric"]["code"] for line in payload["charges_usage"]] == ["m"]
    filters = payload["charges_usage"][0]["filters"]
    assert [(f["values"], f["amount_cents"]) for f in filters] == [
        ({"region": ["eu"]}, 400),
        (None, 1000),
    ]
    assert (usage.amount_cents, usage.taxes_amount_cents, usage.total_amount_cents) == (
        1400,
        280,
        1680,
    )


def test_taxes_are_rounded_per_fee():
    """Past usage sums per-fee rounded taxes: three fees of 1 cent at 50 % → 3, not 2."""
    half = {"code": "half", "rate": "50"}
    the_plan = plan(
        charge("standard", {"amount": "0.01", "pricing_group_keys": ["g"]}), taxes=[half]
    )
    events = [event("m", utc(2023, 8, 20), {"g": g}) for g in "abc"]
    past = past_usage(the_plan, events, AUGUST)
    now = current_usage(the_plan, events, AUGUST)
    assert (past.taxes_amount_cents, now.taxes_amount_cents) == (3, 2)


def test_min_amount_true_up_is_a_separate_line():
    """Q8/Q9: a 20.00 minimum over 14.00 of fees is a 6.00 true-up, not in units or totals."""
    usage = past_usage(_plan(min_amount_cents=2000), EVENTS, AUGUST)
    assert usage.amount_cents == 1400
    assert usage.charges_usage[0].units == Decimal(3)
    (true_up,) = usage.true_ups
    assert (true_up.min_amount_cents, true_up.amount_cents) == (2000, 600)


def test_min_amount_is_prorated_on_a_terminated_period():
    """Terminated after 10 of 31 days: the minimum 31.00 is prorated to 10.00."""
    period = month_period(2023, 8).model_copy(
        update={
            "charges_to_datetime": utc(2023, 8, 10, 12),
            "to_datetime": utc(2023, 8, 10, 12),
            "terminated_at": utc(2023, 8, 10, 12),
        }
    )
    the_plan = plan(charge("standard", {"amount": "1"}, min_amount_cents=3100))
    usage = past_usage(the_plan, [event("m", utc(2023, 8, 2))], period)
    assert [(t.prorated_min_amount_cents, t.amount_cents) for t in usage.true_ups] == [
        (Decimal(1000), 900)
    ]


def test_past_usage_is_hashable_and_immutable():
    """A PastUsage can be a dict key and refuses assignment."""
    usage = past_usage(_plan(), EVENTS, AUGUST)
    assert {usage: 1}[usage] == 1
    with pytest.raises(Exception, match="frozen"):
        usage.amount_cents = 0  # type: ignore[misc]


def test_digest_is_sha256_of_the_canonical_json():
    """The digest is the SHA-256 of canonical_json(), a stable sorted-keys text."""
    import hashlib

    usage = past_usage(_plan(), EVENTS, AUGUST)
    text = usage.canonical_json()
    assert usage.digest == hashlib.sha256(text.encode()).hexdigest()
    assert json.loads(text)["usage"]["amount_cents"] == 1400


def test_digest_ignores_event_order_and_changes_with_amounts():
    """Reversed events give the same digest; a changed price gives another."""
    first = past_usage(_plan(), EVENTS, AUGUST)
    again = past_usage(_plan(), list(reversed(EVENTS)), AUGUST)
    cheaper = plan(
        charge("standard", {"amount": "9"}, billable_metric=REGION, filters=FILTERS),
        taxes=[VAT],
    )
    assert first.digest == again.digest
    assert past_usage(cheaper, EVENTS, AUGUST).digest != first.digest


def test_verify_says_what_changed():
    """A late event changes the stored result: verify names the fields."""
    stored = past_usage(_plan(), EVENTS, AUGUST)
    assert verify(stored, _plan(), EVENTS, AUGUST).matches
    late = [*EVENTS, event("m", utc(2023, 9, 1), {"region": "eu"}, transaction_id="d")]
    check = verify(stored, _plan(), late, AUGUST)
    assert not check.matches
    assert "usage.amount_cents: stored 1400, now 1600" in check.differences
    by_digest = verify(stored.digest, _plan(), late, AUGUST)
    assert (by_digest.matches, len(by_digest.differences)) == (False, 1)
    by_text = verify(stored.canonical_json(), _plan(), EVENTS, AUGUST)
    assert by_text.matches


def test_period_not_ended_by_now_is_invalid():
    """With now inside the period, it is not past usage yet."""
    with pytest.raises(InvalidInput) as caught:
        past_usage(_plan(), EVENTS, AUGUST, now="2023-09-01T00:00:00Z")
    assert caught.value.path == "period.to_datetime"


def test_periods_count_walks_back_from_an_instant():
    """The 2 periods before Oct 20 are Sep 17–Oct 16 and Aug 17–Sep 16, newest first."""
    subscription = {
        "external_id": "sub_1",
        "billing_time": "anniversary",
        "subscription_at": "2023-07-17T00:00:00Z",
        "plan": _plan(),
    }
    found = past_usages(subscription, EVENTS, "2023-10-20T00:00:00Z", 2)
    assert [(u.from_datetime.date(), u.to_datetime.date()) for u in found] == [
        (date(2023, 9, 17), date(2023, 10, 16)),
        (date(2023, 8, 17), date(2023, 9, 16)),
    ]
    assert [u.amount_cents for u in found] == [0, 1400]
    assert isinstance(found[0], PastUsage)


def test_invoicing_path_of_prorated_graduated_costs_nothing_below_zero():
    """A recurring balance driven below zero: current usage bills the first flat, past usage 0."""
    tiers = {
        "graduated_ranges": [
            {"from_value": 0, "to_value": 5, "per_unit_amount": "10", "flat_amount": "100"},
            {"from_value": 6, "to_value": None, "per_unit_amount": "5", "flat_amount": "50"},
        ]
    }
    recurring = metric("sum_agg", recurring=True)
    the_plan = plan(charge("graduated", tiers, billable_metric=recurring, prorated=True))
    events = [
        event("m", utc(2023, 9, 2), {"value": 2}),
        event("m", utc(2023, 9, 20), {"value": -6}),
    ]
    september = month_period(2023, 9)
    assert current_usage(the_plan, events, september).amount_cents == 10000
    assert past_usage(the_plan, events, september).amount_cents == 0


def test_past_usages_needs_an_iterable_of_events():
    """A number where the events go is InvalidInput, as for every other function."""
    subscription = {"external_id": "sub_1", "subscription_at": "2023-07-17", "plan": _plan()}
    with pytest.raises(InvalidInput) as caught:
        past_usages(subscription, Decimal("1E-9"), "2023-10-20T00:00:00Z", 2)
    assert (caught.value.path, caught.value.value) == ("events", Decimal("1E-9"))


def test_verify_quotes_any_stored_value():
    """A stored document holding values too deep to print, or not comparable, is compared."""
    stored = json.loads(past_usage(_plan(), EVENTS, AUGUST).canonical_json())
    deep: list = []
    for _ in range(10_000):
        deep = [deep]
    stored["usage"]["currency"] = deep
    stored["usage"]["amount_cents"] = Decimal("sNaN")
    stored["usage"][_Unprintable()] = 1
    check = verify(stored, _plan(), EVENTS, AUGUST)
    assert "usage.currency: stored a list nested too deep to show, now 'EUR'" in check.differences
    assert "usage.amount_cents: stored Decimal('sNaN'), now 1400" in check.differences
    assert "usage.a _Unprintable that cannot be shown: stored 1, now absent" in check.differences


@pytest.mark.parametrize("text", ["[" * 10_000 + "]" * 10_000, "9" * 5000])
def test_verify_refuses_json_text_beyond_pythons_limits(text):
    """Text nested 10,000 deep, or a 5000-digit number, is InvalidInput (json.loads refuses)."""
    with pytest.raises(InvalidInput) as caught:
        verify(text, _plan(), EVENTS, AUGUST)
    assert (caught.value.path, caught.value.value) == ("stored", text[:40])


class _Unprintable:
    def __repr__(self):
        raise RuntimeError("no repr")

    __str__ = __repr__


def test_past_usages_refuses_more_periods_than_the_maximum_before_reading_events():
    """past_usages(..., 10**6) on a weekly subscription since year 2 rated every one of its
    ~417 000 periods (89 s, 1.76 GB); beyond MAX_PERIODS it is refused, events unread."""

    def events():
        raise AssertionError("the events must not be read")
        yield  # pragma: no cover

    subscription = {
        "external_id": "sub_1",
        "subscription_at": "0002-01-01T00:00:00Z",
        "plan": {**_plan(), "interval": "weekly"},
    }
    with pytest.raises(InvalidInput) as caught:
        past_usages(subscription, events(), "9997-06-01T00:00:00Z", 10**6)
    assert str(caught.value) == (
        "count: is more than 1000, the most periods one call returns, and more than 1000 "
        "periods ended by 9997-06-01T00:00:00Z (got 1000000)"
    )


def test_past_usages_beyond_a_young_life_gives_every_period():
    """A count larger than the periods ended so far gives them all, as Lago's periods_count."""
    subscription = {
        "external_id": "sub_1",
        "billing_time": "anniversary",
        "subscription_at": "2023-07-17T00:00:00Z",
        "plan": _plan(),
    }
    found = past_usages(subscription, EVENTS, "2023-10-20T00:00:00Z", 10**9)
    assert [u.from_datetime.date() for u in found] == [
        date(2023, 9, 17),
        date(2023, 8, 17),
        date(2023, 7, 17),
    ]
