"""How a filter bucket and a pricing group are named wherever a person reads them."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["DEFAULT_BUCKET", "filter_text", "group_text"]

DEFAULT_BUCKET = "no filter matched"


def _pairs_text(pairs: Iterable[tuple[str, Iterable[str | None]]]) -> str:
    return "; ".join(f"{key}: {', '.join(str(value) for value in values)}" for key, values in pairs)


def filter_text(
    values: Iterable[tuple[str, Iterable[str | None]]] | None, display_name: str | None
) -> str:
    """A filter bucket's name: its display name, else its values; the default bucket says so.

    >>> filter_text((("region", ("eu", "us")),), None), filter_text(None, None)
    ('region: eu, us', 'no filter matched')
    >>> filter_text((("region", ("eu",)),), "Europe")
    'Europe'
    """
    if values is None:
        return DEFAULT_BUCKET
    return display_name or _pairs_text(values)


def group_text(grouped_by: Iterable[tuple[str, str | None]]) -> str:
    """A pricing group's name: ``key=value`` pairs (``(none)`` where the event had no value).

    >>> group_text((("region", "eu"), ("tier", None))), group_text(())
    ('region=eu, tier=(none)', '')
    """
    return ", ".join(
        f"{key}={value if value is not None else '(none)'}" for key, value in grouped_by
    )
