"""Bad-input fuzzing: mutated plans, subscriptions, periods and events at every entry point.

Every call must either succeed with a sane result or raise ``usage_engine.InvalidInput`` naming
a path; any other exception, a hang, or an insane result is a defect.

- ``seeds.py``: valid inputs covering every charge model, aggregation type, interval, billing
  time and timestamp spelling;
- ``mutations.py``: the structural mutator (a path in the nested input, a way to break it);
- ``targets.py``: the entry points and the oracle;
- ``test_fuzz_inputs.py``: a fixed, derandomized budget that runs with the suite.

A larger budget on demand, either through pytest (a fresh random run)::

    FUZZ_EXAMPLES=20000 python -m pytest tests/fuzz

or through the runner, which keeps going past a defect and prints how many inputs were tried
and what came of them (succeeded / InvalidInput / defects) per entry point::

    python -m tests.fuzz --examples 20000 [--target current_usage] [--seed 1] [--traceback]
"""
