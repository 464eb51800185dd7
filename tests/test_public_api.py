"""The public surface: a sorted, complete __all__, documented names, py.typed."""

import inspect
from pathlib import Path

import usage_engine


def test_all_is_sorted_and_importable():
    """__all__ is sorted and every name in it exists."""
    names = [name for name in usage_engine.__all__ if name != "__version__"]
    assert names == sorted(names)
    for name in usage_engine.__all__:
        assert hasattr(usage_engine, name), name


def test_every_public_name_has_a_docstring():
    """Each exported class and function says what it is."""
    for name in usage_engine.__all__:
        value = getattr(usage_engine, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), name


def test_invalid_input_is_a_value_error():
    """InvalidInput is both a UsageEngineError and a ValueError."""
    assert issubclass(usage_engine.InvalidInput, usage_engine.UsageEngineError)
    assert issubclass(usage_engine.InvalidInput, ValueError)


def test_package_ships_py_typed():
    """The package is marked as typed."""
    assert (Path(usage_engine.__file__).parent / "py.typed").is_file()
