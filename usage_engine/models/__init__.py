"""The input and period models (frozen pydantic v2, Lago's field names)."""

from .charge import (
    ALL_FILTER_VALUES,
    Charge,
    ChargeFilter,
    ChargeModel,
    ChargeProperties,
    DynamicProperties,
    GraduatedPercentageProperties,
    GraduatedPercentageRange,
    GraduatedProperties,
    GraduatedRange,
    PackageProperties,
    PercentageProperties,
    StandardProperties,
    VolumeProperties,
)
from .event import Event
from .metric import AggregationType, BillableMetric, MetricFilter, RoundingFunction
from .period import BillingPeriod
from .plan import Plan, PlanInterval
from .subscription import BillingTime, Subscription
from .tax import Tax

__all__ = [
    "ALL_FILTER_VALUES",
    "AggregationType",
    "BillableMetric",
    "BillingPeriod",
    "BillingTime",
    "Charge",
    "ChargeFilter",
    "ChargeModel",
    "ChargeProperties",
    "DynamicProperties",
    "Event",
    "GraduatedPercentageProperties",
    "GraduatedPercentageRange",
    "GraduatedProperties",
    "GraduatedRange",
    "MetricFilter",
    "PackageProperties",
    "PercentageProperties",
    "Plan",
    "PlanInterval",
    "RoundingFunction",
    "StandardProperties",
    "Subscription",
    "Tax",
    "VolumeProperties",
]
