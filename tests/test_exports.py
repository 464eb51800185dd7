"""The public surface is deliberate: what a public module exports is in its ``__all__``,
nothing else of the package's own leaks, and every other module is marked internal."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import types

import pytest

import usage_engine

# The modules users import from. Everything else is internal and spelt with a leading
# underscore (in its own name or a parent's), so that ``help()`` and completion show the API.
PUBLIC_MODULES = (
    "usage_engine",
    "usage_engine.arrow",
    "usage_engine.dask",
    "usage_engine.errors",
    "usage_engine.models",
    "usage_engine.partition",
    "usage_engine.strategies",
)
# The command line and its report are programs, not importable API: their modules are their own.
PROGRAMS = ("usage_engine.__main__", "usage_engine.cli", "usage_engine.report")
# Internal modules still spelt without the underscore. The list may only shrink: a module
# added to the package is either public (above) or underscored.
NOT_YET_UNDERSCORED = frozenset(
    {
        "usage_engine.account",
        "usage_engine.aggregate",
        "usage_engine.aggregation",
        "usage_engine.aggregation.count",
        "usage_engine.aggregation.latest",
        "usage_engine.aggregation.max",
        "usage_engine.aggregation.rounding",
        "usage_engine.aggregation.sum",
        "usage_engine.aggregation.unique_count",
        "usage_engine.aggregation.weighted_sum",
        "usage_engine.batch",
        "usage_engine.buckets",
        "usage_engine.demo",
        "usage_engine.expression",
        "usage_engine.models.account",
        "usage_engine.models.charge",
        "usage_engine.models.event",
        "usage_engine.models.metric",
        "usage_engine.models.period",
        "usage_engine.models.plan",
        "usage_engine.models.properties",
        "usage_engine.models.subscription",
        "usage_engine.models.tax",
        "usage_engine.models.usage",
        "usage_engine.money",
        "usage_engine.past",
        "usage_engine.periods",
        "usage_engine.pricing",
        "usage_engine.pricing.dynamic",
        "usage_engine.pricing.graduated",
        "usage_engine.pricing.graduated_percentage",
        "usage_engine.pricing.package",
        "usage_engine.pricing.percentage",
        "usage_engine.pricing.prorated_graduated",
        "usage_engine.pricing.registry",
        "usage_engine.pricing.standard",
        "usage_engine.pricing.volume",
        "usage_engine.projection",
        "usage_engine.rating",
        "usage_engine.reading",
        "usage_engine.rollup",
        "usage_engine.selection",
        "usage_engine.state",
        "usage_engine.taxes",
        "usage_engine.usage",
    }
)


def _module(name: str) -> types.ModuleType:
    if name == "usage_engine.dask":
        pytest.importorskip("dask")
    return importlib.import_module(name)


def _is_package(module: types.ModuleType) -> bool:
    return hasattr(module, "__path__")


def _own_public_names(module: types.ModuleType) -> set[str]:
    """The public names a module offers: in a package, every non-module attribute (it exists
    to re-export); in a plain module, the classes and functions it defines itself."""
    found = set()
    for name, value in vars(module).items():
        if name.startswith("_") or isinstance(value, types.ModuleType):
            continue
        defined_here = (inspect.isclass(value) or inspect.isfunction(value)) and (
            value.__module__ == module.__name__
        )
        if _is_package(module) or defined_here:
            found.add(name)
    return found


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_exported_name_exists(name):
    module = _module(name)
    missing = [item for item in module.__all__ if not hasattr(module, item)]
    assert missing == [], f"{name}.__all__ names what it does not hold"
    assert len(set(module.__all__)) == len(module.__all__), f"{name}.__all__ repeats a name"


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_nothing_public_is_left_out_of_all(name):
    module = _module(name)
    leaked = _own_public_names(module) - set(module.__all__)
    assert leaked == set(), f"{name} offers names that its __all__ does not list"


def test_the_package_exports_exactly_its_all():
    """``from usage_engine import *`` gives the whole API, and only it (httpx's rule)."""
    offered = {
        name
        for name, value in vars(usage_engine).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert offered | {"__version__"} == set(usage_engine.__all__)


def _modules() -> list[str]:
    return [
        info.name
        for info in pkgutil.walk_packages(usage_engine.__path__, "usage_engine.")
        if info.name != "usage_engine.dask"
    ] + ["usage_engine.dask"]


def _internal(name: str) -> bool:
    return any(part.startswith("_") for part in name.split(".")[1:])


def test_every_module_is_public_or_underscored():
    unmarked = [
        name
        for name in _modules()
        if name not in PUBLIC_MODULES
        and not _internal(name)
        and not name.startswith(PROGRAMS)
        and name not in NOT_YET_UNDERSCORED
    ]
    assert unmarked == [], "list each in PUBLIC_MODULES, or give it a leading underscore"


def test_the_list_of_modules_to_rename_only_shrinks():
    """A module renamed with its underscore leaves the list, so the list stays true."""
    existing = set(_modules())
    assert sorted(NOT_YET_UNDERSCORED - existing) == []
