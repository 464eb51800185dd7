"""The aggregation registry is complete."""

from usage_engine.aggregation import AGGREGATORS
from usage_engine.models import AggregationType


def test_every_aggregation_type_has_a_state():
    """AGGREGATORS covers exactly the aggregation types."""
    assert set(AGGREGATORS) == set(AggregationType)
