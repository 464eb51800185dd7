"""The shared JSON reader: exact numbers on every route, bounded input, constant memory."""

from __future__ import annotations

import gzip
import io
import json
import tracemalloc
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from usage_engine import reading
from usage_engine.reading import (
    MAX_DEPTH,
    JsonLines,
    TooLarge,
    UnreadableJSON,
    loads,
    open_bytes,
    read_bounded,
)

THIRTY = 123456789012345678901234567890


@pytest.fixture(params=["orjson", "stdlib"])
def route(request, monkeypatch):
    """Each test runs with orjson (when installed) and with the standard library alone."""
    if request.param == "stdlib":
        monkeypatch.setattr(reading, "_fast", None)
    elif reading._fast is None:
        pytest.skip("orjson is not installed")
    return request.param


def _typed(value: Any) -> Any:
    """A value with every number's type and spelling made visible, to compare exactly."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    if isinstance(value, int | Decimal | float) and not isinstance(value, bool):
        return (type(value).__name__, str(value))
    return value


def test_a_thirty_digit_integer_and_a_tenth_are_exact(route):
    """The numbers orjson turns into floats come back as int and Decimal, spelt as written."""
    text = f'{{"v": {THIRTY}, "w": 0.1, "x": 1e-7, "y": -18446744073709551616, "n": 12}}'
    assert _typed(loads(text.encode())) == {
        "v": ("int", str(THIRTY)),
        "w": ("Decimal", "0.1"),
        "x": ("Decimal", "1E-7"),
        "y": ("int", "-18446744073709551616"),
        "n": ("int", "12"),
    }


def test_a_400_digit_integer_that_orjson_refuses_is_read(route):
    """orjson calls 400 digits infinity; the reader falls back to the exact parser."""
    assert loads(b"[" + b"9" * 400 + b"]") == [int("9" * 400)]


def _json_text(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json_text(item) for item in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value)


_numbers = st.integers(min_value=-(10**40), max_value=10**40) | st.decimals(
    allow_nan=False, allow_infinity=False, places=None
).filter(lambda d: "." in str(d) or "E" in str(d))
_values = st.recursive(
    _numbers | st.text(max_size=8) | st.booleans() | st.none(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)


@given(value=_values)
def test_both_routes_read_every_document_alike_and_exactly(value):
    """Property: with or without orjson, the value read is the value written, types included."""
    text = _json_text(value).encode()
    fast = reading._fast
    try:
        with_orjson = loads(text)
        reading._fast = None
        alone = loads(text)
    finally:
        reading._fast = fast
    assert _typed(with_orjson) == _typed(alone) == _typed(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "nested too deep"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deep"),
        (b'{"a": ' + b"[" * 100_000, "nested too deep"),
        (b"[NaN]", "NaN is not a JSON number"),
        (b'{"v": -Infinity}', "-Infinity is not a JSON number"),
        (b'["\\ud800"]', "lone surrogate"),
        (b"[" + b"9" * 5000 + b"]", r"^Exceeds the limit \(4300 digits\) for integer"),
    ],
    ids=["257 levels", "100000 levels", "unclosed", "NaN", "-Infinity", "surrogate", "digits"],
)
def test_what_json_allows_but_the_reader_refuses(route, text, message):
    """Depth, NaN, lone surrogates and digit limits are refused alike on both routes."""
    with pytest.raises(UnreadableJSON, match=message):
        loads(text)


def test_depth_up_to_the_limit_and_brackets_in_strings_are_fine(route):
    """256 levels read; brackets inside strings do not count."""
    deep = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert loads(deep) is not None
    assert loads(json.dumps({"s": "[" * 10_000, "t": '\\"[[[['}).encode())["s"] == "[" * 10_000


def test_syntax_errors_are_the_standard_librarys(route):
    """Bad syntax gives the same JSONDecodeError, line and column on both routes."""
    with pytest.raises(json.JSONDecodeError) as caught:
        loads(b'{\n  "a": oops\n}')
    assert (caught.value.msg, caught.value.lineno, caught.value.colno) == (
        "Expecting value",
        2,
        8,
    )
    with pytest.raises(UnicodeDecodeError):
        loads(b'{"a": "\xe9"}')


def test_read_bounded_refuses_one_byte_past_the_limit():
    """A document may be exactly the limit, not one byte more."""
    assert read_bounded(io.BytesIO(b"x" * 10), 10) == b"x" * 10
    with pytest.raises(TooLarge, match=r"^is larger than 10 bytes \(the limit for a JSON docu"):
        read_bounded(io.BytesIO(b"x" * 11), 10)
    assert (reading.MAX_DOCUMENT_BYTES, reading.MAX_LINE_BYTES) == (64 * 2**20, 2**20)


def _reference(data: bytes) -> list[tuple[int, bytes]]:
    return [
        (number, line.removesuffix(b"\n"))
        for number, line in enumerate(data.splitlines(keepends=True), start=1)
        if line.strip()
    ]


@given(
    lines=st.lists(st.sampled_from([b"", b"  ", b"\r", b'{"a": 1}', b"x", b" [2] ", b"\t"])),
    chunk=st.integers(1, 9),
    final_newline=st.booleans(),
)
def test_json_lines_numbers_every_non_blank_line_whatever_the_chunks(lines, chunk, final_newline):
    """Property: the lines and numbers match splitlines, however the stream is cut."""
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    found = list(JsonLines(io.BytesIO(data), chunk=chunk))
    expected = [(n, line) for n, line in _reference(data)]
    assert [(n, line.strip()) for n, line in found] == [(n, line.strip()) for n, line in expected]


def test_a_line_past_the_limit_is_refused_and_can_be_read_whole():
    """The refused line is numbered, and rest() still gives the stream from it."""
    lines = JsonLines(io.BytesIO(b'{"a": 1}\n\n' + b"[" + b"1," * 20 + b"1]\n"), limit=20, chunk=4)
    taken = []
    with pytest.raises(TooLarge, match=r"^is longer than 20 bytes \(the limit for a JSON Lines"):
        taken.extend(lines)
    assert (taken, lines.number) == ([(1, b'{"a": 1}')], 3)
    assert lines.rest() == b"[" + b"1," * 20 + b"1]\n"


def test_blank_lines_take_constant_memory_and_little_time():
    """Twenty million blank lines: nothing is kept per line."""
    data = gzip.compress(b"\n" * 20_000_000 + b'{"a": 1}\n')
    tracemalloc.start()
    try:
        with open_bytes(_write(data)) as stream:
            found = list(JsonLines(stream))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert found == [(20_000_001, b'{"a": 1}')]
    assert peak < 2_000_000


def _write(data: bytes) -> str:
    import tempfile

    with tempfile.NamedTemporaryFile(delete=False, suffix=".gz") as handle:
        handle.write(data)
    return handle.name
