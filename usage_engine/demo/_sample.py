"""The bundled sample: its files in ``usage_engine/data/``, read, written and described."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Final

from ..errors import InvalidInput

__all__ = [
    "EVENTS_FILE",
    "NOW",
    "PLAN_FILE",
    "SEED",
    "SUBSCRIPTIONS_FILE",
    "TAXES_FILE",
    "WIDTH",
    "Sample",
    "load_sample",
    "sample_files",
    "write_sample",
]

SEED: Final = 2026
"""The seed of the sample's random generator."""
WIDTH: Final = 80
"""The demo's output fits a terminal this wide."""
NOW: Final = datetime(2026, 10, 20, 12, tzinfo=UTC)
"""The demo's fixed "now": inside every sample subscription's current period."""
PLAN_FILE: Final = "plan.json"
SUBSCRIPTIONS_FILE: Final = "subscriptions.json"
TAXES_FILE: Final = "taxes.json"
EVENTS_FILE: Final = "events.jsonl.gz"


@dataclass(frozen=True, slots=True)
class Sample:
    """The sample: a plan, subscriptions, customer taxes and events (plain Lago-shaped data).

    >>> load_sample().subscription("globex")["timezone"]
    'America/New_York'
    """

    plan: dict[str, Any]
    subscriptions: tuple[dict[str, Any], ...]
    taxes: tuple[dict[str, Any], ...]
    events: tuple[dict[str, Any], ...]

    def subscription(self, external_id: str) -> dict[str, Any]:
        """The subscription whose ``external_id`` is given; an unknown one is an
        :class:`~usage_engine.InvalidInput` naming the known ones."""
        for item in self.subscriptions:
            if item["external_id"] == external_id:
                return item
        known = ", ".join(item["external_id"] for item in self.subscriptions)
        msg = f"no sample subscription {external_id!r} (known: {known})"
        raise InvalidInput.at("external_id", msg, external_id)


def _jsonl_gz(events: Sequence[Mapping[str, Any]]) -> bytes:
    text = "".join(json.dumps(event, separators=(",", ":")) + "\n" for event in events)
    buffer = io.BytesIO()
    # mtime=0 and no file name: the same events give the same bytes.
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0, filename="") as out:
        out.write(text.encode("utf-8"))
    return buffer.getvalue()


def sample_files(sample: Sample) -> dict[str, bytes]:
    """The sample as the files ``usage_engine/data/`` ships: name -> content.

    >>> sorted(sample_files(load_sample()))
    ['events.jsonl.gz', 'plan.json', 'subscriptions.json', 'taxes.json']
    """

    def document(value: Any) -> bytes:
        return (json.dumps(value, indent=2) + "\n").encode("utf-8")

    return {
        PLAN_FILE: document(sample.plan),
        SUBSCRIPTIONS_FILE: document(list(sample.subscriptions)),
        TAXES_FILE: document(list(sample.taxes)),
        EVENTS_FILE: _jsonl_gz(sample.events),
    }


def write_sample(directory: Path, sample: Sample | None = None) -> list[Path]:
    """Write the sample files (default: the bundled ones) into ``directory``; return their paths.

    >>> import tempfile
    >>> [path.name for path in write_sample(Path(tempfile.mkdtemp()))]
    ['plan.json', 'subscriptions.json', 'taxes.json', 'events.jsonl.gz']
    """
    directory.mkdir(parents=True, exist_ok=True)
    if sample is None:
        contents = {name: _data_file(name) for name in _NAMES}
    else:
        contents = sample_files(sample)
    written = []
    for name, content in contents.items():
        path = directory / name
        path.write_bytes(content)
        written.append(path)
    return written


_NAMES: Final = (PLAN_FILE, SUBSCRIPTIONS_FILE, TAXES_FILE, EVENTS_FILE)


def _data_file(name: str) -> bytes:
    return resources.files("usage_engine").joinpath("data", name).read_bytes()


def load_sample() -> Sample:
    """The bundled sample, read from the package data.

    >>> sample = load_sample()
    >>> sample.plan["code"], [item["external_id"] for item in sample.subscriptions]
    ('scale', ['acme', 'globex', 'initech', 'umbrella'])
    """
    lines = gzip.decompress(_data_file(EVENTS_FILE)).decode("utf-8").splitlines()
    return Sample(
        plan=json.loads(_data_file(PLAN_FILE)),
        subscriptions=tuple(json.loads(_data_file(SUBSCRIPTIONS_FILE))),
        taxes=tuple(json.loads(_data_file(TAXES_FILE))),
        events=tuple(json.loads(line) for line in lines),
    )
