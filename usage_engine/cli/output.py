"""What the commands print: tables and JSON on stdout, warnings and errors on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from ..errors import UsageEngineError
from ..report.text import visible

PROG: Final = "usage-engine"


class CommandError(UsageEngineError):
    """A problem with the command's input files or options; the message is the whole story.

    >>> str(CommandError("--periods: must be 1 or more (got 0)"))
    '--periods: must be 1 or more (got 0)'
    """


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


def print_json(document: Any) -> None:
    print(json.dumps(document, indent=2, ensure_ascii=False).translate(_JSON_VISIBLE))


def say(text: str, *, error: bool = False) -> None:
    """Print ``text`` for a terminal: its lines kept, control characters shown, not obeyed."""
    shown = "\n".join(visible(line) for line in text.split("\n"))
    print(shown, file=sys.stderr if error else sys.stdout)


def warn_rejected(count: int, reasons: Sequence[str]) -> None:
    if count:
        shown = "; ".join(reasons[:3])
        events = "event" if count == 1 else "events"
        say(f"{PROG}: warning: {count:,} malformed {events} set aside: {shown}", error=True)


def write_output(output: str, page: str, *, quiet: bool) -> None:
    if output == "-":
        sys.stdout.write(page)
        return
    try:
        Path(output).write_text(page, encoding="utf-8")
    except OSError as error:
        msg = f"{output}: cannot write the report: {error.strerror or error}"
        raise CommandError(msg) from None
    message = f"wrote {output} ({len(page.encode('utf-8')):,} bytes)"
    say(message, error=quiet)
