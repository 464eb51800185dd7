"""Progress of a long run on stderr: counts, rate and elapsed time."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import IO, ClassVar, TypeVar

from ..report.text import visible

T = TypeVar("T")


class Progress:
    """Progress of a long run on ``stream`` (stderr): counts, rate and elapsed time.

    By default writes only when the stream is a terminal, at most once per ``interval``
    seconds, over a single line; a run that ends before the first ``interval`` writes nothing
    at all. With ``lines`` (``--progress`` off a terminal, e.g. into a log) each report is a
    line of its own and the last one is always written.

    >>> import io
    >>> out = io.StringIO()
    >>> ticks = iter(range(100))
    >>> progress = Progress(out, enabled=True, clock=lambda: float(next(ticks)), interval=1.5)
    >>> list(progress.count(["a", "b", "c"], "events read", every=1))
    ['a', 'b', 'c']
    >>> out.getvalue().split("\\r")[-1]
    '\\x1b[Kevents read: 3 (1/s, 4.0 s)\\n'
    >>> log = io.StringIO()
    >>> ticks = iter(range(100))
    >>> progress = Progress(log, enabled=True, lines=True, clock=lambda: float(next(ticks)))
    >>> print(log.getvalue() if list(progress.count("ab", "read", every=1)) else "")
    read: 1 (1/s, 1.0 s)
    read: 2 (1/s, 2.0 s)
    read: 2 (1/s, 3.0 s)
    <BLANKLINE>
    """

    open_line: ClassVar[IO[str] | None] = None
    """The stream whose last line is a progress line not yet ended (an error must end it)."""

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = 0.25,
        lines: bool = False,
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.enabled = _is_terminal(self.stream) if enabled is None else enabled
        self.clock = clock
        self.interval = interval
        self.lines = lines
        self._shown = False

    @classmethod
    def on_stderr(cls, asked: bool) -> Progress:
        """Progress on stderr: over one line on a terminal; when ``asked`` (``--progress``)
        and stderr is not a terminal, a line every few seconds."""
        if asked and not _is_terminal(sys.stderr):
            return cls(enabled=True, interval=5.0, lines=True)
        return cls()

    def _write(self, text: str) -> None:
        if self.lines:
            self.stream.write(f"{visible(text)}\n")
            self.stream.flush()
            return
        self.stream.write(f"\r\x1b[K{visible(text)}")
        self.stream.flush()
        self._shown = True
        Progress.open_line = self.stream

    def _end(self, text: str) -> None:
        if self.lines:
            self._write(text)
        elif self._shown:
            self._write(text)
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False
            Progress.open_line = None

    @staticmethod
    def end_open_line() -> None:
        """End a progress line that a failure left open, so that the next line starts clean."""
        stream = Progress.open_line
        if stream is not None:
            stream.write("\n")
            stream.flush()
            Progress.open_line = None

    @staticmethod
    def _rate(count: int, elapsed: float) -> str:
        rate = f"{count / elapsed:,.0f}/s, " if elapsed > 0 else ""
        return f"{count:,} ({rate}{elapsed:.1f} s)"

    def count(
        self,
        items: Iterable[T],
        label: str,
        *,
        every: int = 2048,
        size: Callable[[T], int] | None = None,
    ) -> Iterator[T]:
        """Yield ``items``, showing how many went by; the clock is read every ``every`` items.
        ``size`` counts each item as that many (a batch as its rows)."""
        if not self.enabled:
            yield from items
            return
        start = self.clock()
        due = start + self.interval
        count = 0
        for item in items:
            count += 1 if size is None else size(item)
            if size is not None or count % every == 0:
                now = self.clock()
                if now >= due:
                    self._write(f"{label}: {self._rate(count, now - start)}")
                    due = now + self.interval
            yield item
        self._end(f"{label}: {self._rate(count, self.clock() - start)}")

    def steps(self, label: str) -> Callable[[int, int], None]:
        """A callback for ``done`` of ``total`` steps (e.g. one rating per day)."""
        start = self.clock()
        due = start + self.interval

        def report(done: int, total: int) -> None:
            nonlocal due
            if not self.enabled:
                return
            now = self.clock()
            text = f"{label}: {done:,}/{total:,} ({now - start:.1f} s)"
            if done >= total:
                self._end(text)
            elif now >= due:
                self._write(text)
                due = now + self.interval

        return report


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
