"""A safe parser and evaluator for Lago's billable-metric expression language."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    Rounded,
)
from typing import Any, Final

from .errors import UsageEngineError
from .money import within_numeric_range

__all__ = ["EvaluationError", "Expression", "ExpressionError", "parse_expression"]

Value = Decimal | str
"""What an expression evaluates to: a number or a string."""

_MAX_DIGITS: Final = 10_000
"""Largest ``digits`` accepted by round/ceil/floor, so a typo cannot allocate gigabytes."""

_MAX_DEPTH: Final = 64
"""Deepest nesting of parentheses, calls and unary minus the parser accepts."""

# The size bounds below keep the cost of one event small: without them a flat chain
# ``x * x * ... * x`` over one long number took seconds per event, and ``concat`` with many
# arguments turned kilobytes of events into gigabytes of values.

_MAX_LENGTH: Final = 4_096
"""Longest expression text accepted, in characters."""

_MAX_PARTS: Final = 256
"""Most parts (numbers, strings, variables, operators, function names) an expression has."""

_MAX_ARGUMENTS: Final = 64
"""Most arguments of one least/greatest/concat call."""

_MAX_NUMBER_DIGITS: Final = 20_000
"""Most significant digits of a number an operator or round/ceil/floor computes.

Any ``round(x, 10000)`` of an ``x`` below 1E+10000 fits. With it, a step that succeeds costs
at most about a millisecond, and the first step that would need more stops the evaluation.
"""

_MAX_TEXT: Final = 4_096
"""Longest text ``concat`` builds, in characters."""

_EXACT: Final = Context(
    prec=MAX_PREC,
    rounding=ROUND_HALF_UP,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    capitals=1,
    clamp=0,
    flags=[],
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
"""Exact arithmetic for literals and checks: the precision never runs out."""

_BOUNDED: Final = Context(
    prec=_MAX_NUMBER_DIGITS,
    rounding=ROUND_HALF_UP,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    capitals=1,
    clamp=0,
    flags=[],
    traps=[InvalidOperation, DivisionByZero, Overflow, Rounded],
)
"""Exact arithmetic for ``+ - *`` and negation, up to ``_MAX_NUMBER_DIGITS``.

A result that needs more digits would be rounded: ``Rounded`` is trapped instead, and the
evaluation refuses the event.
"""

_QUANTIZE: Final = _BOUNDED.copy()
_QUANTIZE.traps[Rounded] = False
"""Quantizing for round/ceil/floor, which rounds on purpose; a result of more than
``_MAX_NUMBER_DIGITS`` digits signals ``InvalidOperation`` instead."""

_DIVISION: Final = Context(
    prec=100,
    rounding=ROUND_HALF_UP,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    capitals=1,
    clamp=0,
    flags=[],
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
"""Division keeps 100 significant digits, rounded half away from zero (Lago's BigDecimal)."""

_NUMERIC_TEXT: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_PROPERTY_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_DIGITS: Final = frozenset("0123456789")
_WORD_START: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_WORD_CHARS: Final = _WORD_START | _DIGITS
_PUNCTUATION: Final = frozenset("+-*/(),")
_VARIABLES: Final = "event.code, event.timestamp or event.properties.NAME"
_ONE: Final = Decimal(1)
_UNARY_MINUS: Final = "unary '-'"
_QUANTUM: Final = {digits: Decimal((0, (1,), -digits)) for digits in range(-20, 21)}


class ExpressionError(UsageEngineError, ValueError):
    """The expression text is not valid; ``position`` is the 0-based offset of the problem.

    >>> err = ExpressionError("unexpected ')' at position 4", 4, "(1 +)")
    >>> str(err), err.position, err.text
    ("unexpected ')' at position 4", 4, '(1 +)')
    """

    position: int
    text: str

    def __init__(self, message: str, position: int, text: str) -> None:
        super().__init__(message)
        self.position = position
        self.text = text

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.position, self.text))


class EvaluationError(UsageEngineError, ValueError):
    """Evaluating an expression for one event failed.

    Raised for a missing property, arithmetic (or round/least/...) on a string, and division
    by zero.

    >>> parse_expression("1 / (event.timestamp - 5)").evaluate("c", 5, {})
    Traceback (most recent call last):
    ...
    usage_engine.expression.EvaluationError: division by zero
    """


# --------------------------------------------------------------------------------------------
# Tree nodes. Each node is immutable and evaluates itself with ``ev(code, timestamp, props)``.
# --------------------------------------------------------------------------------------------


class _Node:
    __slots__ = ()

    def ev(self, code: str, timestamp: int, props: Mapping[str, Any]) -> Value:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class _Const(_Node):
    value: Value

    def ev(self, code: str, timestamp: int, props: Mapping[str, Any]) -> Value:
        return self.value


@dataclass(frozen=True, slots=True)
class _Code(_Node):
    def ev(self, code: str, timestamp: int, props: Mapping[str, Any]) -> Value:
        return code


@dataclass(frozen=True, slots=True)
class _Timestamp(_Node):
    def ev(self, code: str, timestamp: int, props: Mapping[str, Any]) -> Value:
        return Decimal(timestamp)


@dataclass(frozen=True, slots=True)
class _Property(_Node):
    name: str

    def ev(self, code: str, timestamp: int, props: Mapping[str, Any]) -> Value:
        return _property_value(self.name, props.get(self.name))


@dataclass(frozen=True, slots=True)
class _Negate(_Node):
    operand: _Node

    def ev(self, code: str, timestamp: int, props: Mapping[str, Any]) -> Value:
        value = self.operand.ev(code, timestamp, props)
        if isinstance(value, str):
            raise _string_operand(_UNARY_MINUS, value)
        if not value:
            return value.copy_abs()
        try:
            return _BOUNDED.minus(value)
        except Rounded:
            raise _too_many_digits(_UNARY_MINUS) from None


def _add(left: Decimal, right: Decimal) -> Decimal:
    return _BOUNDED.add(left, right)


def _subtract(left: Decimal, right: Decimal) -> Decimal:
    return _BOUNDED.subtract(left, right)


def _multiply(left: Decimal, right: Decimal) -> Decimal:
    result = _BOUNDED.multiply(left, right)
    return result if result else result.copy_abs()


def _divide(left: Decimal, right: Decimal) -> Decimal:
    if not right:
        msg = "division by zero"
        raise EvaluationError(msg)
    result = _DIVISION.divide(left, right)
    return result if result else result.copy_abs()


_OPERATORS: Final[Mapping[str, Callable[[Decimal, Decimal], Decimal]]] = {
    "+": _add,
    "-": _subtract,
    "*": _multiply,
    "/": _divide,
}


@dataclass(frozen=True, slots=True)
class _Chain(_Node):
    """``first op1 x1 op2 x2 ...``, left-associative operators of one precedence level.

    Chains are flat, so a long sum like ``a + b + c + ...`` does not nest (or recurse).
    """

    first: _Node
    rest: tuple[tuple[str, Callable[[Decimal, Decimal], Decimal], _Node], ...]

    def ev(self, code: str, timestamp: int, props: Mapping[str, Any]) -> Value:
        value = self.first.ev(code, timestamp, props)
        for symbol, operator, node in self.rest:
            right = node.ev(code, timestamp, props)
            if isinstance(value, str) or isinstance(right, str):
                raise _string_operand(repr(symbol), value, right)
            try:
                value = operator(value, right)
            except Rounded:
                raise _too_many_digits(repr(symbol)) from None
        return value


@dataclass(frozen=True, slots=True)
class _Call(_Node):
    name: str
    function: Callable[[str, list[Value]], Value]
    args: tuple[_Node, ...]

    def ev(self, code: str, timestamp: int, props: Mapping[str, Any]) -> Value:
        return self.function(self.name, [arg.ev(code, timestamp, props) for arg in self.args])


# --------------------------------------------------------------------------------------------
# Values and functions.
# --------------------------------------------------------------------------------------------


def _property_value(name: str, raw: Any) -> Value:
    """Turn an event property into a number (when it is one) or a string."""
    if isinstance(raw, str):
        if _NUMERIC_TEXT.fullmatch(raw):
            return _in_range(name, Decimal(raw))
        return raw
    if raw is None:
        msg = f"missing property {name!r}"
        raise EvaluationError(msg)
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int):
        return _in_range(name, Decimal(raw))
    if isinstance(raw, float | Decimal):
        number = Decimal(repr(raw)) if isinstance(raw, float) else raw
        if not number.is_finite():
            return str(raw)
        return _in_range(name, number)
    msg = f"property {name!r} is a {type(raw).__name__}, not a number or a string"
    raise EvaluationError(msg)


def _in_range(name: str, number: Decimal) -> Decimal:
    # Exact arithmetic on 1E+999999999 would need a billion digits; Lago's store (Postgres
    # numeric) could not hold such an event anyway.
    if not within_numeric_range(number):
        msg = f"property {name!r} is out of the range of numbers Lago stores"
        raise EvaluationError(msg)
    return number if number else number.copy_abs()


def _string_operand(what: str, *values: Value) -> EvaluationError:
    """Build the error for applying ``what`` (an operator or function) to the first string."""
    for value in values:
        if isinstance(value, str):
            msg = f"cannot apply {what} to the string {value!r}"
            return EvaluationError(msg)
    msg = f"cannot apply {what}"  # pragma: no cover - callers pass a string
    return EvaluationError(msg)  # pragma: no cover


def _too_many_digits(what: str) -> EvaluationError:
    msg = f"{what} gives a number of more than {_MAX_NUMBER_DIGITS} digits"
    return EvaluationError(msg)


def _number(value: Value, what: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    raise _string_operand(what, value)


def _text(value: Value) -> str:
    return value if isinstance(value, str) else format(value, "f")


def _rounder(rounding: str) -> Callable[[str, list[Value]], Value]:
    def apply(name: str, args: list[Value]) -> Value:
        number = _number(args[0], f"{name}()")
        digits = 0
        if len(args) > 1:
            places = _number(args[1], f"{name}()")
            if places != places.to_integral_value(rounding=ROUND_FLOOR, context=_EXACT):
                msg = f"{name}() digits must be a whole number, got {_text(places)}"
                raise EvaluationError(msg)
            if abs(places) > _MAX_DIGITS:
                msg = f"{name}() digits must be between {-_MAX_DIGITS} and {_MAX_DIGITS}"
                raise EvaluationError(msg)
            digits = int(places)
        quantum = _QUANTUM.get(digits) or Decimal((0, (1,), -digits))
        try:
            result = number.quantize(quantum, rounding=rounding, context=_QUANTIZE)
            if digits < 0:
                result = result.quantize(_ONE, context=_QUANTIZE)
        except InvalidOperation:
            # quantize signals InvalidOperation when the result needs more digits than the
            # context's precision (the only way it can fail on a finite number here).
            what = f"{name}()"
            raise _too_many_digits(what) from None
        return result if result else result.copy_abs()

    return apply


def _least(name: str, args: list[Value]) -> Value:
    return min(_number(arg, f"{name}()") for arg in args)


def _greatest(name: str, args: list[Value]) -> Value:
    return max(_number(arg, f"{name}()") for arg in args)


def _concat(name: str, args: list[Value]) -> Value:
    texts = []
    length = 0
    for arg in args:
        # A number's plain text has more characters than its exponent: refuse 1E+100000
        # before printing its hundred thousand zeros.
        if isinstance(arg, Decimal) and arg and abs(arg.adjusted()) > _MAX_TEXT:
            length = _MAX_TEXT + 1
        else:
            text = _text(arg)
            length += len(text)
            texts.append(text)
        if length > _MAX_TEXT:
            msg = f"{name}() gives a text of more than {_MAX_TEXT} characters"
            raise EvaluationError(msg)
    return "".join(texts)


@dataclass(frozen=True, slots=True)
class _Function:
    name: str
    min_args: int
    max_args: int
    apply: Callable[[str, list[Value]], Value]

    def arity(self) -> str:
        joint = "or" if self.max_args == self.min_args + 1 else "to"
        return f"{self.min_args} {joint} {self.max_args} arguments"


_FUNCTION_LIST: Final = (
    _Function("round", 1, 2, _rounder(ROUND_HALF_UP)),
    _Function("ceil", 1, 2, _rounder(ROUND_CEILING)),
    _Function("floor", 1, 2, _rounder(ROUND_FLOOR)),
    _Function("least", 1, _MAX_ARGUMENTS, _least),
    _Function("greatest", 1, _MAX_ARGUMENTS, _greatest),
    _Function("concat", 1, _MAX_ARGUMENTS, _concat),
)
_FUNCTIONS: Final[Mapping[str, _Function]] = {
    spelling: function
    for function in _FUNCTION_LIST
    for spelling in (function.name, function.name.upper(), function.name.capitalize())
}


# --------------------------------------------------------------------------------------------
# Tokenizer and parser.
# --------------------------------------------------------------------------------------------

_NUMBER, _STRING, _WORD, _PATH, _PUNCT, _END = "number", "string", "word", "path", "punct", "end"


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    position: int

    def describe(self) -> str:
        return "end of text" if self.kind == _END else repr(self.text)


def _fail(text: str, position: int, message: str) -> ExpressionError:
    return ExpressionError(message, position, text)


def _unexpected(text: str, position: int, hint: str = "") -> ExpressionError:
    found = repr(text[position]) if position < len(text) else "end of text"
    msg = f"unexpected {found} at position {position}{hint}"
    return _fail(text, position, msg)


def _check_size(text: str, tokens: list[_Token]) -> None:
    """Refuse an expression longer than ``_MAX_PARTS`` parts (brackets and commas aside)."""
    parts = 0
    for token in tokens:
        if token.kind in (_NUMBER, _STRING, _WORD, _PATH) or token.text in _OPERATORS:
            parts += 1
            if parts > _MAX_PARTS:
                msg = (
                    f"expression has more than {_MAX_PARTS} parts (numbers, strings, variables,"
                    f" operators, functions) at position {token.position}"
                )
                raise _fail(text, token.position, msg)


def _tokenize(text: str) -> list[_Token]:
    if len(text) > _MAX_LENGTH:
        msg = (
            f"expression longer than {_MAX_LENGTH} characters at position {_MAX_LENGTH}"
            f" (it has {len(text)})"
        )
        raise _fail(text, _MAX_LENGTH, msg)
    tokens: list[_Token] = []
    length = len(text)
    i = 0
    while i < length:
        char = text[i]
        if char == " ":
            i += 1
        elif char in _PUNCTUATION:
            tokens.append(_Token(_PUNCT, char, i))
            i += 1
        elif char in _DIGITS:
            start = i
            while i < length and text[i] in _DIGITS:
                i += 1
            if i < length and text[i] == ".":
                i += 1
                if i >= length or text[i] not in _DIGITS:
                    raise _unexpected(text, i, " (expected a digit after '.')")
                while i < length and text[i] in _DIGITS:
                    i += 1
            tokens.append(_Token(_NUMBER, text[start:i], start))
        elif char == "'":
            end = text.find("'", i + 1)
            if end < 0:
                msg = f"unterminated string starting at position {i}"
                raise _fail(text, i, msg)
            tokens.append(_Token(_STRING, text[i + 1 : end], i))
            i = end + 1
        elif char in _WORD_START:
            start = i
            kind = _WORD
            while i < length and text[i] in _WORD_CHARS:
                i += 1
            while i < length and text[i] == ".":
                kind = _PATH
                i += 1
                if i >= length or text[i] not in _WORD_CHARS:
                    raise _unexpected(text, i, " (expected a name after '.')")
                while i < length and text[i] in _WORD_CHARS:
                    i += 1
            tokens.append(_Token(kind, text[start:i], start))
        else:
            raise _unexpected(text, i)
    tokens.append(_Token(_END, "", length))
    _check_size(text, tokens)
    return tokens


class _Parser:
    """Recursive descent over the token list; the grammar, loosest binding first::

    expr    := term (('+' | '-') term)*
    term    := unary (('*' | '/') unary)*
    unary   := '-' unary | primary
    primary := NUMBER | STRING | variable | NAME '(' expr (',' expr)* ')' | '(' expr ')'
    """

    __slots__ = ("depth", "index", "properties", "text", "tokens")

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0
        self.properties: set[str] = set()

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, token: _Token, hint: str = "") -> ExpressionError:
        msg = f"unexpected {token.describe()} at position {token.position}{hint}"
        return _fail(self.text, token.position, msg)

    def expect(self, symbol: str, hint: str) -> None:
        token = self.advance()
        if token.kind != _PUNCT or token.text != symbol:
            raise self.error(token, hint)

    def parse(self) -> _Node:
        node = self.expression()
        token = self.peek()
        if token.kind != _END:
            raise self.error(token, " (expected an operator or the end of the expression)")
        return node

    def expression(self) -> _Node:
        return self.chain(("+", "-"), self.term)

    def term(self) -> _Node:
        return self.chain(("*", "/"), self.unary)

    def chain(self, symbols: tuple[str, str], operand: Callable[[], _Node]) -> _Node:
        first = operand()
        rest: list[tuple[str, Callable[[Decimal, Decimal], Decimal], _Node]] = []
        while (token := self.peek()).kind == _PUNCT and token.text in symbols:
            self.index += 1
            rest.append((token.text, _OPERATORS[token.text], operand()))
        return _Chain(first, tuple(rest)) if rest else first

    def enter(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            msg = f"expression nested deeper than {_MAX_DEPTH} levels at position {token.position}"
            raise _fail(self.text, token.position, msg)

    def unary(self) -> _Node:
        token = self.peek()
        if token.kind == _PUNCT and token.text == "-":
            self.index += 1
            self.enter(token)
            operand = self.unary()
            self.depth -= 1
            if isinstance(operand, _Const) and isinstance(operand.value, Decimal):
                return _Const(_EXACT.minus(operand.value) if operand.value else operand.value)
            return _Negate(operand)
        return self.primary()

    def primary(self) -> _Node:
        token = self.advance()
        if token.kind == _NUMBER:
            return _Const(Decimal(token.text))
        if token.kind == _STRING:
            return _Const(token.text)
        if token.kind == _PATH:
            return self.variable(token)
        if token.kind == _WORD:
            return self.call(token)
        if token.kind == _PUNCT and token.text == "(":
            self.enter(token)
            node = self.expression()
            self.expect(")", " (expected ')')")
            self.depth -= 1
            return node
        raise self.error(token, " (expected a number, a string, a variable or a function call)")

    def variable(self, token: _Token) -> _Node:
        root, _, rest = token.text.partition(".")
        if root != "event":
            msg = f"unknown variable {token.text!r} at position {token.position}"
            msg += f"; expected {_VARIABLES}"
            raise _fail(self.text, token.position, msg)
        field_name, _, rest = rest.partition(".")
        offset = token.position + len(root) + 1
        tail = offset + len(field_name)
        if field_name in ("code", "timestamp"):
            if rest:
                raise self.error(_Token(_PATH, "." + rest, tail))
            return _Code() if field_name == "code" else _Timestamp()
        if field_name != "properties":
            msg = f"unknown field {field_name!r} at position {offset}; expected {_VARIABLES}"
            raise _fail(self.text, offset, msg)
        name, dot, extra = rest.partition(".")
        if not name:
            msg = f"expected a property name after 'event.properties' at position {tail}"
            raise _fail(self.text, tail, msg)
        if not _PROPERTY_NAME.fullmatch(name):
            msg = (
                f"invalid property name {name!r} at position {tail + 1}; a property name is an"
                " ASCII letter followed by ASCII letters, digits or underscores"
            )
            raise _fail(self.text, tail + 1, msg)
        if dot:
            raise self.error(_Token(_PATH, "." + extra, tail + 1 + len(name)))
        self.properties.add(name)
        return _Property(name)

    def call(self, token: _Token) -> _Node:
        name = token.text
        function = _FUNCTIONS.get(name)
        opening = self.peek()
        is_call = opening.kind == _PUNCT and opening.text == "("
        if function is None:
            if name == "event":
                msg = f"incomplete variable 'event' at position {token.position}"
                msg += f"; expected {_VARIABLES}"
                raise _fail(self.text, token.position, msg)
            what = "function" if is_call else "name"
            known = sorted({f.name for f in _FUNCTION_LIST})
            close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close and is_call else ""
            msg = f"unknown {what} {name!r} at position {token.position}{hint}"
            raise _fail(self.text, token.position, msg)
        if not is_call:
            raise self.error(opening, f" (expected '(' after {name!r})")
        self.index += 1
        self.enter(opening)
        args = [self.expression()]
        while (separator := self.advance()).kind == _PUNCT and separator.text == ",":
            args.append(self.expression())
        if separator.kind != _PUNCT or separator.text != ")":
            raise self.error(separator, " (expected ',' or ')')")
        self.depth -= 1
        count = len(args)
        if not function.min_args <= count <= function.max_args:
            plural = "" if count == 1 else "s"
            msg = (
                f"{name}() takes {function.arity()}, got {count} argument{plural}"
                f" at position {token.position}"
            )
            raise _fail(self.text, token.position, msg)
        return _Call(name, function.apply, tuple(args))


# --------------------------------------------------------------------------------------------
# Public API.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expression:
    """A parsed expression: build it with :func:`parse_expression` (or ``Expression(text)``).

    Values are numbers (:class:`~decimal.Decimal`, exact for ``+ - *``; ``/`` keeps 100
    significant digits, half away from zero) or strings. A property is a number when it is
    an int, a float (read via its shortest ``repr``), a finite Decimal or text matching
    ``-?[0-9]+(.[0-9]+)?``; booleans read as ``'true'``/``'false'``, ``None`` as missing.
    Zero results are never negative. round/ceil/floor give ``digits`` decimal places (a
    whole number in [-10000, 10000]); least/greatest take numbers only; ``concat`` prints
    numbers in plain notation with their digits (``1.50`` stays ``'1.50'``).

    Size bounds keep each event cheap: the text has at most 4096 characters and 256 parts
    (numbers, strings, variables, operators, functions), a call at most 64 arguments; a number
    computed by an operator or round/ceil/floor has at most 20000 significant digits, a
    ``concat`` text at most 4096 characters, and a numeric result must be within the range of
    numbers Lago stores. Past a bound, parsing or that event's evaluation fails.

    >>> expr = parse_expression("concat(event.code, '-', round(event.properties.x, -2))")
    >>> expr.evaluate("api", 1700000000, {"x": "150"})
    'api-200'
    >>> sorted(expr.property_names())
    ['x']
    """

    text: str
    _root: _Node = field(init=False, repr=False, compare=False)
    _properties: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parser = _Parser(self.text)
        object.__setattr__(self, "_root", parser.parse())
        object.__setattr__(self, "_properties", frozenset(parser.properties))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.text,))

    def evaluate(self, code: str, timestamp: int, properties: Mapping[str, Any]) -> Decimal | str:
        """Evaluate for one event; raise :class:`EvaluationError` when that fails.

        >>> expr = parse_expression("event.properties.a * 2")
        >>> expr.evaluate("c", 0, {"a": "1.5"}), expr.evaluate("c", 0, {"a": 2})
        (Decimal('3.0'), Decimal('4'))
        >>> expr.evaluate("c", 0, {"a": "abc"})
        Traceback (most recent call last):
        ...
        usage_engine.expression.EvaluationError: cannot apply '*' to the string 'abc'
        >>> expr.evaluate("c", 0, {"a": "9" * 20_000})
        Traceback (most recent call last):
        ...
        usage_engine.expression.EvaluationError: '*' gives a number of more than 20000 digits
        """
        value = self._root.ev(code, timestamp, properties)
        # Lago stores the result: a number beyond Postgres numeric could not be aggregated.
        if isinstance(value, Decimal) and not within_numeric_range(value):
            msg = "the result is out of the range of numbers Lago stores"
            raise EvaluationError(msg)
        return value

    def property_names(self) -> frozenset[str]:
        """Return the names ``X`` of every ``event.properties.X`` the expression reads.

        >>> sorted(parse_expression("event.properties.b + event.properties.a * 2").property_names())
        ['a', 'b']
        >>> parse_expression("event.timestamp").property_names()
        frozenset()
        """
        return self._properties


def parse_expression(text: str) -> Expression:
    """Parse ``text``; raise :class:`ExpressionError` (with its position) when it is invalid.

    >>> parse_expression("(1 + 2) * -3").evaluate("c", 0, {})
    Decimal('-9')
    >>> try:
    ...     parse_expression("round(1")
    ... except ExpressionError as err:
    ...     print(err.position, err)
    7 unexpected end of text at position 7 (expected ',' or ')')
    """
    return Expression(text)
