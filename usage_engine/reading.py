"""Reading JSON input: the one parser every route (command line, Dask) goes through.

Numbers are exact: integers become :class:`int`, every other number a :class:`~decimal.Decimal`
spelt as written, never a binary ``float``. Input is bounded: a document (a plan, a
subscription, taxes, an events array) is at most :data:`MAX_DOCUMENT_BYTES` after gunzip, one
line of JSON Lines at most :data:`MAX_LINE_BYTES`, and nothing is nested more than
:data:`MAX_DEPTH` levels deep. Lines are streamed in chunks, so a file of any length (blank
lines included) is read in constant memory.
"""

from __future__ import annotations

import gzip
import importlib
import io
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from itertools import accumulate
from typing import IO, Any, Final, NoReturn, cast

__all__ = [
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "MAX_LINE_BYTES",
    "JsonLines",
    "TooLarge",
    "UnreadableJSON",
    "loads",
    "loads_lines",
    "open_bytes",
    "read_bounded",
]

MAX_DOCUMENT_BYTES: Final = 64 * 2**20
"""The largest JSON document read whole (64 MiB, counted after gunzip)."""
MAX_LINE_BYTES: Final = 2**20
"""The longest line of a JSON Lines file (1 MiB): one event is far smaller."""
MAX_DEPTH: Final = 256
"""The deepest nesting of arrays and objects read: Lago's own shapes need fewer than ten."""

_GZIP_MAGIC: Final = b"\x1f\x8b"
_CHUNK: Final = 2**16
_SPACE: Final = frozenset(b" \t\r\n")


class UnreadableJSON(ValueError):
    """JSON text refused for a reason other than its syntax (depth, digits, NaN, surrogates).

    >>> str(UnreadableJSON("nested too deep"))
    'nested too deep'
    """


class TooLarge(UnreadableJSON):
    """Input past one of the documented size limits.

    >>> str(TooLarge("is larger than 64 MiB"))
    'is larger than 64 MiB'
    """


def _orjson() -> Callable[[bytes], Any] | None:
    # orjson (the ``fast`` extra) parses several times faster; it is only trusted with lines
    # whose numbers it keeps exact (see loads).
    try:
        module = importlib.import_module("orjson")
    except ImportError:
        return None
    fast: Callable[[bytes], Any] = module.loads
    return fast


_fast: Callable[[bytes], Any] | None = _orjson()


def _not_a_number(name: str) -> NoReturn:
    msg = f"{name} is not a JSON number"
    raise UnreadableJSON(msg)


_EXACT: Final = json.JSONDecoder(parse_float=Decimal, parse_constant=_not_a_number).decode
"""The standard library's parser, numbers with a fraction or exponent as exact Decimals."""

_STRING: Final = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET: Final = bytes(byte for byte in range(256) if byte not in b"[]{}")
_SURROGATE_ESCAPE: Final = re.compile(rb"\\u[dD][89a-fA-F]")


def _has_float(value: Any) -> bool:
    # orjson turns fractions, exponents and integers past 64 bits into floats: any float means
    # the text must be read again exactly. (Recursive: the depth is bounded by MAX_DEPTH.)
    kind = type(value)
    if kind is dict:
        items = value.values()
    elif kind is list:
        items = value
    else:
        return kind is float
    for item in items:
        kind = type(item)
        if kind is float or ((kind is dict or kind is list) and _has_float(item)):
            return True
    return False


def _depth(data: bytes) -> int:
    """How deep the arrays and objects of ``data`` nest, strings left out."""
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKET)
    steps = (1 if byte in b"[{" else -1 for byte in brackets)
    return max(accumulate(steps, initial=0))


def _check_strings(value: Any) -> None:
    # A lone surrogate escape (\ud800) is accepted by the standard library, refused by orjson
    # and cannot be printed or encoded: refused on every route.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                msg = "a string holds a lone surrogate escape (\\ud800 to \\udfff)"
                raise UnreadableJSON(msg) from None


def _exact(data: bytes) -> Any:
    try:
        value = _EXACT(data.decode("utf-8"))
    except RecursionError:  # the stack was already deep: the same answer as the depth check
        msg = f"nested too deep (more than {MAX_DEPTH} levels)"
        raise UnreadableJSON(msg) from None
    except json.JSONDecodeError:
        raise
    except ValueError as error:
        if isinstance(error, UnicodeDecodeError | UnreadableJSON):
            raise
        # Python's limit on the digits of an integer: its message, without its remedy.
        raise UnreadableJSON(str(error).split(";")[0]) from None
    if _SURROGATE_ESCAPE.search(data) is not None:
        _check_strings(value)
    return value


def loads(data: bytes | str) -> Any:
    """Parse one JSON text exactly: integers as ``int``, other numbers as ``Decimal``.

    Raises :class:`json.JSONDecodeError` for bad syntax, :class:`UnicodeDecodeError` for text
    that is not UTF-8 and :class:`UnreadableJSON` for what JSON allows but the reader refuses.

    >>> loads(b'{"v": 123456789012345678901234567890, "w": 0.1, "n": 7}')
    {'v': 123456789012345678901234567890, 'w': Decimal('0.1'), 'n': 7}
    >>> loads("[" * 300 + "]" * 300)
    Traceback (most recent call last):
    ...
    usage_engine.reading.UnreadableJSON: nested too deep (more than 256 levels)
    """
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError:
            msg = "a string holds a lone surrogate (\\ud800 to \\udfff)"
            raise UnreadableJSON(msg) from None
    # Counting brackets is cheap; only text with many of them is measured properly.
    if data.count(b"[") + data.count(b"{") > MAX_DEPTH and _depth(data) > MAX_DEPTH:
        msg = f"nested too deep (more than {MAX_DEPTH} levels)"
        raise UnreadableJSON(msg)
    if _fast is None:
        return _exact(data)
    try:
        value = _fast(data)
    except json.JSONDecodeError:  # refused by orjson: the reference parser decides, and says why
        return _exact(data)
    return _exact(data) if _has_float(value) else value


def loads_lines(data: bytes) -> list[Any] | None:
    r"""The values of ``data`` when it is JSON Lines: several JSON values, one per line.

    None when it is not: fewer than two non-blank lines, or a line that is not JSON by itself
    (an indented document). Whether text is one document or JSON Lines is told by what it
    holds, never by how many lines it has; read it with :func:`loads` first.

    >>> loads_lines(b'{"code": "a"}\n\n{"code": "b"}\n')
    [{'code': 'a'}, {'code': 'b'}]
    >>> loads_lines(b'{\n  "code": "a"\n}\n') is None
    True
    """
    lines = [line for line in data.splitlines() if line.strip()]
    if len(lines) < 2:
        return None
    values = []
    for line in lines:
        try:
            values.append(loads(line))
        except ValueError:  # JSONDecodeError, UnicodeDecodeError and UnreadableJSON alike
            return None
    return values


def read_bounded(stream: IO[bytes], limit: int = MAX_DOCUMENT_BYTES, start: bytes = b"") -> bytes:
    """The rest of ``stream`` after ``start``, refused when the whole is over ``limit`` bytes.

    >>> read_bounded(io.BytesIO(b"[1, 2]"), limit=6)
    b'[1, 2]'
    >>> read_bounded(io.BytesIO(b"[1, 2, 3]"), limit=6)
    Traceback (most recent call last):
    ...
    usage_engine.reading.TooLarge: is larger than 6 bytes (the limit for a JSON document)
    """
    data = start + stream.read(max(limit + 1 - len(start), 0))
    if len(data) > limit:
        msg = f"is larger than {_size(limit)} (the limit for a JSON document)"
        raise TooLarge(msg)
    return data


def _size(limit: int) -> str:
    return f"{limit // 2**20} MiB" if limit % 2**20 == 0 else f"{limit:,} bytes"


@contextmanager
def open_bytes(path: str) -> Iterator[IO[bytes]]:
    """The file at ``path`` (``-``: stdin) as bytes, gunzipped when it is gzip (by its magic).

    Raises :class:`OSError` when it cannot be opened; reading raises what gzip raises.
    """
    raw: IO[bytes] = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    try:
        buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(cast(Any, raw))
        if buffered.peek(2)[:2] == _GZIP_MAGIC:
            with gzip.GzipFile(fileobj=buffered, mode="rb") as unzipped:
                yield cast(IO[bytes], unzipped)
        else:
            yield buffered
    finally:
        if path != "-":
            raw.close()


class JsonLines:
    r"""The non-blank lines of a binary stream, numbered from 1, each at most ``limit`` bytes.

    Read in chunks: memory stays constant however many lines, blank or not, the stream holds.
    A line over ``limit`` raises :class:`TooLarge` (:attr:`number` is then its number), and
    :meth:`rest` still gives the stream from that line on (a file may be one long document).

    >>> lines = JsonLines(io.BytesIO(b'{"a": 1}\n\n  \n{"b": 2}'))
    >>> list(lines)
    [(1, b'{"a": 1}'), (4, b'{"b": 2}')]
    >>> list(JsonLines(io.BytesIO(b"[1, 2, 3]\n"), limit=4))
    Traceback (most recent call last):
    ...
    usage_engine.reading.TooLarge: is longer than 4 bytes (the limit for a JSON Lines line)
    """

    _BLANK: Final = re.compile(rb"[ \t\r\n]*")

    def __init__(
        self, stream: IO[bytes], limit: int = MAX_LINE_BYTES, *, chunk: int = _CHUNK
    ) -> None:
        self.stream = stream
        self.limit = limit
        self.chunk = chunk
        self.number = 1  # the number of the line starting at _start
        self._buffer = b""
        self._start = 0
        self._line_start = 0  # where the last line given (or refused) starts

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        blank = self._BLANK.match
        while True:
            buffer, start = self._buffer, self._start
            end = buffer.find(b"\n", start)
            if start < end <= start + self.limit and buffer[start] not in _SPACE:
                # The common case, a whole line with no blank before it: given as it is.
                self._line_start, self._start = start, end + 1
                yield self.number, buffer[start:end]
                self.number += 1
                continue
            found = blank(buffer, start)
            content = start if found is None else found.end()
            # Blank lines are skipped a run at a time: one step per run, not per line.
            newline = buffer.rfind(b"\n", start, content)
            if newline >= 0:
                self.number += buffer.count(b"\n", start, content)
                start = self._start = newline + 1
            self._line_start = start
            end = buffer.find(b"\n", content)
            if end < 0:
                if len(buffer) - start > self.limit:
                    self._too_long()
                chunk = self.stream.read(self.chunk)
                if chunk:
                    self._buffer = buffer[start:] + chunk
                    self._start = self._line_start = 0
                    continue
                self._start = len(buffer)
                if content < len(buffer):
                    yield self.number, buffer[start:]
                return
            if end - start > self.limit:
                self._too_long()
            self._start = end + 1
            yield self.number, buffer[start:end]
            self.number += 1

    def _too_long(self) -> NoReturn:
        msg = f"is longer than {_size(self.limit)} (the limit for a JSON Lines line)"
        raise TooLarge(msg)

    def rest(self, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
        """The stream from the start of the last line given (or refused), at most ``limit``."""
        return read_bounded(self.stream, limit, self._buffer[self._line_start :])
