"""usage_engine: Lago's usage computations (current, projected, past) as pure functions."""

from .aggregation import Aggregation, Options
from .aggregation.aggregate import aggregate
from .errors import InvalidInput, UsageEngineError
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
from .models.usage import (
    BucketFee,
    ChargeUsage,
    FilterUsage,
    GroupedUsage,
    RejectedEvents,
    Usage,
)
from .periods import billing_period, ceil_days, next_period, periods_before, previous_period
from .usage import current_usage

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
    "Event",
    "FilterUsage",
    "GroupedUsage",
    "InvalidInput",
    "MetricFilter",
    "Options",
    "Plan",
    "PlanInterval",
    "RejectedEvents",
    "Subscription",
    "Tax",
    "Usage",
    "UsageEngineError",
    "__version__",
    "aggregate",
    "billing_period",
    "ceil_days",
    "current_usage",
    "next_period",
    "periods_before",
    "previous_period",
]
