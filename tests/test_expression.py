"""Tests for usage_engine.expression, the evaluator of Lago's metric expression language."""

from __future__ import annotations

import dataclasses
import pickle
import re
import time
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    Inexact,
    Rounded,
    localcontext,
)
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from usage_engine.errors import UsageEngineError
from usage_engine.expression import (
    EvaluationError,
    Expression,
    ExpressionError,
    parse_expression,
)

CODE = "api_call"
TIMESTAMP = 1_700_000_000


def evaluate(text: str, properties: dict[str, Any] | None = None) -> Decimal | str:
    """Parse ``text`` and evaluate it for one event with the given properties."""
    return parse_expression(text).evaluate(CODE, TIMESTAMP, properties or {})


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------

VALUE_CASES = [
    # Lago's own examples.
    pytest.param(
        "round(event.properties.value * event.properties.units)",
        {"value": "10.4", "units": "2"},
        Decimal("21"),
        id="lago-round-product",
    ),
    pytest.param("event.timestamp", {}, Decimal(TIMESTAMP), id="lago-timestamp"),
    pytest.param(
        "event.properties.left + event.properties.right",
        {"left": "1", "right": "2"},
        Decimal("3"),
        id="lago-sum-of-properties",
    ),
    pytest.param("ceil(event.properties.x, 2)", {"x": "1.231"}, Decimal("1.24"), id="ceil-2"),
    pytest.param("floor(-1.5)", {}, Decimal("-2"), id="floor-negative"),
    pytest.param("round(2.5)", {}, Decimal("3"), id="round-half-up"),
    pytest.param("round(-2.5)", {}, Decimal("-3"), id="round-half-away-from-zero"),
    pytest.param(
        "concat(event.code, '-', event.properties.region)",
        {"region": "eu"},
        "api_call-eu",
        id="concat-code-and-property",
    ),
    # Literals and variables.
    pytest.param("123", {}, Decimal("123"), id="integer-literal"),
    pytest.param("1.50", {}, Decimal("1.50"), id="decimal-literal-keeps-digits"),
    pytest.param("007", {}, Decimal("7"), id="leading-zeros"),
    pytest.param("'hello world'", {}, "hello world", id="string-literal"),
    pytest.param("''", {}, "", id="empty-string-literal"),
    pytest.param("'a\tb'", {}, "a\tb", id="tab-inside-string-is-content"),
    pytest.param("event.code", {}, CODE, id="event-code"),
    pytest.param("event.properties.x", {"x": "abc"}, "abc", id="string-property"),
    pytest.param("event.properties.x", {"x": "-1.25"}, Decimal("-1.25"), id="numeric-text"),
    pytest.param("event.properties.x", {"x": "1e3"}, "1e3", id="exponent-text-is-string"),
    pytest.param("event.properties.x", {"x": " 1"}, " 1", id="padded-text-is-string"),
    pytest.param("event.properties.x", {"x": "1."}, "1.", id="trailing-dot-is-string"),
    pytest.param("event.properties.x", {"x": "-0"}, Decimal("0"), id="negative-zero-text"),
    pytest.param("event.properties.x", {"x": 42}, Decimal("42"), id="int-property"),
    pytest.param("event.properties.x", {"x": 0.1}, Decimal("0.1"), id="float-property-shortest"),
    pytest.param("event.properties.x", {"x": Decimal("2.50")}, Decimal("2.50"), id="decimal-prop"),
    pytest.param("event.properties.x", {"x": True}, "true", id="bool-property-is-string"),
    pytest.param("event.properties.x", {"x": float("inf")}, "inf", id="infinite-float-is-string"),
    pytest.param("event.properties.Ab_1", {"Ab_1": "5"}, Decimal("5"), id="property-name-chars"),
    # Operators and precedence.
    pytest.param("1 + 2 * 3", {}, Decimal("7"), id="mul-binds-tighter"),
    pytest.param("(1 + 2) * 3", {}, Decimal("9"), id="parentheses"),
    pytest.param("10 - 2 - 3", {}, Decimal("5"), id="sub-left-assoc"),
    pytest.param("8 / 2 / 2", {}, Decimal("2"), id="div-left-assoc"),
    pytest.param("-2 * -3", {}, Decimal("6"), id="unary-minus"),
    pytest.param("2 - -3", {}, Decimal("5"), id="minus-minus"),
    pytest.param("--2", {}, Decimal("2"), id="double-negation"),
    pytest.param("-(1 + 2)", {}, Decimal("-3"), id="negated-group"),
    pytest.param("-event.properties.x", {"x": "4"}, Decimal("-4"), id="negated-property"),
    pytest.param("1+2*3-4/2", {}, Decimal("5"), id="no-spaces"),
    pytest.param("  1  +  2  ", {}, Decimal("3"), id="extra-spaces"),
    pytest.param("0.1 + 0.2", {}, Decimal("0.3"), id="exact-decimal-sum"),
    pytest.param("1.5 * 1.5", {}, Decimal("2.25"), id="exact-product"),
    pytest.param("10 / 4", {}, Decimal("2.5"), id="exact-quotient"),
    pytest.param("1 / 3", {}, Decimal("0." + "3" * 100), id="division-100-digits"),
    pytest.param("2 / 3", {}, Decimal("0." + "6" * 99 + "7"), id="division-rounds-half-up"),
    pytest.param("0 * -1", {}, Decimal("0"), id="no-negative-zero"),
    pytest.param(
        "99999999999999999999999999999999 * 99999999999999999999999999999999",
        {},
        Decimal("9" * 31 + "8" + "0" * 31 + "1"),
        id="arbitrary-precision",
    ),
    pytest.param("event.timestamp - 1700000000", {}, Decimal("0"), id="timestamp-arithmetic"),
    # round / ceil / floor.
    pytest.param("round(150, -2)", {}, Decimal("200"), id="round-negative-digits"),
    pytest.param("round(149, -2)", {}, Decimal("100"), id="round-negative-digits-down"),
    pytest.param("round(1.2345, 2)", {}, Decimal("1.23"), id="round-2"),
    pytest.param("round(1.235, 2)", {}, Decimal("1.24"), id="round-2-half"),
    pytest.param("round(1.5, 3)", {}, Decimal("1.500"), id="round-pads-digits"),
    pytest.param("round(-0.4)", {}, Decimal("0"), id="round-to-zero-is-positive"),
    pytest.param("round(2.5, 0)", {}, Decimal("3"), id="round-explicit-zero"),
    pytest.param("round(1.25, 1.0)", {}, Decimal("1.3"), id="round-integral-decimal-digits"),
    pytest.param("ceil(1.1)", {}, Decimal("2"), id="ceil"),
    pytest.param("ceil(-1.9)", {}, Decimal("-1"), id="ceil-negative"),
    pytest.param("ceil(101, -2)", {}, Decimal("200"), id="ceil-negative-digits"),
    pytest.param("floor(1.9)", {}, Decimal("1"), id="floor"),
    pytest.param("floor(-1.231, 2)", {}, Decimal("-1.24"), id="floor-2"),
    pytest.param("floor(199, -2)", {}, Decimal("100"), id="floor-negative-digits"),
    pytest.param("ROUND(2.5)", {}, Decimal("3"), id="uppercase-function"),
    pytest.param("Round(2.5)", {}, Decimal("3"), id="capitalized-function"),
    pytest.param("CEIL(1.1) + Floor(1.9)", {}, Decimal("3"), id="mixed-case-functions"),
    pytest.param("round (2.5)", {}, Decimal("3"), id="space-before-parenthesis"),
    # least / greatest.
    pytest.param("least(3, 1, 2)", {}, Decimal("1"), id="least"),
    pytest.param("greatest(3, 1, 2)", {}, Decimal("3"), id="greatest"),
    pytest.param("least(7)", {}, Decimal("7"), id="least-one-argument"),
    pytest.param("GREATEST(-1, -2)", {}, Decimal("-1"), id="greatest-negative"),
    pytest.param(
        "least(event.properties.a, 10) * 2", {"a": "3.5"}, Decimal("7.0"), id="least-in-arithmetic"
    ),
    # concat.
    pytest.param("concat(1.50, 'x')", {}, "1.50x", id="concat-keeps-literal-digits"),
    pytest.param("concat(round(150, -2))", {}, "200", id="concat-plain-notation"),
    pytest.param("concat(1 / 4, '|', 10 - 12)", {}, "0.25|-2", id="concat-computed-numbers"),
    pytest.param("concat(event.timestamp)", {}, str(TIMESTAMP), id="concat-timestamp"),
    pytest.param("concat('a')", {}, "a", id="concat-one-argument"),
    pytest.param("concat(event.properties.x)", {"x": 1e-7}, "0.0000001", id="concat-small-float"),
    pytest.param("CONCAT('a', 'b', 'c')", {}, "abc", id="concat-uppercase"),
]


@pytest.mark.parametrize(("text", "properties", "expected"), VALUE_CASES)
def test_evaluates_to_exact_value(
    text: str, properties: dict[str, Any], expected: Decimal | str
) -> None:
    """Each construct evaluates to exactly the expected value, type and digits."""
    result = evaluate(text, properties)
    assert type(result) is type(expected)
    assert result == expected
    assert str(result) == str(expected)


# ---------------------------------------------------------------------------------------------
# Syntax errors
# ---------------------------------------------------------------------------------------------

_PRIMARY = " (expected a number, a string, a variable or a function call)"
_OPERATOR = " (expected an operator or the end of the expression)"
_VARIABLES = "expected event.code, event.timestamp or event.properties.NAME"

SYNTAX_ERROR_CASES = [
    pytest.param("1 +", 3, f"unexpected end of text at position 3{_PRIMARY}", id="dangling-op"),
    pytest.param("1 + ", 4, f"unexpected end of text at position 4{_PRIMARY}", id="dangling-sp"),
    pytest.param("", 0, f"unexpected end of text at position 0{_PRIMARY}", id="empty"),
    pytest.param("   ", 3, f"unexpected end of text at position 3{_PRIMARY}", id="only-spaces"),
    pytest.param(
        "round(1", 7, "unexpected end of text at position 7 (expected ',' or ')')", id="unclosed"
    ),
    pytest.param("(1 + 2", 6, "unexpected end of text at position 6 (expected ')')", id="paren"),
    pytest.param("1 + 2)", 5, f"unexpected ')' at position 5{_OPERATOR}", id="extra-paren"),
    pytest.param("(1 +)", 4, f"unexpected ')' at position 4{_PRIMARY}", id="empty-operand"),
    pytest.param("()", 1, f"unexpected ')' at position 1{_PRIMARY}", id="empty-group"),
    pytest.param("1 2", 2, f"unexpected '2' at position 2{_OPERATOR}", id="missing-operator"),
    pytest.param("1 * * 2", 4, f"unexpected '*' at position 4{_PRIMARY}", id="double-star"),
    pytest.param("+1", 0, f"unexpected '+' at position 0{_PRIMARY}", id="unary-plus"),
    pytest.param("1e3", 1, f"unexpected 'e3' at position 1{_OPERATOR}", id="exponent"),
    pytest.param(".5", 0, "unexpected '.' at position 0", id="leading-dot"),
    pytest.param(
        "1.", 2, "unexpected end of text at position 2 (expected a digit after '.')", id="1-dot"
    ),
    pytest.param(
        "1.x", 2, "unexpected 'x' at position 2 (expected a digit after '.')", id="dot-letter"
    ),
    pytest.param("1.5.3", 3, "unexpected '.' at position 3", id="two-dots"),
    pytest.param('"x"', 0, "unexpected '\"' at position 0", id="double-quotes"),
    pytest.param("'abc", 0, "unterminated string starting at position 0", id="unterminated"),
    pytest.param("1\t+ 2", 1, "unexpected '\\t' at position 1", id="tab"),
    pytest.param("1 +\n2", 3, "unexpected '\\n' at position 3", id="newline"),
    pytest.param("1 ^ 2", 2, "unexpected '^' at position 2", id="unknown-operator"),
    pytest.param("é", 0, "unexpected 'é' at position 0", id="non-ascii"),
    pytest.param("event.foo", 6, f"unknown field 'foo' at position 6; {_VARIABLES}", id="field"),
    pytest.param(
        "event.Code", 6, f"unknown field 'Code' at position 6; {_VARIABLES}", id="field-case"
    ),
    pytest.param(
        "foo.bar", 0, f"unknown variable 'foo.bar' at position 0; {_VARIABLES}", id="variable"
    ),
    pytest.param(
        "Event.code", 0, f"unknown variable 'Event.code' at position 0; {_VARIABLES}", id="Event"
    ),
    pytest.param(
        "event", 0, f"incomplete variable 'event' at position 0; {_VARIABLES}", id="bare-event"
    ),
    pytest.param(
        "event.",
        6,
        "unexpected end of text at position 6 (expected a name after '.')",
        id="event-dot",
    ),
    pytest.param("event . code", 6, "unexpected '.' at position 6", id="spaced-variable"),
    pytest.param(
        "event.properties",
        16,
        "expected a property name after 'event.properties' at position 16",
        id="no-property-name",
    ),
    pytest.param(
        "1 + event.properties.1a",
        21,
        "invalid property name '1a' at position 21; a property name is an ASCII letter"
        " followed by ASCII letters, digits or underscores",
        id="property-starts-with-digit",
    ),
    pytest.param(
        "event.properties._a",
        17,
        "invalid property name '_a' at position 17; a property name is an ASCII letter"
        " followed by ASCII letters, digits or underscores",
        id="property-starts-with-underscore",
    ),
    pytest.param(
        "event.properties.a.b", 18, "unexpected '.b' at position 18", id="nested-property"
    ),
    pytest.param("event.code.x", 10, "unexpected '.x' at position 10", id="code-subfield"),
    pytest.param(
        "unknown_fn(1)", 0, "unknown function 'unknown_fn' at position 0", id="unknown-function"
    ),
    pytest.param(
        "rOuNd(1)",
        0,
        "unknown function 'rOuNd' at position 0 (did you mean 'round'?)",
        id="mixed-case-function",
    ),
    pytest.param(
        "flor(1)", 0, "unknown function 'flor' at position 0 (did you mean 'floor'?)", id="typo"
    ),
    pytest.param("2 * foo", 4, "unknown name 'foo' at position 4", id="unknown-name"),
    pytest.param(
        "round + 1", 6, "unexpected '+' at position 6 (expected '(' after 'round')", id="no-call"
    ),
    pytest.param("round()", 6, f"unexpected ')' at position 6{_PRIMARY}", id="round-no-args"),
    pytest.param("least()", 6, f"unexpected ')' at position 6{_PRIMARY}", id="least-no-args"),
    pytest.param("round(1,)", 8, f"unexpected ')' at position 8{_PRIMARY}", id="trailing-comma"),
    pytest.param(
        "round(1 2)", 8, "unexpected '2' at position 8 (expected ',' or ')')", id="missing-comma"
    ),
    pytest.param(
        "1 + ceil(1, 2, 3)",
        4,
        "ceil() takes 1 or 2 arguments, got 3 arguments at position 4",
        id="too-many-arguments",
    ),
    pytest.param("event.code(1)", 10, f"unexpected '(' at position 10{_OPERATOR}", id="call-var"),
    pytest.param(
        "(" * 65 + "1" + ")" * 65,
        64,
        "expression nested deeper than 64 levels at position 64",
        id="too-deep",
    ),
    pytest.param(
        "-" * 65 + "1", 64, "expression nested deeper than 64 levels at position 64", id="deep-neg"
    ),
    pytest.param(
        "__import__('os')", 0, "unknown function '__import__' at position 0", id="no-python"
    ),
    pytest.param(
        "1" * 4097,
        4096,
        "expression longer than 4096 characters at position 4096 (it has 4097)",
        id="too-long",
    ),
    pytest.param(
        "+".join(["1"] * 129),
        256,
        "expression has more than 256 parts (numbers, strings, variables, operators,"
        " functions) at position 256",
        id="too-many-parts",
    ),
    pytest.param(
        "concat(" + ", ".join(["event.properties.x"] * 1000) + ")",
        4096,
        "expression longer than 4096 characters at position 4096 (it has 20006)",
        id="issue-concat-of-1000-arguments",
    ),
    pytest.param(
        "concat(" + ",".join(["'a'"] * 1000) + ")",
        1027,
        "expression has more than 256 parts (numbers, strings, variables, operators,"
        " functions) at position 1027",
        id="concat-of-1000-short-arguments",
    ),
    pytest.param(
        "1 + least(" + ", ".join(["1"] * 65) + ")",
        4,
        "least() takes 1 to 64 arguments, got 65 arguments at position 4",
        id="too-many-arguments-of-least",
    ),
]


@pytest.mark.parametrize(("text", "position", "message"), SYNTAX_ERROR_CASES)
def test_syntax_error_names_position_and_token(text: str, position: int, message: str) -> None:
    """Each invalid text raises ExpressionError with the exact message and position."""
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert str(caught.value) == message
    assert caught.value.position == position
    assert caught.value.text == text


def test_error_classes_fit_the_engine_hierarchy() -> None:
    """Both error classes are ValueErrors and UsageEngineErrors."""
    assert issubclass(ExpressionError, ValueError)
    assert issubclass(ExpressionError, UsageEngineError)
    assert issubclass(EvaluationError, ValueError)
    assert issubclass(EvaluationError, UsageEngineError)


def test_nesting_up_to_the_limit_parses() -> None:
    """Sixty-four levels of parentheses, calls or negations are accepted."""
    assert evaluate("(" * 64 + "1" + ")" * 64) == 1
    assert evaluate("round(" * 64 + "1.5" + ")" * 64) == 2
    assert evaluate("-" * 64 + "1") == 1


def test_long_flat_chains_do_not_recurse() -> None:
    """Chains as long as the size bounds allow parse and evaluate without recursing."""
    assert evaluate(" + ".join(["1"] * 128)) == 128
    assert evaluate(" * ".join(["1"] * 128)) == 1


def test_expressions_up_to_the_size_bounds_parse() -> None:
    """4096 characters, 256 parts and 64 arguments are accepted."""
    assert evaluate("1" * 4096) == Decimal("1" * 4096)
    longest = "-" + "+".join(["1"] * 127) + "+" + "1" * 3841  # 256 parts, 4096 characters
    assert evaluate(longest) == Decimal(int("1" * 3841) + 125)
    assert evaluate("concat(" + ", ".join(["'ab'"] * 64) + ")") == "ab" * 64
    assert evaluate("greatest(" + ", ".join(str(n) for n in range(64)) + ")") == 63


# ---------------------------------------------------------------------------------------------
# Evaluation errors
# ---------------------------------------------------------------------------------------------

EVALUATION_ERROR_CASES = [
    pytest.param("event.properties.x + 1", {}, "missing property 'x'", id="missing"),
    pytest.param("event.properties.x", {"x": None}, "missing property 'x'", id="none-is-missing"),
    pytest.param("concat(event.properties.x)", {}, "missing property 'x'", id="missing-concat"),
    pytest.param(
        "event.properties.x + 1",
        {"x": "abc"},
        "cannot apply '+' to the string 'abc'",
        id="string-plus",
    ),
    pytest.param(
        "2 * event.properties.x", {"x": "1e3"}, "cannot apply '*' to the string '1e3'", id="mul"
    ),
    pytest.param("'10' - 1", {}, "cannot apply '-' to the string '10'", id="string-literal"),
    pytest.param("event.code / 2", {}, "cannot apply '/' to the string 'api_call'", id="code"),
    pytest.param("-event.code", {}, "cannot apply unary '-' to the string 'api_call'", id="neg"),
    pytest.param(
        "event.properties.x + 1", {"x": True}, "cannot apply '+' to the string 'true'", id="bool"
    ),
    pytest.param("round('a')", {}, "cannot apply round() to the string 'a'", id="round-string"),
    pytest.param("CEIL(1, 'a')", {}, "cannot apply CEIL() to the string 'a'", id="digits-str"),
    pytest.param("least(1, 'a')", {}, "cannot apply least() to the string 'a'", id="least-str"),
    pytest.param(
        "greatest('b', 1)", {}, "cannot apply greatest() to the string 'b'", id="greatest-str"
    ),
    pytest.param("1 / 0", {}, "division by zero", id="division-by-zero"),
    pytest.param("0 / 0.00", {}, "division by zero", id="zero-by-zero"),
    pytest.param(
        "1 / event.properties.x", {"x": "0"}, "division by zero", id="division-by-zero-property"
    ),
    pytest.param(
        "round(1, 0.5)", {}, "round() digits must be a whole number, got 0.5", id="digits-fraction"
    ),
    pytest.param(
        "floor(1, 10001)",
        {},
        "floor() digits must be between -10000 and 10000",
        id="digits-too-large",
    ),
    pytest.param(
        "event.properties.x",
        {"x": [1, 2]},
        "property 'x' is a list, not a number or a string",
        id="unsupported-type",
    ),
    pytest.param(
        "event.properties.x + 1",
        {"x": Decimal("1E+999999999")},
        "property 'x' is out of the range of numbers Lago stores",
        id="a billion digits to add exactly",
    ),
    pytest.param(
        "concat(event.properties.x)",
        {"x": Decimal("1E-999999999")},
        "property 'x' is out of the range of numbers Lago stores",
        id="a billion digits to print",
    ),
    # Size bounds on the values an evaluation computes.
    pytest.param(
        "event.properties.x + 1",
        {"x": "9" * 20_000},
        "'+' gives a number of more than 20000 digits",
        id="sum-of-20001-digits",
    ),
    pytest.param(
        "event.properties.x - 0.1",
        {"x": "1" * 20_000},
        "'-' gives a number of more than 20000 digits",
        id="difference-of-20001-digits",
    ),
    pytest.param(
        "event.properties.x * event.properties.x",
        {"x": "1" * 10_001},
        "'*' gives a number of more than 20000 digits",
        id="product-of-20001-digits",
    ),
    pytest.param(
        "-event.properties.x",
        {"x": "1" * 20_001},
        "unary '-' gives a number of more than 20000 digits",
        id="negated-long-property",
    ),
    pytest.param(
        "round(event.properties.x, 10000)",
        {"x": "1" * 10_001},
        "round() gives a number of more than 20000 digits",
        id="round-to-20001-digits",
    ),
    pytest.param(
        "floor(event.properties.x, -10000)",
        {"x": Decimal("1E+20000")},
        "floor() gives a number of more than 20000 digits",
        id="floor-to-20001-digits",
    ),
    pytest.param(
        "concat(event.properties.x, event.properties.x, 'z')",
        {"x": "a" * 2048},
        "concat() gives a text of more than 4096 characters",
        id="concat-of-4097-characters",
    ),
    pytest.param(
        "concat('a', event.properties.x * event.properties.x)",
        {"x": Decimal("1E+100000")},
        "concat() gives a text of more than 4096 characters",
        id="concat-refuses-before-printing-200000-zeros",
    ),
    pytest.param(
        "concat(1 / event.properties.x)",
        {"x": Decimal("1E+4096")},
        "concat() gives a text of more than 4096 characters",
        id="concat-refuses-before-printing-4096-decimal-zeros",
    ),
    pytest.param(
        "event.properties.x * event.properties.x",
        {"x": Decimal("1E+70000")},
        "the result is out of the range of numbers Lago stores",
        id="result-of-140001-integer-digits",
    ),
    pytest.param(
        "1 / event.properties.x",
        {"x": Decimal("1E+16384")},
        "the result is out of the range of numbers Lago stores",
        id="result-of-16384-decimals",
    ),
]


@pytest.mark.parametrize(("text", "properties", "message"), EVALUATION_ERROR_CASES)
def test_evaluation_error_message(text: str, properties: dict[str, Any], message: str) -> None:
    """Each failing evaluation raises EvaluationError with the exact message."""
    expression = parse_expression(text)
    with pytest.raises(EvaluationError) as caught:
        expression.evaluate(CODE, TIMESTAMP, properties)
    assert str(caught.value) == message


# ---------------------------------------------------------------------------------------------
# The Expression object
# ---------------------------------------------------------------------------------------------


def test_property_names_lists_every_referenced_property() -> None:
    """property_names returns each event.properties.X name once, and nothing else."""
    expression = parse_expression(
        "concat(event.code, event.properties.b) + round(event.properties.a, event.properties.b)"
    )
    assert expression.property_names() == frozenset({"a", "b"})
    assert parse_expression("event.timestamp + 1").property_names() == frozenset()


def test_expression_pickles_and_compares_by_text() -> None:
    """An Expression survives pickling, equals its copy, and hashes by its text."""
    expression = parse_expression("round(event.properties.x * 2, 1)")
    copy = pickle.loads(pickle.dumps(expression))
    assert copy == expression
    assert hash(copy) == hash(expression)
    assert copy.property_names() == expression.property_names()
    assert copy.evaluate(CODE, TIMESTAMP, {"x": "1.26"}) == Decimal("2.5")
    assert repr(expression) == "Expression(text='round(event.properties.x * 2, 1)')"


def test_expression_constructor_parses() -> None:
    """Expression(text) is the same as parse_expression(text), and rejects invalid text."""
    assert Expression("1 + 1") == parse_expression("1 + 1")
    with pytest.raises(ExpressionError):
        Expression("1 +")


def test_expression_is_frozen() -> None:
    """An Expression cannot be modified after parsing."""
    expression = parse_expression("1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        expression.text = "2"  # type: ignore[misc]


def test_expression_error_pickles() -> None:
    """An ExpressionError keeps its message, position and text through pickling."""
    with pytest.raises(ExpressionError) as caught:
        parse_expression("(1 +)")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (str(copy), copy.position, copy.text) == (
        "unexpected ')' at position 4" + _PRIMARY,
        4,
        "(1 +)",
    )


def test_global_decimal_context_is_ignored() -> None:
    """A low-precision, trapping thread context changes neither results nor errors."""
    expression = parse_expression("1 / 3 + 123456789.123456789 * 1000")
    expected = expression.evaluate(CODE, TIMESTAMP, {})
    with localcontext() as context:
        context.prec = 3
        context.rounding = "ROUND_DOWN"
        context.traps[Inexact] = True
        context.traps[Rounded] = True
        assert expression.evaluate(CODE, TIMESTAMP, {}) == expected
        assert evaluate("round(2.5)") == 3
    assert expected == Decimal("123456789123.790122" + "3" * 94)


def test_evaluation_does_not_mutate_properties() -> None:
    """Evaluating leaves the properties mapping untouched."""
    properties = {"x": "1.5", "y": 2}
    evaluate("event.properties.x * event.properties.y", properties)
    assert properties == {"x": "1.5", "y": 2}


# ---------------------------------------------------------------------------------------------
# Properties (Hypothesis)
# ---------------------------------------------------------------------------------------------

_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, rounding=ROUND_HALF_UP)
_DIVIDE = Context(prec=100, Emax=MAX_EMAX, Emin=MIN_EMIN, rounding=ROUND_HALF_UP)

# Tree: ("lit", Decimal) | ("neg", tree) | ("group", tree) | (op, tree, tree).
Tree = tuple[Any, ...]
_LEVEL = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "lit": 4, "group": 4}


def _literal(digits: int, places: int) -> Tree:
    """Build a non-negative literal ``digits`` scaled down by ``places`` decimal places."""
    return ("lit", Decimal(digits).scaleb(-places))


literals = st.builds(_literal, st.integers(0, 10_000), st.integers(0, 3))
nonzero_literals = st.builds(_literal, st.integers(1, 10_000), st.integers(0, 3))


def _extend(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
    """Combine subtrees with + - *, division by a non-zero literal, negation and grouping."""
    return st.one_of(
        st.tuples(st.sampled_from(["+", "-", "*"]), children, children),
        st.tuples(st.just("/"), children, nonzero_literals),
        st.tuples(st.just("neg"), children),
        st.tuples(st.just("group"), children),
    )


trees = st.recursive(literals, _extend, max_leaves=25)


def render(tree: Tree, spaced: bool) -> str:
    """Write ``tree`` as expression text with the fewest parentheses its shape needs."""
    kind = tree[0]
    if kind == "lit":
        return format(tree[1], "f")
    if kind == "group":
        return "(" + render(tree[1], spaced) + ")"
    if kind == "neg":
        operand = render(tree[1], spaced)
        return "-" + (operand if _LEVEL[tree[1][0]] >= 3 else f"({operand})")
    level = _LEVEL[kind]
    left = render(tree[1], spaced)
    right = render(tree[2], spaced)
    if _LEVEL[tree[1][0]] < level:
        left = f"({left})"
    if _LEVEL[tree[2][0]] <= level:
        right = f"({right})"
    operator = f" {kind} " if spaced else kind
    return left + operator + right


def reference(tree: Tree) -> Decimal:
    """Compute ``tree``'s value directly with Decimal, without the parser."""
    kind = tree[0]
    if kind == "lit":
        value: Decimal = tree[1]
        return value
    if kind == "group":
        return reference(tree[1])
    if kind == "neg":
        return _EXACT.minus(reference(tree[1]))
    left, right = reference(tree[1]), reference(tree[2])
    if kind == "+":
        return _EXACT.add(left, right)
    if kind == "-":
        return _EXACT.subtract(left, right)
    if kind == "*":
        return _EXACT.multiply(left, right)
    return _DIVIDE.divide(left, right)


@settings(max_examples=300, deadline=None)
@given(trees, st.booleans())
def test_arithmetic_agrees_with_reference(tree: Tree, spaced: bool) -> None:
    """Random arithmetic trees rendered to text evaluate to the directly computed value."""
    text = render(tree, spaced)
    result = evaluate(text)
    assert isinstance(result, Decimal)
    assert result == reference(tree), text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789.+-*/(), 'aeprtx_\t\"")), max_size=30))
def test_any_text_parses_or_raises_expression_error(text: str) -> None:
    """Arbitrary text either parses or raises ExpressionError with an in-range position."""
    error: ExpressionError | None = None
    try:
        expression = parse_expression(text)
    except ExpressionError as caught:
        error = caught
    if error is not None:
        assert 0 <= error.position <= len(text)
        assert f"at position {error.position}" in str(error)
        return
    try:
        result = expression.evaluate(CODE, TIMESTAMP, {"x": "1.5"})
    except EvaluationError:
        return
    assert isinstance(result, Decimal | str)


_DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
numeric_texts = st.from_regex(_DECIMAL_TEXT, fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(st.one_of(numeric_texts, st.integers(), st.decimals(allow_nan=False, allow_infinity=False)))
def test_numeric_property_values_are_decimals(value: Any) -> None:
    """Decimal text, ints and Decimals in the properties evaluate to the equal Decimal."""
    result = evaluate("event.properties.v", {"v": value})
    assert isinstance(result, Decimal)
    assert result == Decimal(value)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12).filter(lambda text: not _DECIMAL_TEXT.fullmatch(text)))
def test_other_text_property_values_stay_strings(value: str) -> None:
    """Text that is not a plain decimal evaluates to itself, unchanged."""
    assert evaluate("event.properties.v", {"v": value}) == value


# ---------------------------------------------------------------------------------------------
# Size bounds: the cost of one event stays small
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("factors", [50, 100])
def test_a_chain_of_products_over_a_long_number_is_refused_quickly(factors: int) -> None:
    """x * x * ... * x over one 131 KB number took 5.4 s (50 factors) or 22 s (100) per event.

    Now the first product beyond 20000 digits stops the evaluation, in milliseconds.
    """
    expression = parse_expression(" * ".join(["event.properties.x"] * factors))
    started = time.process_time()
    with pytest.raises(EvaluationError) as caught:
        expression.evaluate(CODE, TIMESTAMP, {"x": "9" * 131_000})
    assert time.process_time() - started < 0.5
    assert str(caught.value) == "'*' gives a number of more than 20000 digits"


def _digits(number: Decimal) -> int:
    return len(number.as_tuple().digits)


_UNBOUNDED = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(st.integers(1, 12_000), st.sampled_from([10_000, 10_001, 12_000])),
    st.one_of(st.integers(1, 12_000), st.sampled_from([10_000, 10_001, 12_000])),
    st.integers(1, 9),
    st.integers(1, 9),
    st.sampled_from(["*", "+", "-"]),
)
def test_computed_numbers_are_exact_up_to_the_digit_bound(
    left_digits: int, right_digits: int, left_lead: int, right_lead: int, symbol: str
) -> None:
    """An operation gives the exact result when it has at most 20000 digits, else it refuses."""
    left = Decimal(str(left_lead) + "7" * (left_digits - 1))
    right = Decimal(str(right_lead) + "3" * (right_digits - 1))
    exact = {"*": _UNBOUNDED.multiply, "+": _UNBOUNDED.add, "-": _UNBOUNDED.subtract}[symbol](
        left, right
    )
    expression = parse_expression(f"event.properties.a {symbol} event.properties.b")
    if _digits(exact) <= 20_000:
        assert expression.evaluate(CODE, TIMESTAMP, {"a": left, "b": right}) == exact
    else:
        message = f"{symbol!r} gives a number of more than 20000 digits"
        with pytest.raises(EvaluationError, match=f"^{re.escape(message)}$"):
            expression.evaluate(CODE, TIMESTAMP, {"a": left, "b": right})


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 1_500), min_size=1, max_size=6))
def test_concat_is_exact_up_to_the_text_bound(lengths: list[int]) -> None:
    """concat joins its arguments when the text has at most 4096 characters, else refuses."""
    properties = {f"p{index}": "x" * length for index, length in enumerate(lengths)}
    expression = parse_expression(
        "concat(" + ", ".join(f"event.properties.{name}" for name in properties) + ")"
    )
    if sum(lengths) <= 4096:
        assert expression.evaluate(CODE, TIMESTAMP, properties) == "x" * sum(lengths)
    else:
        message = "concat() gives a text of more than 4096 characters"
        with pytest.raises(EvaluationError, match=f"^{re.escape(message)}$"):
            expression.evaluate(CODE, TIMESTAMP, properties)
