"""What users read cites sources they have: Lago's documentation, Lago's code, or
docs/lago-differences.md, never the numbered sections of a document they do not have."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import usage_engine

ROOT = Path(__file__).resolve().parent.parent
# "spec 4.2", "(spec 9)", "spec section 1", "quirk Q4", "quirk 8.5.1", "(1.2-1.9)", "under 1.7".
UNSHARED = re.compile(
    r"\bspec(?:ification)?\b(?:'s)?\s*(?:section\s*)?[0-9]"
    r"|\bquirk\s+(?:Q?[0-9])"
    r"|(?:^|\s)\([0-9]+\.[0-9]+(?:-[0-9.]+)?\)"
    r"|\bunder [0-9]+\.[0-9]+",
    re.IGNORECASE,
)
# Modules whose docstrings still cite section numbers: none, and none may start again.
STILL_CITING: frozenset[str] = frozenset()


def _docstrings(module):
    yield module.__name__, inspect.getdoc(module) or ""
    for name, value in vars(module).items():
        if getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(value) or inspect.isfunction(value):
            yield f"{module.__name__}.{name}", inspect.getdoc(value) or ""
        if inspect.isclass(value):
            for attribute, member in vars(value).items():
                if inspect.isfunction(member) or isinstance(member, property):
                    doc = inspect.getdoc(member) or ""
                    yield f"{module.__name__}.{name}.{attribute}", doc


def _modules():
    names = ["usage_engine"]
    for info in pkgutil.walk_packages(usage_engine.__path__, "usage_engine."):
        # __main__ runs the command line when imported.
        skipped = info.name in STILL_CITING or info.name.endswith("__main__")
        if not skipped:
            names.append(info.name)
    return names


def test_the_pattern_finds_what_it_is_for():
    cited = ["(spec 4.8)", "spec 9", "quirk Q4", "quirk 8.5.1", "(1.2-1.9)", "under 1.7"]
    assert [bool(UNSHARED.search(text)) for text in cited] == [True] * len(cited)
    fine = ["docs/lago-differences.md, Q4", "respect 4 rules", "the spec file", "f(1.5)"]
    assert [bool(UNSHARED.search(text)) for text in fine] == [False] * len(fine)


@pytest.mark.parametrize("name", _modules())
def test_help_cites_no_unshared_sections(name):
    if name == "usage_engine.dask":
        pytest.importorskip("dask")
    module = importlib.import_module(name)
    cited = [where for where, doc in _docstrings(module) if UNSHARED.search(doc)]
    assert cited == []


@pytest.mark.parametrize(
    "page", [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"], ids=lambda p: p.name
)
def test_docs_cite_no_unshared_sections(page):
    found = [line for line in page.read_text().splitlines() if UNSHARED.search(line)]
    assert found == []
