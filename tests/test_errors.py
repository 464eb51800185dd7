"""usage_engine.errors: the error hierarchy, InvalidInput's message, pickling and did-you-mean."""

from __future__ import annotations

import pickle
import threading
from typing import Any

import pytest

import usage_engine
from usage_engine.errors import NO_VALUE, InvalidInput, Problem, UsageEngineError, did_you_mean


def test_invalid_input_is_a_value_error_and_a_usage_engine_error() -> None:
    """InvalidInput can be caught as ValueError or as the engine's base error."""
    err = InvalidInput.at("plan.code", "must not be empty", "")
    assert isinstance(err, ValueError)
    assert isinstance(err, UsageEngineError)
    assert issubclass(UsageEngineError, Exception)
    assert usage_engine.InvalidInput is InvalidInput
    assert usage_engine.UsageEngineError is UsageEngineError


def test_single_problem_message_names_path_message_and_value() -> None:
    """The message is ``path: message (got repr(value))``; path and value are attributes."""
    err = InvalidInput.at("plan.charges[2].properties.amount", "must not be negative", "-1")
    assert str(err) == "plan.charges[2].properties.amount: must not be negative (got '-1')"
    assert (err.path, err.value) == ("plan.charges[2].properties.amount", "-1")
    assert err.errors == (
        Problem("plan.charges[2].properties.amount", "must not be negative", "-1"),
    )


def test_problem_without_value_shows_no_value() -> None:
    """A problem without a value (a missing field) has no "(got ...)" and value None."""
    err = InvalidInput.at("plan.interval", "is required")
    assert (str(err), err.path, err.value) == ("plan.interval: is required", "plan.interval", None)
    assert err.errors[0].value is NO_VALUE


def test_none_is_a_value_like_any_other() -> None:
    """A problem whose value is None shows it: None is distinct from "no value"."""
    err = InvalidInput.at("x", "must be set", None)
    assert str(err) == "x: must be set (got None)"


def test_problem_without_path_renders_its_message_only() -> None:
    """A problem with an empty path renders as its message and value."""
    assert Problem("", "no range holds 5 units", 5).render() == "no range holds 5 units (got 5)"


def test_several_problems_show_how_many_more() -> None:
    """With several problems the message is the first one's plus "(and N more)"."""
    err = InvalidInput(
        [
            Problem("plan.code", "must not be empty", ""),
            Problem("plan.interval", "is required"),
            Problem("plan.amount_cents", "must not be negative", -1),
        ]
    )
    assert str(err) == "plan.code: must not be empty (got '') (and 2 more)"
    assert (err.path, err.value) == ("plan.code", "")
    assert [problem.path for problem in err.errors] == [
        "plan.code",
        "plan.interval",
        "plan.amount_cents",
    ]


def test_invalid_input_needs_a_problem() -> None:
    """An InvalidInput without any problem is a programming error."""
    with pytest.raises(ValueError, match=r"^InvalidInput needs at least one problem$"):
        InvalidInput([])


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param({"code": "vat"}, "{'code': 'vat'}", id="a short mapping is quoted"),
        pytest.param(
            {f"key_{index}": index for index in range(20)},
            "a dict with 20 keys",
            id="a whole payload is summarised by its type and size",
        ),
        pytest.param(list(range(40)), "a list of 40 items", id="a long list is summarised"),
        pytest.param(
            [{"code": "startup", "charges": ["x" * 80]}],
            "a list of 1 item",
            id="a list of one long item is summarised in the singular",
        ),
        pytest.param(
            {"code": "x" * 80},
            "a dict with 1 key",
            id="a mapping of one long value is summarised in the singular",
        ),
        pytest.param(
            "x" * 100,
            "'" + "x" * 76 + "... (102 characters)",
            id="a long text is cut with its length",
        ),
    ],
)
def test_long_values_are_summarised_in_the_message(value: Any, shown: str) -> None:
    """The message never dumps a whole payload: long values are summarised."""
    err = InvalidInput.at("plan", "is odd", value)
    assert str(err) == f"plan: is odd (got {shown})"
    assert err.value == value


def test_invalid_input_pickles() -> None:
    """InvalidInput survives pickling with its message, problems, path and value."""
    err = InvalidInput(
        [Problem("plan.code", "must not be empty", ""), Problem("plan.interval", "is required")]
    )
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is InvalidInput
    assert (str(copy), copy.path, copy.value, copy.errors) == (
        str(err),
        err.path,
        err.value,
        err.errors,
    )
    assert copy.errors[1].value is NO_VALUE


def test_unpicklable_value_travels_as_its_repr() -> None:
    """A value that cannot be pickled is replaced by its repr, so the error still pickles."""
    lock = threading.Lock()
    err = InvalidInput.at("taxes", "must be a list of taxes", lock)
    copy = pickle.loads(pickle.dumps(err))
    assert copy.value == repr(lock)
    assert copy.path == "taxes"


def test_no_value_marker_reprs_readably() -> None:
    """The no-value marker has a readable repr and survives pickling as itself."""
    assert repr(NO_VALUE) == "NO_VALUE"
    assert pickle.loads(pickle.dumps(NO_VALUE)) is NO_VALUE


@pytest.mark.parametrize(
    ("value", "choices", "max_edits", "suggestion"),
    [
        pytest.param(
            "graduate", ["standard", "graduated"], None, " Did you mean 'graduated'?", id="typo"
        ),
        pytest.param(
            "Standard", ["standard", "graduated"], None, " Did you mean 'standard'?", id="case"
        ),
        pytest.param("eut", ["EUR", "USD"], None, " Did you mean 'EUR'?", id="spelt as choice"),
        pytest.param("zzz", ["standard", "graduated"], None, "", id="nothing close"),
        pytest.param(42, ["standard"], None, "", id="not a text"),
        pytest.param(None, ["standard"], None, "", id="none"),
        pytest.param("BTC", ["BDT", "EUR"], 1, "", id="two edits away is too far for codes"),
        pytest.param("UDS", ["USD", "UAH"], 1, " Did you mean 'USD'?", id="swapped letters"),
        pytest.param("USDD", ["USD", "UAH"], 1, " Did you mean 'USD'?", id="an extra letter"),
    ],
)
def test_did_you_mean(
    value: Any, choices: list[str], max_edits: int | None, suggestion: str
) -> None:
    """did_you_mean suggests the closest choice, ignoring case, or nothing when none is close."""
    assert did_you_mean(value, choices, max_edits=max_edits) == suggestion


def test_a_problem_repr_never_fails() -> None:
    """A Problem's repr shows its value as messages do, however deep or odd the value."""
    deep: list[object] = []
    for _ in range(10_000):
        deep = [deep]
    problem = Problem("taxes[0]", "must be an object", deep)
    assert repr(problem) == (
        "Problem(path='taxes[0]', message='must be an object', "
        "value=a list nested too deep to show)"
    )
