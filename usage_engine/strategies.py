"""Hypothesis strategies for the engine's inputs, to use in your own property tests.

Needs Hypothesis: ``pip install 'usage-engine[hypothesis]'``. Every value drawn is valid: the
engine accepts it without :class:`~usage_engine.InvalidInput`. Plans, charges, metrics,
subscriptions, taxes and events are plain dicts in Lago's JSON shape (what ``json.loads`` of a
Lago payload gives, and what users feed the engine); periods are the
:class:`~usage_engine.BillingPeriod` that :func:`~usage_engine.billing_period` returns, and
instants are aware UTC datetimes.

Draw a whole case (a plan, a subscription, one of its periods, events and an instant in the
period) with :func:`usage_cases`, or compose the parts: :func:`metrics`, :func:`charges`,
:func:`plans`, :func:`taxes`, :func:`subscriptions`, :func:`periods`, :func:`instants` and
:func:`events`.
"""

from __future__ import annotations

try:
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
except ImportError as error:  # pragma: no cover - exercised in a subprocess by the tests
    msg = (
        "usage_engine.strategies needs Hypothesis: install it with "
        "pip install 'usage-engine[hypothesis]'"
    )
    raise ImportError(msg) from error

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, NamedTuple

from ._coerce import as_period, as_plan, as_subscription
from ._inputs import PeriodInput, PlanInput, SubscriptionInput
from ._strategies.charges import allowed_models, charges_of, draw_metric, draw_plan, draw_taxes
from ._strategies.events import draw_events, shapes_of
from ._strategies.subscriptions import draw_subscription, life
from ._time import from_micros, micros
from .models import (
    AggregationType,
    BillingPeriod,
    BillingTime,
    ChargeModel,
    PlanInterval,
)
from .models._base import parse_instant
from .periods import billing_period

__all__ = [
    "CURRENCIES",
    "TIMEZONES",
    "UsageCase",
    "charges",
    "events",
    "instants",
    "metrics",
    "periods",
    "plans",
    "subscriptions",
    "taxes",
    "usage_cases",
]

TIMEZONES: Final = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "Pacific/Apia",  # skipped 2011-12-30 entirely
    "Asia/Kathmandu",  # +05:45
)
"""The default timezones: DST, odd offsets and a skipped day."""
CURRENCIES: Final = ("EUR", "USD", "JPY", "KWD", "CLF", "MRO")
"""The default currencies: minor units of 0, 1 (MRO, 5 per unit), 2, 3 and 4 decimals."""


class UsageCase(NamedTuple):
    """One drawn case: everything a usage function takes, consistent with each other."""

    plan: dict[str, Any]
    subscription: dict[str, Any]
    period: BillingPeriod
    events: list[dict[str, Any]]
    now: datetime
    taxes: list[dict[str, Any]]


def _choices(name: str, given: Sequence[Any] | None, enum: Any) -> tuple[Any, ...]:
    if given is None:
        return tuple(enum)
    try:
        chosen = tuple(enum(item) for item in given)
    except ValueError:
        msg = f"{name}={given!r}: expected values among {[item.value for item in enum]}"
        raise InvalidArgument(msg) from None
    if not chosen:
        msg = f"{name} must not be empty"
        raise InvalidArgument(msg)
    return chosen


# --- metrics, charges, plans ------------------------------------------------------------------


def metrics(
    *,
    codes: Sequence[str] = ("m",),
    aggregation_types: Sequence[str] | None = None,
    recurring: bool | None = None,
    filters: bool = True,
) -> st.SearchStrategy[dict[str, Any]]:
    """Billable metrics: any of ``aggregation_types`` (default all six), a code from ``codes``.

    ``recurring`` None draws it where the type allows it (sum, unique count, weighted sum);
    True makes those recurring, False never. Metrics may round their units and, with
    ``filters``, declare filter keys (``region``, ``tier``) charges can filter on.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, deadline=None, database=None)
    ... @given(metrics(codes=["seats"], aggregation_types=["unique_count_agg"], recurring=True))
    ... def check(metric):
    ...     assert (metric["code"], metric["field_name"], metric["recurring"]) == (
    ...         "seats", "value", True)
    >>> check()
    """
    kinds = _choices("aggregation_types", aggregation_types, AggregationType)
    if not codes:
        msg = "codes must not be empty"
        raise InvalidArgument(msg)
    return st.sampled_from(tuple(codes)).flatmap(
        lambda code: draw_metric(
            code=code, aggregation_types=kinds, recurring=recurring, filters=filters
        )
    )


_metrics = metrics  # for the functions whose `metrics` argument hides it


def charges(
    *,
    metrics: st.SearchStrategy[dict[str, Any]] | None = None,
    charge_models: Sequence[str] | None = None,
    filters: bool = True,
    pricing_groups: bool = True,
    pay_in_advance: bool | None = None,
    prorated: bool | None = None,
    min_amount: bool = True,
    taxes: bool = True,
) -> st.SearchStrategy[dict[str, Any]]:
    """Charges of any of ``charge_models`` (default all seven), each embedding its metric.

    The metric comes from ``metrics`` (default :func:`metrics`); only models that can price
    it are drawn (dynamic needs a sum, latest_agg no percentage). ``pay_in_advance`` and
    ``prorated`` are None to draw them where Lago allows them, True to set them there, False
    never; prorated graduated charges come from ``prorated``. ``filters`` draws charge
    filters on the metric's keys (never two that overlap partly, which the engine warns about),
    each with its own properties; ``pricing_groups`` draws ``pricing_group_keys`` (or the
    legacy ``grouped_by``); ``min_amount`` a ``min_amount_cents``; ``taxes`` charge taxes.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, deadline=None, database=None)
    ... @given(charges(charge_models=["volume"]))
    ... def check(charge):
    ...     ranges = charge["properties"]["volume_ranges"]
    ...     assert charge["charge_model"] == "volume" and not charge["pay_in_advance"]
    ...     assert ranges[0]["from_value"] == 0 and ranges[-1]["to_value"] is None
    >>> check()
    """
    models = _choices("charge_models", charge_models, ChargeModel)
    # Only metrics some model can price: dynamic alone needs a sum.
    kinds = [kind for kind in AggregationType if allowed_models(kind, models)]
    source = _metrics(aggregation_types=kinds) if metrics is None else metrics
    return source.flatmap(
        lambda metric: charges_of(
            metric=metric,
            charge_models=models,
            code=None,
            filters=filters,
            pricing_groups=pricing_groups,
            pay_in_advance=pay_in_advance,
            prorated=prorated,
            min_amount=min_amount,
            taxes=taxes,
        )
    )


def taxes(*, min_size: int = 0, max_size: int = 2) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Lists of taxes ``{"code", "name", "rate"}`` with distinct codes (rates in percent).

    >>> from hypothesis import find
    >>> find(taxes(min_size=1), lambda found: True)
    [{'code': 'tax_0', 'name': 'Tax 0', 'rate': '0'}]
    """
    if not 0 <= min_size <= max_size:
        msg = f"need 0 <= min_size <= max_size, got min_size={min_size}, max_size={max_size}"
        raise InvalidArgument(msg)
    return draw_taxes(min_size=min_size, max_size=max_size)


def plans(
    *,
    intervals: Sequence[str] | None = None,
    currencies: Sequence[str] = CURRENCIES,
    min_charges: int = 0,
    max_charges: int = 4,
    aggregation_types: Sequence[str] | None = None,
    charge_models: Sequence[str] | None = None,
    filters: bool = True,
    pricing_groups: bool = True,
    pay_in_advance: bool | None = None,
    prorated: bool | None = None,
    min_amount: bool = True,
    taxes: bool = True,
) -> st.SearchStrategy[dict[str, Any]]:
    """Plans of any interval with ``min_charges`` to ``max_charges`` charges (:func:`charges`).

    Metrics have codes ``m0``, ``m1``...; a charge may price the metric of an earlier one, as
    Lago allows. ``bill_charges_monthly`` is drawn for yearly and semiannual plans; the other
    options are those of :func:`charges`, the metrics' types among ``aggregation_types``.

    >>> from hypothesis import find
    >>> plan = find(plans(), lambda plan: len(plan["charges"]) == 2)
    >>> [(charge["code"], charge["billable_metric"]["code"]) for charge in plan["charges"]]
    [('c0', 'm0'), ('c1', 'm1')]
    """
    if not 0 <= min_charges <= max_charges:
        msg = (
            "need 0 <= min_charges <= max_charges, got "
            f"min_charges={min_charges}, max_charges={max_charges}"
        )
        raise InvalidArgument(msg)
    chosen = tuple(currencies)
    try:
        for currency in chosen:
            as_plan({"code": "p", "interval": "monthly", "amount_currency": currency})
    except ValueError:
        msg = f"currencies={currencies!r}: expected ISO 4217 codes Lago accepts"
        raise InvalidArgument(msg) from None
    if not chosen:
        msg = "currencies must not be empty"
        raise InvalidArgument(msg)
    models = _choices("charge_models", charge_models, ChargeModel)
    kinds = tuple(
        kind
        for kind in _choices("aggregation_types", aggregation_types, AggregationType)
        if allowed_models(kind, models)
    )
    if not kinds:
        msg = f"no charge model of {charge_models!r} prices {aggregation_types!r}"
        raise InvalidArgument(msg)
    return draw_plan(
        intervals=_choices("intervals", intervals, PlanInterval),
        currencies=chosen,
        min_charges=min_charges,
        max_charges=max_charges,
        kinds=kinds,
        models=models,
        options={
            "filters": filters,
            "pricing_groups": pricing_groups,
            "pay_in_advance": pay_in_advance,
            "prorated": prorated,
            "min_amount": min_amount,
            "taxes": taxes,
        },
    )


_plans = plans


# --- subscriptions, periods, instants ---------------------------------------------------------


def subscriptions(
    *,
    plans: st.SearchStrategy[dict[str, Any]] | None = None,
    external_ids: Sequence[str] = ("sub_1",),
    billing_times: Sequence[str] | None = None,
    timezones: Sequence[str] = TIMEZONES,
    years: tuple[int, int] = (2000, 2030),
    anchor_days: Sequence[int] | None = None,
    upgraded: bool | None = None,
    terminated: bool | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Subscriptions carrying a plan from ``plans`` (default :func:`plans`), in Lago's shape.

    Anchored at a local time of ``years`` in one of ``timezones`` (on one of ``anchor_days``
    if given, clamped to the month), calendar or anniversary. ``upgraded`` starts it up to 400
    days after its anchor, as a subscription created by an upgrade; ``terminated`` ends it up
    to three years after its start. Both are drawn when None.

    >>> from hypothesis import find
    >>> sub = find(subscriptions(timezones=["Asia/Kolkata"], upgraded=False), lambda s: True)
    >>> sub["subscription_at"], sub["started_at"], sub["timezone"], sub["billing_time"]
    ('1999-12-31T18:30:00Z', '1999-12-31T18:30:00Z', 'Asia/Kolkata', 'calendar')
    """
    low, high = years
    if not 2 <= low <= high <= 9990:
        msg = f"years={years!r}: expected (first, last) within 2..9990"
        raise InvalidArgument(msg)
    for zone in timezones:
        try:
            as_subscription({"external_id": "s", "subscription_at": "2024-01-01", "timezone": zone})
        except ValueError:
            msg = f"timezones={timezones!r}: {zone!r} is not an IANA timezone name"
            raise InvalidArgument(msg) from None
    if not timezones or not external_ids:
        msg = "timezones and external_ids must not be empty"
        raise InvalidArgument(msg)
    days = None if anchor_days is None else tuple(anchor_days)
    if days is not None and not (days and all(1 <= day <= 31 for day in days)):
        msg = f"anchor_days={anchor_days!r}: expected days of the month, 1 to 31"
        raise InvalidArgument(msg)
    return draw_subscription(
        plans=_plans() if plans is None else plans,
        external_ids=tuple(external_ids),
        billing_times=tuple(
            item.value for item in _choices("billing_times", billing_times, BillingTime)
        ),
        timezones=tuple(timezones),
        years=years,
        anchor_days=days,
        upgraded=upgraded,
        terminated=terminated,
    )


_subscriptions = subscriptions


def periods(subscription: SubscriptionInput, *, years: int = 2) -> st.SearchStrategy[BillingPeriod]:
    """Billing periods of ``subscription`` within its first ``years`` (or until termination).

    >>> from hypothesis import find
    >>> sub = {"external_id": "sub_1", "subscription_at": "2024-01-31T00:00:00Z",
    ...     "billing_time": "anniversary",
    ...     "plan": {"code": "p", "interval": "monthly", "amount_currency": "EUR"}}
    >>> period = find(periods(sub), lambda p: p.charges_duration_days < 30)
    >>> period.charges_from_datetime.date(), period.charges_to_datetime.date()
    (datetime.date(2024, 1, 31), datetime.date(2024, 2, 28))
    """
    if years < 1:
        msg = f"years={years!r} must be at least 1"
        raise InvalidArgument(msg)
    start, end = life(subscription, years)
    return st.integers(start, end).map(lambda at: billing_period(subscription, from_micros(at)))


def instants(period: PeriodInput) -> st.SearchStrategy[datetime]:
    """Instants of ``period``'s charges window, to the microsecond (aware, UTC).

    >>> from hypothesis import find
    >>> period = {"external_subscription_id": "sub_1",
    ...     "from_datetime": "2024-03-01T00:00:00Z", "to_datetime": "2024-03-31T23:59:59Z"}
    >>> find(instants(period), lambda now: now.day == 31).isoformat()
    '2024-03-31T00:00:00+00:00'
    """
    checked = as_period(period)
    return st.integers(
        micros(checked.charges_from_datetime), micros(checked.charges_to_datetime)
    ).map(from_micros)


# --- events -------------------------------------------------------------------------------


def _event_options(
    min_events: int, max_events: int, duplicate_rate: float, span: tuple[Any, Any] | None
) -> tuple[int, int] | None:
    # Checks the options of events() and returns the span in µs.
    if not 0 <= min_events <= max_events:
        msg = (
            "need 0 <= min_events <= max_events, got "
            f"min_events={min_events!r}, max_events={max_events!r}"
        )
        raise InvalidArgument(msg)
    if not 0 <= duplicate_rate <= 1:
        msg = f"duplicate_rate={duplicate_rate!r} must be between 0 and 1"
        raise InvalidArgument(msg)
    if span is None:
        return None
    try:
        first, last = (micros(parse_instant(item)) for item in span)
    except ValueError:
        msg = f"span={span!r}: expected two instants (datetimes, ISO 8601 or unix seconds)"
        raise InvalidArgument(msg) from None
    if last < first:
        msg = f"span={span!r}: the first instant must not follow the last"
        raise InvalidArgument(msg)
    return first, last


def events(
    plan: PlanInput,
    period: PeriodInput,
    *,
    min_events: int = 0,
    max_events: int = 30,
    span: tuple[Any, Any] | None = None,
    duplicate_rate: float = 0.1,
    subscription_ids: Sequence[str] | None = None,
    codes: Sequence[str] | None = None,
    id_prefix: str = "tx_",
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Lists of events for ``plan``'s metrics around ``period``, in Lago's shape.

    ``min_events`` to ``max_events`` distinct events, transaction ids ``<id_prefix><n>``, of
    codes from ``codes`` (default: the plan's metric codes, none if it has no charge; a code
    the plan lacks gives events the engine ignores) and subscriptions from
    ``subscription_ids`` (default: the period's). Each carries what its metric reads (a
    number, possibly negative; a unique-count value with an occasional ``operation_type``),
    filter values (declared, undeclared or absent), group values and, for dynamic charges,
    ``precise_total_amount_cents``. Timestamps are unix seconds (int, float or text) or ISO
    8601, within ``span`` (two instants) if given, else mostly inside the period, some before
    it (history for recurring metrics) or after it. About ``duplicate_rate`` of them are
    re-sent as exact copies, the list then shuffled.

    >>> from hypothesis import given, settings
    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"charge_model": "standard", "properties": {"amount": "1"},
    ...      "billable_metric": {"code": "calls", "aggregation_type": "count_agg"}}]}
    >>> period = {"external_subscription_id": "sub_1",
    ...     "from_datetime": "2024-03-01T00:00:00Z", "to_datetime": "2024-03-31T23:59:59Z"}
    >>> @settings(max_examples=20, deadline=None, database=None)
    ... @given(events(plan, period, max_events=5, duplicate_rate=1))
    ... def check(stream):
    ...     ids = [event["transaction_id"] for event in stream]  # each one sent twice
    ...     assert sorted(ids) == sorted([f"tx_{n}" for n in range(len(ids) // 2)] * 2)
    ...     assert {event["code"] for event in stream} <= {"calls"}
    >>> check()
    """
    bounds = _event_options(min_events, max_events, duplicate_rate, span)
    the_plan, the_period = as_plan(plan), as_period(period)
    ids = (
        (the_period.external_subscription_id,)
        if subscription_ids is None
        else tuple(subscription_ids)
    )
    if not ids:
        msg = "subscription_ids must not be empty"
        raise InvalidArgument(msg)
    window = (micros(the_period.charges_from_datetime), micros(the_period.charges_to_datetime))
    return draw_events(
        shapes=shapes_of(the_plan, codes),
        window=window,
        span=bounds,
        min_events=min_events,
        max_events=max_events,
        duplicate_rate=duplicate_rate,
        subscription_ids=ids,
        id_prefix=id_prefix,
    )


# --- whole cases ----------------------------------------------------------------------------


@st.composite
def _draw_case(
    draw: st.DrawFn,
    *,
    subscriptions: st.SearchStrategy[dict[str, Any]],
    years: int,
    event_options: dict[str, Any],
) -> UsageCase:
    subscription = draw(subscriptions)
    period = draw(periods(subscription, years=years))
    plan = subscription["plan"]
    return UsageCase(
        plan=plan,
        subscription=subscription,
        period=period,
        events=draw(events(plan, period, **event_options)),
        now=draw(instants(period)),
        taxes=draw(taxes()),
    )


def usage_cases(
    *,
    plans: st.SearchStrategy[dict[str, Any]] | None = None,
    subscriptions: st.SearchStrategy[dict[str, Any]] | None = None,
    years: int = 2,
    min_events: int = 0,
    max_events: int = 30,
    duplicate_rate: float = 0.1,
    span: tuple[Any, Any] | None = None,
) -> st.SearchStrategy[UsageCase]:
    """Whole cases: a subscription and its plan, a period, events, ``now`` and customer taxes.

    The subscription comes from ``subscriptions`` (default :func:`subscriptions` with a plan
    from ``plans``, default :func:`plans` with 1 to 4 charges); the period is one of its
    first ``years``; ``now`` lies in the period; the events are :func:`events` of the plan
    with ``min_events``, ``max_events``, ``duplicate_rate`` and ``span``.

    >>> from hypothesis import given, settings
    >>> from usage_engine import current_usage
    >>> @settings(max_examples=10, deadline=None, database=None)
    ... @given(usage_cases(max_events=10))
    ... def check(case):
    ...     usage = current_usage(case.plan, case.events, case.period, taxes=case.taxes)
    ...     assert usage.amount_cents == sum(line.amount_cents for line in usage.charges_usage)
    >>> check()
    """
    chosen = subscriptions
    if chosen is None:
        the_plans = _plans(min_charges=1) if plans is None else plans
        chosen = _subscriptions(plans=the_plans)
    elif plans is not None:
        msg = "give plans or subscriptions, not both: a subscription carries its plan"
        raise InvalidArgument(msg)
    if years < 1:
        msg = f"years={years!r} must be at least 1"
        raise InvalidArgument(msg)
    _event_options(min_events, max_events, duplicate_rate, span)
    return _draw_case(
        subscriptions=chosen,
        years=years,
        event_options={
            "min_events": min_events,
            "max_events": max_events,
            "duplicate_rate": duplicate_rate,
            "span": span,
        },
    )
