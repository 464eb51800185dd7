"""What the commands print: tables and JSON on stdout, warnings and errors on stderr."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from ..errors import UsageEngineError
from ..models.account import LABELS, MALFORMED, EventAccount
from ..models.usage import RejectedEvents
from ..report.text import visible

PROG: Final = "usage-engine"
_POSITION: Final = re.compile(r"events\[(\d+)\]")


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


def warn_set_aside(
    account: EventAccount,
    rejected: RejectedEvents,
    *,
    known_codes: Iterable[str] = (),
    expected: Iterable[str] = (),
    source: Any = None,
) -> None:
    """One line on stderr whenever an event was set aside, what and why; a word when the
    events file held no event at all.

    The line is a warning unless every reason is ``expected`` (Lago's own rules, such as
    duplicates and events outside the period). Malformed events are named by their line
    (``source`` is the :class:`EventFile`).
    """
    name = getattr(source, "name", "events")
    if account.read == 0:
        say(f"{PROG}: warning: {name}: no events read", error=True)
        return
    summary = account.summary(known_codes=known_codes)
    if not summary:
        return
    malformed = account.set_aside.get(MALFORMED, 0)
    if malformed and rejected.reasons:
        shown = "; ".join(_located(reason, source) for reason in rejected.reasons[:3])
        part = f"{malformed} {LABELS[MALFORMED]}"
        summary = summary.replace(part, f"{part} ({shown})", 1)
    allowed = set(expected)
    warning = "" if all(reason in allowed for reason in account.set_aside) else "warning: "
    say(f"{PROG}: {warning}{summary}", error=True)


def _located(reason: str, source: Any) -> str:
    # "events[30] (transaction_id 'b'): why" -> "line 31 (transaction_id 'b'): why"
    match = _POSITION.match(reason)
    line_of = getattr(source, "line_of", None)
    if match is None or line_of is None:
        return reason
    line = line_of(int(match.group(1)))
    return reason if line is None else f"line {line}{reason[match.end() :]}"


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
