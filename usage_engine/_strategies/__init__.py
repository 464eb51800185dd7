"""The composites behind :mod:`usage_engine.strategies`.

Private: use the public functions of :mod:`usage_engine.strategies`, which check that Hypothesis
is installed and validate their arguments before building these.
"""
