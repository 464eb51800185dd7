"""The bundled sample and the demo that runs on it.

The sample is a SaaS plan that uses every charge model (standard, graduated,
graduated_percentage, package, percentage, volume, dynamic and a prorated graduated charge on a
recurring metric), charge filters, pricing groups, every aggregation type, a minimum amount and a
customer tax, with four subscriptions in different timezones and billing times. Its events span
the previous billing period of every subscription and the current one up to :data:`NOW`.

The plan, subscriptions, taxes and events are package data files (``usage_engine/data/``):
``usage-engine sample DIR`` writes those same files. One module per job: :mod:`._sample` (the
files), :mod:`._generator` (how the events were made) and :mod:`._text` (what the demo prints).
"""

from __future__ import annotations

from ._generator import generate_sample
from ._sample import (
    EVENTS_FILE,
    NOW,
    PLAN_FILE,
    SEED,
    SUBSCRIPTIONS_FILE,
    TAXES_FILE,
    WIDTH,
    Sample,
    load_sample,
    sample_files,
    write_sample,
)
from ._text import SubscriptionResult, demo_json, run_demo, subscription_result

__all__ = [
    "EVENTS_FILE",
    "NOW",
    "PLAN_FILE",
    "SEED",
    "SUBSCRIPTIONS_FILE",
    "TAXES_FILE",
    "WIDTH",
    "Sample",
    "SubscriptionResult",
    "demo_json",
    "generate_sample",
    "load_sample",
    "run_demo",
    "sample_files",
    "subscription_result",
    "write_sample",
]
