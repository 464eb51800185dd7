"""Running the command line: parse, dispatch, and one line on stderr for any problem."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from typing import Final

from .._files import EventFile
from ..errors import InvalidInput, UsageEngineError
from ..report.text import visible
from .output import PROG
from .parser import build_parser
from .progress import Progress

_EVENT_PATH: Final = re.compile(r"events\[(\d+)\]")


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
        args = build_parser().parse_args(argv)
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
        print(f"{PROG}: {visible(text)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        Progress.end_open_line()
        if args.debug:
            raise
        print(f"{PROG}: interrupted", file=sys.stderr)
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
            f"{PROG}: internal error: {visible(text)} (run again with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1
    return status
