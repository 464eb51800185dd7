"""Regression snapshots: {"function", "input", "expected"} JSON files, one per scenario.

``expected`` is the engine's own Lago-shaped output, written by ``make_snapshots``: a snapshot
catches any change of output, not a mistake that was there when it was taken. The values each
scenario should have are worked by hand in ``test_hand_worked.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from usage_engine import current_usage, past_usage, projected_usage

HERE = Path(__file__).parent


def cases() -> list[Path]:
    """Every snapshot file, sorted."""
    return sorted(HERE.glob("*.json"))


def run(case: dict[str, Any]) -> dict[str, Any]:
    """Run a case's function on its input and return the Lago-shaped result."""
    given = case["input"]
    function = case["function"]
    common = {"taxes": given.get("taxes", [])}
    if function == "current_usage":
        result: Any = current_usage(
            given["plan"], given["events"], given["period"], now=given.get("now"), **common
        )
    elif function == "projected_usage":
        result = projected_usage(
            given["plan"],
            given["events"],
            given["period"],
            now=given["now"],
            method=given.get("method", "lago"),
            **common,
        )
    elif function == "past_usage":
        result = past_usage(given["plan"], given["events"], given["period"], **common)
        return {
            "usage": result.to_lago(),
            "digest": result.digest,
            "true_ups": [item.to_lago() for item in result.true_ups],
        }
    else:
        raise ValueError(f"unknown function {function!r}")
    return result.to_lago()  # type: ignore[no-any-return]


def load(path: Path) -> dict[str, Any]:
    """A case file's content."""
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
