"""Reading input files: every reader the command line and the Dask adapter use, in one place.

A plan, a subscription or taxes is one JSON document (:func:`read_document`); events are a
JSON array, Lago's ``{"events": [...]}`` or JSON Lines (:class:`EventFile`, streamed;
:func:`read_json_lines`, one partition). Each file may be gzip (found by its magic) and ``-``
is stdin. Numbers are exact and sizes bounded (:mod:`usage_engine.reading`). A problem is an
:class:`UnreadableFile` naming the file and, where there is one, the line.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any, ClassVar, Protocol, TypeVar

from ._wrappers import unwrap_events
from .errors import InvalidInput, UsageEngineError
from .reading import (
    MAX_DOCUMENT_BYTES,
    JsonLines,
    TooLarge,
    UnreadableJSON,
    loads,
    loads_lines,
    open_bytes,
    read_bounded,
)
from .selection import Unreadable

__all__ = [
    "Counter",
    "EventFile",
    "UnreadableFile",
    "line_of_event",
    "read_document",
    "read_json_lines",
    "shown_name",
]

T = TypeVar("T")


class UnreadableFile(UsageEngineError):
    """A file that cannot be read as what it should hold; the message names it.

    >>> str(UnreadableFile("stdin: the file is empty (expected a JSON document)"))
    'stdin: the file is empty (expected a JSON document)'
    """


class Counter(Protocol):
    """Something that shows how many items of a stream went by (the command line's progress)."""

    def count(self, items: Iterable[T], label: str) -> Iterator[T]:
        """Yield ``items`` unchanged."""
        ...


def shown_name(path: str) -> str:
    """The file's name in messages: ``stdin`` for ``-``."""
    return "stdin" if path == "-" else path


@contextmanager
def _binary(path: str) -> Iterator[IO[bytes]]:
    """The file (``-``: stdin) as bytes, decompressed when it is gzip (found by its magic)."""
    try:
        with open_bytes(path) as stream:
            yield stream
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        msg = f"{shown_name(path)}: not a valid gzip file ({error})"
        raise UnreadableFile(msg) from None
    except OSError as error:
        msg = f"{shown_name(path)}: cannot read the file: {error.strerror or error}"
        raise UnreadableFile(msg) from None


def _parse(data: bytes, where: str, line_offset: int = 0, *, line: int | None = None) -> Any:
    """``data`` parsed exactly; a problem as a UnreadableFile naming ``where`` and the line (the
    ``line`` of a JSON Lines line; ``line_offset``: where a document starts, less one)."""
    at = "" if line is None else f" line {line}"
    try:
        return loads(data)
    except json.JSONDecodeError as error:
        msg = (
            f"{where} line {error.lineno + line_offset} column {error.colno}: "
            f"invalid JSON ({error.msg})"
        )
        raise UnreadableFile(msg) from None
    except UnicodeDecodeError:
        msg = f"{where}{at}: not UTF-8 text"
        raise UnreadableFile(msg) from None
    except UnreadableJSON as error:
        msg = f"{where}{at}: cannot be read: {error}"
        raise UnreadableFile(msg) from None


def _too_large(where: str, error: TooLarge, hint: str = "") -> UnreadableFile:
    return UnreadableFile(f"{where}: {error}{hint}")


def read_document(path: str) -> Any:
    """A whole JSON document from ``path`` (``-``: stdin; gzip accepted), at most 64 MiB.

    JSON Lines (several values, one a line) are read as an array of them.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "taxes.json.gz"
    >>> _ = path.write_bytes(gzip.compress(b'[{"code": "vat", "rate": 20.5}]'))
    >>> read_document(str(path))
    [{'code': 'vat', 'rate': Decimal('20.5')}]
    >>> read_document(str(path.with_name("missing.json")))
    Traceback (most recent call last):
    ...
    usage_engine._files.UnreadableFile: ...missing.json: cannot read the file: No such file ...
    """
    with _binary(path) as stream:
        try:
            data = read_bounded(stream, MAX_DOCUMENT_BYTES)
        except TooLarge as error:
            raise _too_large(shown_name(path), error) from None
    if not data.strip():
        msg = f"{shown_name(path)}: the file is empty (expected a JSON document)"
        raise UnreadableFile(msg)
    try:
        return _parse(data, shown_name(path))
    except UnreadableFile:
        several = loads_lines(data)  # JSON Lines: one object a line, read as an array
        if several is None:
            raise
        return several


class EventFile:
    r"""The events of a file, read lazily and once per iteration: a JSON array or JSON Lines.

    JSON Lines are streamed line by line in constant memory (each line at most 1 MiB); an
    array, or an object ``{"events": [...]}`` (Lago's batch payload), is read whole (at most
    64 MiB). Each event must be a JSON object. :meth:`line_of` maps an event's position back
    to its line, for error messages.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
    >>> _ = path.write_text('{"transaction_id": "a"}\n\n{"transaction_id": "b"}\n')
    >>> events = EventFile(str(path))
    >>> [event["transaction_id"] for event in events], events.line_of(1)
    (['a', 'b'], 3)
    """

    recent: ClassVar[int] = 4096
    """How many of the last events' lines are remembered; older ones are found by reading
    the file again (stdin cannot be read again: its older events are named by position)."""

    def __init__(
        self, path: str, progress: Counter | None = None, *, collect: bool = False
    ) -> None:
        self.path = path
        self.collect = collect
        self.name = shown_name(path)
        self.progress = progress
        self.lines_known = True
        self._lines: deque[int] = deque(maxlen=self.recent)
        self._count = 0

    def __iter__(self) -> Iterator[dict[str, Any] | Unreadable]:
        items = self._read()
        if self.progress is not None:
            items = self.progress.count(items, f"{self.name}: events read")
        return items

    def line_of(self, position: int) -> int | None:
        """The line of the event at ``position`` (None when the file is one JSON document)."""
        if not self.lines_known or not 0 <= position < self._count:
            return None
        first = self._count - len(self._lines)
        if position >= first:
            return self._lines[position - first]
        return None if self.path == "-" else line_of_event(self.path, position)

    def _read(self) -> Iterator[dict[str, Any] | Unreadable]:
        self._lines.clear()
        self._count = 0
        self.lines_known = True
        with _binary(self.path) as stream:
            lines = JsonLines(stream)
            whole = False
            try:
                for number, line in lines:
                    if self._count == 0 and not line.lstrip().startswith(b"{"):
                        whole = True
                        break
                    try:
                        event = loads(line)
                    except json.JSONDecodeError:
                        if self._count == 0:  # an indented JSON document, not JSON Lines
                            whole = True
                            break
                        event = self._unreadable(line, number)
                    except ValueError:
                        event = self._unreadable(line, number)
                    if isinstance(event, Unreadable) or (
                        self.collect and not isinstance(event, dict)
                    ):
                        if not isinstance(event, Unreadable):
                            event = Unreadable(f"must be a JSON object, not {_json_type(event)}")
                        self._lines.append(number)
                        self._count += 1
                        yield event
                        continue
                    if not isinstance(event, dict):
                        msg = (
                            f"{self.name} line {number}: each line must be a JSON object (an "
                            f"event), not {_json_type(event)}"
                        )
                        raise UnreadableFile(msg)
                    for item in self._line_events(event, number):
                        self._lines.append(number)
                        self._count += 1
                        yield item
            except TooLarge as error:
                if self._count:
                    where = f"{self.name} line {lines.number}"
                    raise _too_large(where, error) from None
                whole = True  # a long first line: one JSON document
            if whole:
                yield from self._whole(lines, lines.number - 1)

    def _unreadable(self, line: bytes, number: int) -> Unreadable:
        """A line that is not JSON: an error, or with ``collect`` a stand-in the rating sets
        aside as malformed (its reason says why, the line is :meth:`line_of` its position)."""
        try:
            _parse(line, self.name, number - 1, line=number)
        except UnreadableFile as error:
            if not self.collect:
                raise
            reason = str(error).removeprefix(f"{self.name} line {number}").lstrip(": ")
            column, found, rest = reason.partition(": ")
            if found and column.startswith("column "):  # "invalid JSON (...) at column 41"
                reason = f"{rest} at {column}"
            return Unreadable(reason)
        raise AssertionError("a line that failed to load parsed")  # pragma: no cover

    def _line_events(self, value: dict[str, Any], number: int) -> list[dict[str, Any]]:
        """The events of one line: an event, or Lago's ``{"events": [...]}`` on one line."""
        items = unwrap_events(value)
        if items is value:
            return [value]
        if not isinstance(items, list | tuple):
            msg = f"{self.name} line {number}: events must be a JSON array, not {_json_type(items)}"
            raise UnreadableFile(msg)
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                msg = (
                    f"{self.name} line {number}: events[{index}] must be a JSON object (an "
                    f"event), not {_json_type(item)}"
                )
                raise UnreadableFile(msg)
        return list(items)

    def _whole(self, lines: JsonLines, line_offset: int) -> Iterator[dict[str, Any]]:
        self.lines_known = False
        try:
            data = lines.rest(MAX_DOCUMENT_BYTES)
        except TooLarge as error:
            hint = "; give more events as JSON Lines, one event per line"
            raise _too_large(self.name, error, hint) from None
        document = unwrap_events(_parse(data, self.name, line_offset))
        if isinstance(document, dict) and "transaction_id" in document:
            document = [document]
        if not isinstance(document, list | tuple):
            msg = (
                f"{self.name}: expected events: a JSON array, JSON Lines or "
                f'{{"events": [...]}} (got {_json_type(document)})'
            )
            raise UnreadableFile(msg)
        for index, event in enumerate(document):
            if not isinstance(event, dict):
                msg = (
                    f"{self.name}: events[{index}] must be a JSON object (an event), "
                    f"not {_json_type(event)}"
                )
                raise UnreadableFile(msg)
            self._count += 1
            yield event


def line_of_event(path: str, position: int) -> int | None:
    r"""The line of the event at ``position`` of a JSON Lines file of one event a line (blank
    lines skipped), found by reading the file again; None when it cannot be read.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
    >>> _ = path.write_text('{"transaction_id": "a"}\n\n{"transaction_id": "b"}\n')
    >>> line_of_event(str(path), 1), line_of_event(str(path), 2)
    (3, None)
    """
    try:
        with open_bytes(path) as stream:
            for index, (number, _) in enumerate(JsonLines(stream)):
                if index == position:
                    return number
    except (OSError, EOFError, ValueError, zlib.error):
        return None
    return None


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def read_json_lines(name: str) -> list[Any]:
    r"""Every line of a JSON Lines file (gzip accepted) parsed exactly: one Dask partition.

    Stricter than :class:`EventFile`: each line is one JSON value (an event, or Lago's batch
    body ``{"events": [...]}`` on one line) and nothing else is accepted. A problem is an
    InvalidInput at ``events (FILE, line N)``.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
    >>> _ = path.write_text('{"v": 0.1}\n\n{"v": 2}\n')
    >>> read_json_lines(str(path))
    [{'v': Decimal('0.1')}, {'v': 2}]
    """
    events: list[Any] = []
    line = b""
    lines: JsonLines | None = None
    try:
        with open_bytes(name) as stream:
            lines = JsonLines(stream)
            for _, line in lines:
                value = loads(line)
                items = unwrap_events(value)  # Lago's batch body {"events": [...]} on a line
                if items is not value and isinstance(items, list | tuple):
                    events.extend(items)
                else:
                    events.append(value)
    except json.JSONDecodeError as error:  # a line that is not JSON
        where = f"events ({name}, line {lines.number if lines is not None else 1})"
        text = line[:60].decode("utf-8", "replace")
        raise InvalidInput.at(where, f"is not JSON: {error.msg}", text) from None
    except (ValueError, OSError, EOFError, zlib.error) as error:
        # Not UTF-8, past a limit (digits, depth, length), or a damaged or truncated gzip file.
        at = lines.number if lines is not None else 1
        where = f"events ({name}, line {at})"
        raise InvalidInput.at(where, f"cannot be read: {_reason(error)}", None) from None
    return events


def _reason(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "nested too deep"
    return str(error).splitlines()[0][:200] if str(error) else type(error).__name__
