"""usage_engine: Lago's usage computations (current, projected, past) as pure functions."""

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
from .lago import plan_with_metrics
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
    "BillableMetric",
    "BillingPeriod",
    "BillingTime",
    "BucketFee",
    "Charge",
    "ChargeFilter",
    "ChargeModel",
    "ChargeUsage",
    "CurrentAndProjected",
    "EmptyFilterWarning",
    "Event",
    "EventAccount",
    "FilterUsage",
    "GroupedUsage",
    "InvalidInput",
    "MetricFilter",
    "Options",
    "OverlappingFiltersWarning",
    "PastUsage",
    "Plan",
    "PlanInterval",
    "ProjectedUsage",
    "RejectedEvents",
    "Subscription",
    "SubscriptionUsages",
    "Tax",
    "TrueUp",
    "Usage",
    "UsageEngineError",
    "UsageEngineWarning",
    "UsageState",
    "Verification",
    "__version__",
    "aggregate",
    "billing_period",
    "ceil_days",
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
    "set_aside_events",
    "verify",
]
