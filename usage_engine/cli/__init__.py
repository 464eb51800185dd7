"""The command line: the only part of the package that reads the clock or the terminal.

``usage-engine COMMAND``: ``demo`` runs on the bundled sample; ``period``, ``current``,
``projected``, ``past`` and ``report`` read a plan, a subscription and events from files (JSON,
JSON Lines, gzip, or ``-`` for stdin; see :mod:`usage_engine._files`). Results go to stdout (a
table, Lago's JSON with ``--json``, or CSV with ``--format csv``); progress goes to stderr when
stderr is a terminal or ``--progress`` asks for it. Bad input gives one line on stderr naming
the file, the field path and the value, and exit status 2 (``--debug`` shows the traceback).

One module per job: :mod:`.parser` (the options), :mod:`.inputs` (reading them),
:mod:`.commands` (calling the engine), :mod:`.output` (printing), :mod:`.progress` and
:mod:`.run` (:func:`main`).
"""

from __future__ import annotations

from .._files import EventFile, read_document
from .output import CommandError
from .progress import Progress
from .run import main

__all__ = ["CommandError", "EventFile", "Progress", "main", "read_document"]
