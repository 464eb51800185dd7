"""Lago's usage computations (current, projected and past usage) as pure functions.

A plan, a subscription's events and a billing period in; Lago's usage figures out, to the
cent. No server, database or clock: every input is an argument, as a model of this package or
a mapping in the JSON shape of Lago's API (``json.loads`` of a payload).

The main functions:

- :func:`current_usage`: a period's usage so far, every charge priced, taxed, in Lago's shape.
- :func:`projected_usage`: the same, extended to the period end at ``now``.
- :func:`past_usage`, :func:`past_usages`, :func:`verify`: a closed period frozen as an
  invoice would store it, with a digest to check it later.
- :func:`billing_period`, :func:`next_period`, :func:`previous_period`,
  :func:`periods_before`: a subscription's periods.
- :func:`rate_subscriptions` and :class:`UsageState`: many subscriptions in one pass over
  their events; usage kept up to date as events arrive.
- :func:`aggregate`: one billable metric's units over a period.

Bad input raises :class:`InvalidInput` (a ``ValueError``) naming the field path and the value.
Results are frozen; ``to_lago()`` gives Lago's JSON. Where the engine differs from Lago on
purpose is in ``docs/lago-differences.md``; the rules follow Lago's documentation
(https://docs.getlago.com). The inputs' types are exported too (:data:`PlanInput`,
:data:`PeriodInput`, :data:`EventsInput`, :data:`InstantInput`...), for your own signatures.

>>> from usage_engine import billing_period, current_usage
>>> plan = {"code": "startup", "interval": "monthly", "amount_currency": "EUR", "charges": [
...     {"charge_model": "standard", "properties": {"amount": "0.25"},
...      "billable_metric": {"code": "calls", "aggregation_type": "count_agg"}}]}
>>> subscription = {"external_id": "sub_1", "subscription_at": "2025-01-01T00:00:00Z",
...     "plan": plan}
>>> period = billing_period(subscription, "2025-03-15T00:00:00Z")
>>> events = [{"transaction_id": f"t{n}", "external_subscription_id": "sub_1",
...     "code": "calls", "timestamp": "2025-03-02T10:00:00Z"} for n in range(3)]
>>> usage = current_usage(plan, events, period)
>>> usage.amount_cents, usage.to_lago()["from_datetime"]
(75, '2025-03-01T00:00:00Z')

A resent event (same ``transaction_id``) counts once, and a date is not an instant:

>>> current_usage(plan, events + events[:1], period).amount_cents
75
>>> from datetime import date
>>> billing_period(subscription, date(2025, 3, 15))
Traceback (most recent call last):
...
usage_engine.errors.InvalidInput: at: must be a datetime, not a date (a day starts at a \
different instant in each timezone): pass datetime(2025, 3, 15, tzinfo=UTC) or \
'2025-03-15T00:00:00Z' for midnight UTC (got datetime.date(2025, 3, 15))
"""

from ._attribute import attribute
from ._correct import apply_correction, correct, correct_chain
from ._inputs import (
    ColumnarEvents,
    EventInput,
    EventsInput,
    InstantInput,
    MetricInput,
    PeriodInput,
    PlanInput,
    SubscriptionInput,
    SubscriptionsInput,
    TaxesInput,
    TaxInput,
)
from ._lago import plan_with_metrics
from ._reprice import reprice, reprice_frozen
from ._simulate import Member, simulate
from .aggregate import aggregate
from .aggregation import Aggregation, Options
from .batch import SubscriptionUsages, rate_subscriptions
from .errors import (
    EmptyFilterWarning,
    InvalidInput,
    OverlappingFiltersWarning,
    UsageEngineError,
    UsageEngineWarning,
)
from .models import (
    AggregationType,
    BillableMetric,
    BillingPeriod,
    BillingTime,
    Charge,
    ChargeFilter,
    ChargeModel,
    Event,
    MetricFilter,
    Plan,
    PlanInterval,
    Subscription,
    Tax,
)
from .models._attribution import Attribution, ChargeMethod, Residual, Share
from .models._correction import Correction, CorrectionLine
from .models._repricing import BucketDiff, ChargeDiff, RepricingDiff, Segment
from .models._simulation import CustomerChange, ScenarioOutcome, Simulation
from .models.account import EventAccount
from .models.usage import (
    BucketFee,
    ChargeUsage,
    FilterUsage,
    GroupedUsage,
    ProjectedUsage,
    RejectedEvents,
    Usage,
)
from .past import PastUsage, TrueUp, Verification, past_usage, past_usages, verify
from .periods import billing_period, ceil_days, next_period, periods_before, previous_period
from .projection import (
    CurrentAndProjected,
    current_and_projected_usage,
    projected_usage,
    projection_ratio,
)
from .state import UsageState
from .usage import current_usage, set_aside_events

__version__ = "0.1.0"

__all__ = [
    "Aggregation",
    "AggregationType",
    "Attribution",
    "BillableMetric",
    "BillingPeriod",
    "BillingTime",
    "BucketDiff",
    "BucketFee",
    "Charge",
    "ChargeDiff",
    "ChargeFilter",
    "ChargeMethod",
    "ChargeModel",
    "ChargeUsage",
    "ColumnarEvents",
    "Correction",
    "CorrectionLine",
    "CurrentAndProjected",
    "CustomerChange",
    "EmptyFilterWarning",
    "Event",
    "EventAccount",
    "EventInput",
    "EventsInput",
    "FilterUsage",
    "GroupedUsage",
    "InstantInput",
    "InvalidInput",
    "Member",
    "MetricFilter",
    "MetricInput",
    "Options",
    "OverlappingFiltersWarning",
    "PastUsage",
    "PeriodInput",
    "Plan",
    "PlanInput",
    "PlanInterval",
    "ProjectedUsage",
    "RejectedEvents",
    "RepricingDiff",
    "Residual",
    "ScenarioOutcome",
    "Segment",
    "Share",
    "Simulation",
    "Subscription",
    "SubscriptionInput",
    "SubscriptionUsages",
    "SubscriptionsInput",
    "Tax",
    "TaxInput",
    "TaxesInput",
    "TrueUp",
    "Usage",
    "UsageEngineError",
    "UsageEngineWarning",
    "UsageState",
    "Verification",
    "__version__",
    "aggregate",
    "apply_correction",
    "attribute",
    "billing_period",
    "ceil_days",
    "correct",
    "correct_chain",
    "current_and_projected_usage",
    "current_usage",
    "next_period",
    "past_usage",
    "past_usages",
    "periods_before",
    "plan_with_metrics",
    "previous_period",
    "projected_usage",
    "projection_ratio",
    "rate_subscriptions",
    "reprice",
    "reprice_frozen",
    "set_aside_events",
    "simulate",
    "verify",
]
