"""The command line: the only module that reads files, the clock or the terminal.

``usage-engine COMMAND``: ``demo`` runs on the bundled sample; ``period``, ``current``,
``projected``, ``past`` and ``report`` read a plan, a subscription and events from files (JSON,
JSON Lines, gzip, or ``-`` for stdin). Results go to stdout (a table, or Lago's JSON with
``--json``); progress goes to stderr, and only when stderr is a terminal. Bad input gives one
line on stderr naming the file, the field path and the value, and exit status 2 (``--debug``
shows the traceback).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, ClassVar, Final, NoReturn, TypeVar

from . import __version__
from ._coerce import as_plan, as_subscription, as_taxes
from ._lago import plan_with_metrics
from ._wrappers import unwrap_events
from .errors import InvalidInput, UsageEngineError
from .models import BillingPeriod, Plan, Subscription, Tax
from .models._base import parse_instant
from .models.period import lago_datetime
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
from .report import visible

__all__ = ["CommandError", "EventFile", "Progress", "main", "read_document"]

T = TypeVar("T")

_PROG: Final = "usage-engine"
_EVENT_PATH: Final = re.compile(r"events\[(\d+)\]")


class CommandError(UsageEngineError):
    """A problem with the command's input files or options; the message is the whole story.

    >>> str(CommandError("--periods: must be 1 or more (got 0)"))
    '--periods: must be 1 or more (got 0)'
    """


# ---------------------------------------------------------------------------------------------
# Progress on stderr.


class Progress:
    """Progress of a long run on ``stream`` (stderr): counts, rate and elapsed time.

    Writes only when the stream is a terminal, at most once per ``interval`` seconds, over a
    single line; a run that ends before the first ``interval`` writes nothing at all.

    >>> import io
    >>> out = io.StringIO()
    >>> ticks = iter(range(100))
    >>> progress = Progress(out, enabled=True, clock=lambda: float(next(ticks)), interval=1.5)
    >>> list(progress.count(["a", "b", "c"], "events read", every=1))
    ['a', 'b', 'c']
    >>> out.getvalue().split("\\r")[-1]
    '\\x1b[Kevents read: 3 (1/s, 4.0 s)\\n'
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
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.enabled = _is_terminal(self.stream) if enabled is None else enabled
        self.clock = clock
        self.interval = interval
        self._shown = False

    def _write(self, text: str) -> None:
        self.stream.write(f"\r\x1b[K{visible(text)}")
        self.stream.flush()
        self._shown = True
        Progress.open_line = self.stream

    def _end(self, text: str) -> None:
        if self._shown:
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

    def count(self, items: Iterable[T], label: str, *, every: int = 2048) -> Iterator[T]:
        """Yield ``items``, showing how many went by; the clock is read every ``every`` items."""
        if not self.enabled:
            yield from items
            return
        start = self.clock()
        due = start + self.interval
        count = 0
        for item in items:
            count += 1
            if count % every == 0:
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


# ---------------------------------------------------------------------------------------------
# Reading files.


def _name(path: str) -> str:
    return "stdin" if path == "-" else path


@contextmanager
def _binary(path: str) -> Iterator[IO[bytes]]:
    """The file (``-``: stdin) as bytes, decompressed when it is gzip (found by its magic)."""
    try:
        with open_bytes(path) as stream:
            yield stream
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        msg = f"{_name(path)}: not a valid gzip file ({error})"
        raise CommandError(msg) from None
    except OSError as error:
        msg = f"{_name(path)}: cannot read the file: {error.strerror or error}"
        raise CommandError(msg) from None


def _parse(data: bytes, where: str, line_offset: int = 0, *, line: int | None = None) -> Any:
    """``data`` parsed exactly; a problem as a CommandError naming ``where`` and the line (the
    ``line`` of a JSON Lines line; ``line_offset``: where a document starts, less one)."""
    at = "" if line is None else f" line {line}"
    try:
        return loads(data)
    except json.JSONDecodeError as error:
        msg = (
            f"{where} line {error.lineno + line_offset} column {error.colno}: "
            f"invalid JSON ({error.msg})"
        )
        raise CommandError(msg) from None
    except UnicodeDecodeError:
        msg = f"{where}{at}: not UTF-8 text"
        raise CommandError(msg) from None
    except UnreadableJSON as error:
        msg = f"{where}{at}: cannot be read: {error}"
        raise CommandError(msg) from None


def _too_large(where: str, error: TooLarge, hint: str = "") -> CommandError:
    return CommandError(f"{where}: {error}{hint}")


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
    usage_engine.cli.CommandError: .../missing.json: cannot read the file: No such file or directory
    """
    with _binary(path) as stream:
        try:
            data = read_bounded(stream, MAX_DOCUMENT_BYTES)
        except TooLarge as error:
            raise _too_large(_name(path), error) from None
    if not data.strip():
        msg = f"{_name(path)}: the file is empty (expected a JSON document)"
        raise CommandError(msg)
    try:
        return _parse(data, _name(path))
    except CommandError:
        several = loads_lines(data)  # JSON Lines: one object a line, read as an array
        if several is None:
            raise
        return several


def _unwrap(document: Any, key: str) -> Any:
    """Lago's API wraps objects (``{"plan": {...}}``): the inner value when that is the shape."""
    if isinstance(document, dict) and len(document) == 1 and key in document:
        return document[key]
    return document


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

    def __init__(self, path: str, progress: Progress | None = None) -> None:
        self.path = path
        self.name = _name(path)
        self.progress = progress
        self.lines_known = True
        self._lines: deque[int] = deque(maxlen=self.recent)
        self._count = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
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
        return None if self.path == "-" else self._find_line(position)

    def _find_line(self, position: int) -> int | None:
        # Each non-blank line is one event: the line of the position-th, read again.
        try:
            with open_bytes(self.path) as stream:
                for index, (number, _) in enumerate(JsonLines(stream)):
                    if index == position:
                        return number
        except (OSError, EOFError, ValueError, zlib.error):
            return None
        return None

    def _read(self) -> Iterator[dict[str, Any]]:
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
                        event = _parse(line, self.name, number - 1, line=number)
                    except ValueError:
                        event = _parse(line, self.name, number - 1, line=number)
                    if not isinstance(event, dict):
                        msg = (
                            f"{self.name} line {number}: each line must be a JSON object (an "
                            f"event), not {_json_type(event)}"
                        )
                        raise CommandError(msg)
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

    def _line_events(self, value: dict[str, Any], number: int) -> list[dict[str, Any]]:
        """The events of one line: an event, or Lago's ``{"events": [...]}`` on one line."""
        items = unwrap_events(value)
        if items is value:
            return [value]
        if not isinstance(items, list | tuple):
            msg = f"{self.name} line {number}: events must be a JSON array, not {_json_type(items)}"
            raise CommandError(msg)
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                msg = (
                    f"{self.name} line {number}: events[{index}] must be a JSON object (an "
                    f"event), not {_json_type(item)}"
                )
                raise CommandError(msg)
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
            raise CommandError(msg)
        for index, event in enumerate(document):
            if not isinstance(event, dict):
                msg = (
                    f"{self.name}: events[{index}] must be a JSON object (an event), "
                    f"not {_json_type(event)}"
                )
                raise CommandError(msg)
            self._count += 1
            yield event


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


# ---------------------------------------------------------------------------------------------
# Inputs shared by the commands.


@dataclass(frozen=True, slots=True)
class _Inputs:
    plan: Plan
    subscription: Subscription
    now: datetime


def _validated(check: Callable[[Any], T], value: Any, path: str) -> T:
    try:
        return check(value)
    except InvalidInput as error:
        msg = f"{_name(path)}: {error}"
        raise CommandError(msg) from None


def _instant(text: str | None, option: str) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        return parse_instant(text)
    except ValueError as error:
        msg = f"{option}: {error} (got {text!r})"
        raise CommandError(msg) from None


def _pick_subscription(document: Any, path: str, external_id: str | None) -> Any:
    document = _unwrap(_unwrap(document, "subscription"), "subscriptions")
    if isinstance(document, list):
        ids = [str(item.get("external_id")) for item in document if isinstance(item, dict)]
        if external_id is None:
            if len(document) == 1:
                return document[0]
            msg = (
                f"{_name(path)}: holds {len(document)} subscriptions ({', '.join(ids)}); "
                "choose one with --external-id"
            )
            raise CommandError(msg)
        for item in document:
            if isinstance(item, dict) and str(item.get("external_id")) == external_id:
                return item
        msg = (
            f"--external-id: no subscription {external_id!r} in {_name(path)} "
            f"(it has {', '.join(ids)})"
        )
        raise CommandError(msg)
    if (
        external_id is not None
        and isinstance(document, dict)
        and str(document.get("external_id")) != external_id
    ):
        msg = (
            f"--external-id: {_name(path)} holds subscription "
            f"{document.get('external_id')!r}, not {external_id!r}"
        )
        raise CommandError(msg)
    return document


def _check_stdin(args: argparse.Namespace) -> None:
    named = [
        option
        for option in ("plan", "metrics", "subscription", "events", "taxes")
        if getattr(args, option, None) == "-"
    ]
    if len(named) > 1:
        msg = f"only one input can be stdin ('-'); got it for --{' and --'.join(named)}"
        raise CommandError(msg)


def _inputs(args: argparse.Namespace) -> _Inputs:
    _check_stdin(args)
    raw = _pick_subscription(read_document(args.subscription), args.subscription, args.external_id)
    subscription = _validated(as_subscription, raw, args.subscription)
    joined = _plan_reader(args)
    if args.plan is not None:
        plan = _validated(joined, read_document(args.plan), args.plan)
        if subscription.plan is not None and subscription.plan != plan:
            msg = (
                f"--plan: {_name(args.plan)} differs from the plan inside "
                f"{_name(args.subscription)}; give the plan once"
            )
            raise CommandError(msg)
    elif subscription.plan is not None:
        plan = subscription.plan
    elif isinstance(raw, dict) and isinstance(raw.get("plan"), dict):
        # Lago's embedded plan, its charges naming their metrics: joined with --metrics.
        plan = _validated(joined, raw["plan"], args.subscription)
    else:
        msg = (
            f"{_name(args.subscription)}: subscription.plan: is missing; give the plan with "
            "--plan FILE (or embed it in the subscription)"
        )
        raise CommandError(msg)
    if subscription.plan_code is not None and subscription.plan_code != plan.code:
        msg = (
            f"{_name(args.subscription)}: subscription.plan_code: does not match the plan's code "
            f"{plan.code!r} (got {subscription.plan_code!r})"
        )
        raise CommandError(msg)
    return _Inputs(plan, subscription, _instant(args.now, "--now"))


def _plan_reader(args: argparse.Namespace) -> Callable[[Any], Plan]:
    """How a plan is read: as it is, or joined with the billable metrics of --metrics."""
    if getattr(args, "metrics", None) is None:
        return as_plan
    metrics = read_document(args.metrics)
    return lambda plan: plan_with_metrics(plan, metrics)


def _taxes(args: argparse.Namespace) -> tuple[Tax, ...]:
    if args.taxes is None:
        return ()
    document = _unwrap(read_document(args.taxes), "taxes")
    return _validated(as_taxes, document, args.taxes)


def _period_of(inputs: _Inputs) -> BillingPeriod:
    from .periods import billing_period

    try:
        return billing_period(inputs.subscription, inputs.now, plan=inputs.plan)
    except InvalidInput as error:
        if error.path == "at":
            msg = f"--now: {str(error).removeprefix('at: ')}"
            raise CommandError(msg) from None
        raise


def _events(args: argparse.Namespace) -> EventFile:
    source = EventFile(args.events, Progress())
    args.event_file = source  # for error messages that name an event's position
    return source


def _keeping(events: Iterable[T], kept: list[T], external_id: str) -> Iterator[T]:
    """Yield ``events``, appending to ``kept`` those that may belong to ``external_id``.

    The first computation streams the whole file (so that errors name the file's positions);
    later ones need only the subscription's events. Events without a subscription are kept for
    the engine to report.
    """
    for event in events:
        owner = event.get("external_subscription_id") if isinstance(event, dict) else None
        if owner is None or str(owner) == external_id:
            kept.append(event)
        yield event


# The characters a terminal obeys that json.dumps leaves raw (it escapes C0 only): written as
# \u escapes, which JSON reads back as the same characters.
_JSON_VISIBLE: Final = {
    code: f"\\u{code:04x}"
    for code in (
        *range(0x7F, 0xA0),
        0x200E,
        0x200F,
        0x2028,
        0x2029,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    )
}


def _print_json(document: Any) -> None:
    print(json.dumps(document, indent=2, ensure_ascii=False).translate(_JSON_VISIBLE))


def _say(text: str, *, error: bool = False) -> None:
    """Print ``text`` for a terminal: its lines kept, control characters shown, not obeyed."""
    shown = "\n".join(visible(line) for line in text.split("\n"))
    print(shown, file=sys.stderr if error else sys.stdout)


def _warn_rejected(count: int, reasons: Sequence[str]) -> None:
    if count:
        shown = "; ".join(reasons[:3])
        _say(f"{_PROG}: warning: {count:,} malformed events set aside: {shown}", error=True)


# ---------------------------------------------------------------------------------------------
# The commands.


def _demo(args: argparse.Namespace) -> int:
    from .demo import demo_json, load_sample, run_demo

    if args.subscription is not None:
        try:
            load_sample().subscription(args.subscription)
        except KeyError as error:
            msg = f"--subscription: {error.args[0]}"
            raise CommandError(msg) from None
    if args.report is not None:
        _demo_report(args.subscription, args.report)
    if args.json:
        _print_json(demo_json(args.subscription))
    else:
        _say(run_demo(args.subscription))
    return 0


def _demo_report(external_id: str | None, output: str) -> None:
    from .demo import NOW, load_sample, subscription_result
    from .report import daily_series, html_report

    sample = load_sample()
    chosen = external_id or sample.subscriptions[0]["external_id"]
    result = subscription_result(sample, chosen)
    daily = daily_series(
        result.plan,
        sample.events,
        result.period,
        now=NOW,
        taxes=sample.taxes,
        progress=Progress().steps("rating day by day"),
    )
    page = html_report(
        result.projected,
        daily,
        plan=result.plan,
        period=result.period,
        now=NOW,
        previous=result.previous,
    )
    _write_output(output, page, quiet=True)


def _sample(args: argparse.Namespace) -> int:
    from .demo import write_sample

    directory = Path(args.directory)
    try:
        written = write_sample(directory)
    except OSError as error:
        msg = f"{args.directory}: cannot write the sample: {error.strerror or error}"
        raise CommandError(msg) from None
    for path in written:
        _say(f"wrote {path}")
    where = args.directory
    _say(
        "\ntry:\n"
        f"  {_PROG} current --plan {where}/plan.json --subscription {where}/subscriptions.json "
        f"--external-id acme --events {where}/events.jsonl.gz --taxes {where}/taxes.json "
        "--now 2026-10-20T12:00:00Z"
    )
    return 0


def _period(args: argparse.Namespace) -> int:
    inputs = _inputs(args)
    period = _period_of(inputs)
    if args.json:
        _print_json(period.to_lago())
    else:
        from .report import period_lines

        _say("\n".join(period_lines(period, now=inputs.now)))
    return 0


def _usage_command(args: argparse.Namespace, *, projected: bool) -> int:
    # `current` and `projected`: the same inputs, one function call apart.
    from .projection import projected_usage
    from .report import period_heading, usage_table
    from .usage import current_usage

    inputs = _inputs(args)
    taxes = _taxes(args)
    period = _period_of(inputs)
    common: dict[str, Any] = {
        "now": inputs.now,
        "taxes": taxes,
        "invalid_events": args.invalid_events,
    }
    events = _events(args)
    usage = (
        projected_usage(inputs.plan, events, period, method=args.method, **common)
        if projected
        else current_usage(inputs.plan, events, period, **common)
    )
    _warn_rejected(usage.rejected_events.count, usage.rejected_events.reasons)
    if args.json:
        _print_json(usage.to_lago())
    elif projected:
        title = period_heading("Projected usage", period)
        _say(usage_table(usage, plan=inputs.plan, now=inputs.now, title=title))
    else:
        title = period_heading("Current usage", period) + f" at {lago_datetime(inputs.now)}"
        _say(usage_table(usage, plan=inputs.plan, title=title))
    return 0


def _current(args: argparse.Namespace) -> int:
    return _usage_command(args, projected=False)


def _projected(args: argparse.Namespace) -> int:
    return _usage_command(args, projected=True)


def _past(args: argparse.Namespace) -> int:
    from .past import past_usage
    from .periods import periods_before
    from .report import past_table, period_heading

    inputs = _inputs(args)
    taxes = _taxes(args)
    if args.periods < 1:
        msg = f"--periods: must be 1 or more (got {args.periods})"
        raise CommandError(msg)
    periods = periods_before(inputs.subscription, inputs.now, args.periods, plan=inputs.plan)
    # The file is read once; the later periods are rated on the subscription's events kept.
    kept: list[dict[str, Any]] = []
    source: Iterable[dict[str, Any]] = _keeping(
        _events(args), kept, inputs.subscription.external_id
    )
    results = []
    for period in periods:
        results.append(
            past_usage(inputs.plan, source, period, taxes=taxes, invalid_events=args.invalid_events)
        )
        source = kept
    for item in results[:1]:
        _warn_rejected(item.rejected_events.count, item.rejected_events.reasons)
    if args.canonical:
        for item in results:
            # ASCII JSON (controls escaped), printed as is: its SHA-256 is the digest.
            print(item.canonical_json())
    elif args.json:
        _print_json({"usage_periods": [item.to_lago() for item in results]})
    elif not results:
        _say(
            f"No billing period of {inputs.subscription.external_id} ended by "
            f"{lago_datetime(inputs.now)}."
        )
    else:
        tables = [
            past_table(item, plan=inputs.plan, title=period_heading("Past usage (frozen)", period))
            for item, period in zip(results, periods, strict=True)
        ]
        _say("\n\n".join(tables))
    return 0


def _report(args: argparse.Namespace) -> int:
    from .past import past_usage
    from .periods import periods_before
    from .projection import projected_usage
    from .report import daily_series, html_report

    inputs = _inputs(args)
    taxes = _taxes(args)
    period = _period_of(inputs)
    events: list[Any] = []  # the subscription's, for the daily series
    usage = projected_usage(
        inputs.plan,
        _keeping(_events(args), events, inputs.subscription.external_id),
        period,
        now=inputs.now,
        taxes=taxes,
        method=args.method,
        invalid_events=args.invalid_events,
    )
    _warn_rejected(usage.rejected_events.count, usage.rejected_events.reasons)
    daily = daily_series(
        inputs.plan,
        events,
        period,
        now=inputs.now,
        taxes=taxes,
        progress=Progress().steps("rating day by day"),
    )
    before = periods_before(inputs.subscription, inputs.now, 1, plan=inputs.plan)
    previous = (
        past_usage(inputs.plan, events, before[0], taxes=taxes, invalid_events="collect")
        if before
        else None
    )
    page = html_report(
        usage, daily, plan=inputs.plan, period=period, now=inputs.now, previous=previous
    )
    _write_output(args.output, page, quiet=False)
    return 0


def _write_output(output: str, page: str, *, quiet: bool) -> None:
    if output == "-":
        sys.stdout.write(page)
        return
    try:
        Path(output).write_text(page, encoding="utf-8")
    except OSError as error:
        msg = f"{output}: cannot write the report: {error.strerror or error}"
        raise CommandError(msg) from None
    message = f"wrote {output} ({len(page.encode('utf-8')):,} bytes)"
    _say(message, error=quiet)


# ---------------------------------------------------------------------------------------------
# The parser.


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line (exit status 2, as for bad input)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> _Parser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback of an error",
    )
    inputs = _Parser(add_help=False)
    inputs.add_argument(
        "--subscription",
        required=True,
        metavar="FILE",
        help="subscription JSON (an object, or an array with --external-id); - for stdin",
    )
    inputs.add_argument(
        "--plan",
        metavar="FILE",
        help="plan JSON, when the subscription does not carry its plan",
    )
    inputs.add_argument(
        "--metrics",
        metavar="FILE",
        help="billable metrics for a plan whose charges name them (Lago's GET /billable_metrics)",
    )
    inputs.add_argument(
        "--external-id", metavar="ID", help="the subscription to use from an array of them"
    )
    inputs.add_argument(
        "--now",
        "--at",
        metavar="INSTANT",
        dest="now",
        help="ISO 8601 instant or unix seconds (default: the clock)",
    )
    output = _Parser(add_help=False)
    output.add_argument("--json", action="store_true", help="print Lago's JSON instead of a table")
    events = _Parser(add_help=False)
    events.add_argument(
        "--events",
        required=True,
        metavar="FILE",
        help="events: JSON Lines or a JSON array, gzip accepted; - for stdin",
    )
    events.add_argument(
        "--taxes", metavar="FILE", help="the customer's taxes, a JSON array of {code, rate}"
    )
    events.add_argument(
        "--invalid-events",
        choices=("raise", "collect"),
        default="raise",
        help="stop at a malformed event (raise, default) or set it aside and go on (collect)",
    )
    method = _Parser(add_help=False)
    method.add_argument(
        "--method",
        choices=("lago", "exact"),
        default="lago",
        help="projection rules: Lago's (default) or exact re-pricing",
    )

    parser = _Parser(
        prog=_PROG,
        description="Lago's usage computations (current, projected, past) on local files.",
        epilog="Start with: usage-engine demo. Documentation: the docs/ directory (cli.md).",
    )
    # Its own --debug: an action shared with the subcommands would be reset by their default.
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    def command(name: str, help_text: str, *parents: _Parser) -> _Parser:
        sub = commands.add_parser(
            name, help=help_text, description=help_text, parents=[common, *parents]
        )
        return sub

    demo = command("demo", "run on the bundled sample: period, usage, projection, past usage")
    demo.add_argument(
        "--subscription",
        "--external-id",
        metavar="ID",
        help="the sample subscription to detail: acme (default), globex, initech or umbrella",
    )
    demo.add_argument("--json", action="store_true", help="print the results as JSON")
    demo.add_argument("--report", metavar="FILE", help="also write the HTML report to FILE")
    demo.set_defaults(run=_demo)

    sample = command("sample", "write the bundled sample's files to a directory")
    sample.add_argument("directory", metavar="DIR")
    sample.set_defaults(run=_sample)

    period = command("period", "the billing period containing an instant", inputs, output)
    period.set_defaults(run=_period)

    current = command("current", "current usage of the period", inputs, events, output)
    current.set_defaults(run=_current)

    projected = command(
        "projected", "current usage projected to the period end", inputs, events, method, output
    )
    projected.set_defaults(run=_projected)

    past = command(
        "past", "frozen usage of the period(s) ended before --at", inputs, events, output
    )
    past.add_argument(
        "--periods", type=int, default=1, metavar="N", help="the N last periods, newest first"
    )
    past.add_argument(
        "--canonical",
        action="store_true",
        help="print each period's canonical JSON, one per line (its SHA-256 is the digest)",
    )
    past.set_defaults(run=_past)

    report = command(
        "report", "write an HTML report with a chart per charge", inputs, events, method
    )
    report.add_argument(
        "-o",
        "--output",
        default="usage-report.html",
        metavar="FILE",
        help="where to write the page (default usage-report.html; - for stdout)",
    )
    report.set_defaults(run=_report)
    return parser


def _event_context(args: argparse.Namespace, error: InvalidInput) -> str:
    """``FILE line N: `` for an error about an event read from a file, else ``FILE: ``."""
    source: EventFile | None = getattr(args, "event_file", None)
    if source is None or not str(error.path).startswith("events"):
        return ""
    match = _EVENT_PATH.match(error.path)
    line = source.line_of(int(match.group(1))) if match else None
    return f"{source.name} line {line}: " if line is not None else f"{source.name}: "


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad input, 1 for a failure).

    >>> main(["period", "--subscription", "no-such-file.json"])
    2
    """
    try:
        args = _parser().parse_args(argv)
    except SystemExit as done:  # --help, --version, or a usage error already printed
        return done.code if isinstance(done.code, int) else 2
    try:
        status: int = args.run(args)
    except UsageEngineError as error:
        if args.debug:
            raise
        Progress.end_open_line()
        context = _event_context(args, error) if isinstance(error, InvalidInput) else ""
        text = " ".join(f"{context}{error}".split("\n"))
        print(f"{_PROG}: {visible(text)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        Progress.end_open_line()
        if args.debug:
            raise
        print(f"{_PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (| head): not an error of ours. Point stdout at devnull so that
        # the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:
        Progress.end_open_line()
        if args.debug:
            raise
        text = " ".join(f"{type(error).__name__}: {error}".split("\n"))
        print(
            f"{_PROG}: internal error: {visible(text)} (run again with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1
    return status
