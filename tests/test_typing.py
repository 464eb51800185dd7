"""The public signatures say what they accept, so a type checker refuses nonsense early."""

import inspect
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

import pytest

import usage_engine
from usage_engine import InstantInput, PeriodInput, PlanInput

# Parameters that take caller data: each must be typed with an input alias, never Any.
_INPUT_PARAMETERS = {
    "at",
    "events",
    "metric",
    "now",
    "period",
    "plan",
    "subscription",
    "subscriptions",
    "taxes",
}


def _public_callables():
    for name in usage_engine.__all__:
        value = getattr(usage_engine, name)
        if inspect.isfunction(value):
            yield name, value
        elif inspect.isclass(value) and value.__module__.startswith("usage_engine"):
            for attribute, member in vars(value).items():
                if inspect.isfunction(member) and not attribute.startswith("_"):
                    yield f"{name}.{attribute}", member
            if "__init__" in vars(value) and inspect.isfunction(value.__init__):
                yield f"{name}.__init__", value.__init__


def test_no_public_input_is_typed_any():
    """Every plan, period, instant, event or tax parameter of a public function is typed."""
    checked = []
    for name, function in _public_callables():
        hints = typing.get_type_hints(function)
        for parameter in inspect.signature(function).parameters:
            if parameter in _INPUT_PARAMETERS:
                assert hints[parameter] is not typing.Any, f"{name}({parameter})"
                checked.append(f"{name}({parameter})")
    # The main entry points are among those checked (the walk cannot silently find nothing).
    assert {"current_usage(plan)", "billing_period(at)", "UsageState.__init__(period)"} <= set(
        checked
    )


def test_current_usage_hints_are_the_aliases():
    """``current_usage`` names the aliases users can import for their own signatures."""
    hints = typing.get_type_hints(usage_engine.current_usage)
    assert hints["plan"] == PlanInput
    assert hints["period"] == PeriodInput
    assert hints["now"] == InstantInput | None


_SNIPPET = textwrap.dedent(
    """\
    from datetime import UTC, date, datetime

    import usage_engine

    plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR"}
    period = {"external_subscription_id": "s", "from_datetime": "2024-03-01T00:00:00Z",
              "to_datetime": "2024-03-31T23:59:59Z"}
    usage_engine.current_usage(plan, [], period, now=datetime(2024, 3, 2, tzinfo=UTC))
    usage_engine.projected_usage(plan, [], period, now="2024-03-02T00:00:00Z")
    usage_engine.billing_period({"external_id": "s", "plan": plan}, 1709337600)
    usage_engine.current_usage(123, 456, "nope")
    usage_engine.billing_period({"external_id": "s", "plan": plan}, date(2024, 3, 2))
    usage_engine.rate_subscriptions([plan], [], now=date(2024, 3, 2))
    """
)


_MYPY = (sys.executable, "-m", "mypy", "--strict", "--no-incremental")


@pytest.mark.slow
def test_mypy_refuses_nonsense(tmp_path: Path):
    """mypy accepts mappings and instants, and refuses ``current_usage(123, 456, "nope")``."""
    pytest.importorskip("mypy")
    source = tmp_path / "calls.py"
    source.write_text(_SNIPPET)
    # In a child process: mypy raises the recursion limit and freezes the garbage collector of
    # the process it runs in, which would change what later tests see.
    run = subprocess.run(
        [*_MYPY, "--cache-dir", str(tmp_path / "cache"), str(source)],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,  # where mypy finds the package
    )
    out, err, status = run.stdout, run.stderr, run.returncode
    errors = [line.split(": error: ")[1] for line in out.splitlines() if ": error: " in line]
    lines = [int(line.split(":")[1]) for line in out.splitlines() if ": error: " in line]
    assert lines == [11, 11, 11, 12, 13], out + err
    assert errors == [
        'Argument 1 to "current_usage" has incompatible type "int"; '
        'expected "Plan | Mapping[str, Any]"  [arg-type]',
        'Argument 2 to "current_usage" has incompatible type "int"; '
        'expected "Iterable[Event | Mapping[str, Any]] | ColumnarEvents"  [arg-type]',
        'Argument 3 to "current_usage" has incompatible type "str"; '
        'expected "BillingPeriod | Mapping[str, Any]"  [arg-type]',
        'Argument 2 to "billing_period" has incompatible type "date"; '
        'expected "datetime | str | int | float | Decimal"  [arg-type]',
        'Argument "now" to "rate_subscriptions" has incompatible type "date"; '
        'expected "datetime | str | int | float | Decimal | None"  [arg-type]',
    ]
    assert status == 1
