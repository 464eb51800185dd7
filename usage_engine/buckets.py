"""Charge filters and pricing groups: which bucket and group an event lands in, by Lago's rules.

A charge with filters has one bucket per filter, plus a default bucket for events matching
none. An event matching several filters goes to the most specific: the one with the most keys,
else the narrower values, else the oldest of identical filters. Filters that overlap only
partly both count it, as Lago does (docs/lago-differences.md, Q4). A filter without values
matches no event: its bucket stays empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .aggregation import as_text
from .models import Charge
from .models.charge import ChargeProperties, narrower_filter

__all__ = ["Bucket", "FilterRouter", "buckets_of", "group_of"]

DEFAULT = None
"""The filter index of the default bucket."""


@dataclass(frozen=True, slots=True)
class Bucket:
    """A filter bucket: its index (None for the default bucket), values and properties."""

    index: int | None
    values: Mapping[str, frozenset[str]] | None
    declared: tuple[tuple[str, tuple[str, ...]], ...] | None
    properties: ChargeProperties
    invoice_display_name: str | None

    @property
    def group_keys(self) -> tuple[str, ...]:
        """The pricing group keys of this bucket's own properties."""
        return self.properties.group_keys


def buckets_of(charge: Charge) -> tuple[Bucket, ...]:
    """The charge's buckets in Lago's order: its filters, then the default bucket.

    A charge without filters has the default bucket only.
    """
    buckets = []
    for index, (item, expanded) in enumerate(
        zip(charge.filters, charge.expanded_filters(), strict=True)
    ):
        declared = tuple((key, tuple(values)) for key, values in item.values.items())
        buckets.append(
            Bucket(index, expanded, declared, item.properties, item.invoice_display_name)
        )
    buckets.append(Bucket(DEFAULT, None, None, charge.properties, None))
    return tuple(buckets)


def _more_specific(
    other: Mapping[str, frozenset[str]], than: Mapping[str, frozenset[str]], other_is_older: bool
) -> bool:
    # Lago excludes from a filter the events of a sibling that has all its keys, shares a value
    # on each, and has more keys, or narrower values, or identical values and is older.
    if dict(other) == dict(than):
        return other_is_older
    return narrower_filter(than, other)


_DEFAULT_ROUTE: tuple[int | None, ...] = (DEFAULT,)


class FilterRouter:
    """Routes an event's properties to the charge's filter buckets."""

    __slots__ = ("_table",)

    def __init__(self, buckets: tuple[Bucket, ...]) -> None:
        # The default bucket (values None) takes what no filter matches; a filter without
        # values matches nothing, rather than everything as an empty condition would.
        named = [bucket for bucket in buckets if bucket.values]
        # Per filter: its index, its (key, values) conditions, the siblings that take its events.
        self._table: list[
            tuple[int | None, tuple[tuple[str, frozenset[str]], ...], tuple[int, ...]]
        ]
        self._table = []
        for position, bucket in enumerate(named):
            assert bucket.values is not None
            excluders = tuple(
                other_position
                for other_position, other in enumerate(named)
                if other_position != position
                and other.values is not None
                and _more_specific(other.values, bucket.values, other_position < position)
            )
            self._table.append((bucket.index, tuple(bucket.values.items()), excluders))

    def route(self, properties: Mapping[str, Any]) -> tuple[int | None, ...]:
        """The filter indexes the event counts in (``(None,)`` for the default bucket)."""
        matched: list[int] = []
        for position, (_index, conditions, _excluders) in enumerate(self._table):
            for key, values in conditions:
                raw = properties.get(key)
                if (raw if type(raw) is str else as_text(raw)) not in values:
                    break
            else:
                matched.append(position)
        if not matched:
            return _DEFAULT_ROUTE
        table = self._table
        if len(matched) == 1:
            return (table[matched[0]][0],)
        chosen = tuple(
            table[position][0]
            for position in matched
            if not any(other in matched for other in table[position][2])
        )
        return chosen or _DEFAULT_ROUTE


def group_of(keys: tuple[str, ...], properties: Mapping[str, Any]) -> tuple[str | None, ...]:
    """The event's pricing group: each key's text value, None when missing or empty.

    >>> group_of(("region", "tier"), {"region": "us", "tier": ""})
    ('us', None)
    """
    values = []
    for key in keys:
        raw = properties.get(key)
        text = raw if type(raw) is str else as_text(raw)
        values.append(text or None)
    return tuple(values)
