"""A structural mutator: pick a path in a nested JSON-shaped input and break what is there.

A :class:`Mutation` is one change at one path (a key deleted, a value replaced, an item
duplicated...). :func:`mutated_inputs` draws one to three of them with Hypothesis over the
parts of a seed an entry point reads. The replacement values are the classic troublemakers:
wrong types, huge and tiny numbers, NaN and infinities, unknown enum values, malformed
timestamps and timezones, deep nesting, unicode oddities, unknown keys, duplicated ids, cycles,
and Python objects no JSON parser would produce.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from hypothesis import strategies as st

Path = tuple[str | int, ...]

MAX_DEPTH = 12
"""Paths deeper than this are not offered (a deep-nesting mutation is a leaf to the walker)."""
MAX_PATHS = 4_000
"""At most this many paths are offered per input."""
DEEP = 10_000
"""How deep the deep-nesting mutations nest."""


class _Deleted:
    def __repr__(self) -> str:
        return "<deleted>"


DELETED: Any = _Deleted()
"""The replacement that removes a key (or a list item)."""


# --- walking the tree ---------------------------------------------------------------------


def children(value: Any) -> Iterator[tuple[str | int, Any]]:
    """The (key, child) pairs of a mapping or list; nothing for anything else."""
    if isinstance(value, Mapping):
        yield from value.items()
    elif isinstance(value, list):
        yield from enumerate(value)


def paths(tree: Mapping[str, Any], roots: tuple[str, ...]) -> list[Path]:
    """Every path below (and including) the ``roots`` keys of ``tree``, breadth first.

    Iterative and cycle-safe: a container already on the way down is not entered again.
    """
    found: list[Path] = []
    queue: list[tuple[Path, Any, frozenset[int]]] = [
        ((root,), tree[root], frozenset()) for root in roots if root in tree
    ]
    while queue and len(found) < MAX_PATHS:
        path, value, above = queue.pop(0)
        found.append(path)
        if len(path) >= MAX_DEPTH or id(value) in above:
            continue
        inside = above | {id(value)}
        queue.extend(((*path, key), child, inside) for key, child in children(value))
    return found


def get(tree: Any, path: Path) -> Any:
    """The value at ``path``."""
    for key in path:
        tree = tree[key]
    return tree


def render(path: Path) -> str:
    """``('plan', 'charges', 0, 'code')`` as ``plan.charges[0].code``."""
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


def short(value: Any) -> str:
    """A repr that stays short and never recurses deeply (nested values are summarised)."""
    depth, inner = 0, value
    while isinstance(inner, list | dict) and len(inner) == 1 and depth <= 20:
        inner = next(iter(inner)) if isinstance(inner, list) else next(iter(inner.values()))
        depth += 1
    if depth > 20:
        return f"<{type(value).__name__} nested over 20 deep>"
    try:
        text = repr(value)
    except RecursionError:
        return f"<{type(value).__name__} too deep to print>"
    except Exception:
        return f"<{type(value).__name__} that cannot be printed>"
    return text if len(text) <= 60 else f"{text[:57]}..."


# --- one mutation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutation:
    """Replace the value at ``path`` by ``replacement`` (or delete it), named by ``kind``."""

    path: Path
    kind: str
    replacement: Any = DELETED

    def apply(self, tree: dict[str, Any]) -> None:
        """Change ``tree`` in place."""
        *head, last = self.path
        parent = get(tree, tuple(head))
        if self.replacement is DELETED:
            del parent[last]
        elif isinstance(parent, MappingProxyType):
            raise TypeError("a read-only mapping cannot be mutated")  # never offered
        else:
            parent[last] = self.replacement

    def __repr__(self) -> str:
        if self.replacement is DELETED:
            return f"{render(self.path)}: {self.kind}"
        return f"{render(self.path)}: {self.kind} -> {short(self.replacement)}"


# --- replacement values -------------------------------------------------------------------

WRONG_TYPES: tuple[Any, ...] = (
    0,
    1,
    -1,
    "x",
    "",
    [],
    {},
    None,
    True,
    False,
    1.5,
    ["x"],
    {"x": 1},
    [[]],
)
HUGE: tuple[Any, ...] = (
    10**400,
    -(10**400),
    "1e999",
    "-1e999",
    2**70,
    2**63,
    10**24,
    10**30,
    "9" * 5000,
    "1" + "0" * 60,
    Decimal("1e999"),
    Decimal("9" * 100),
    Decimal("1E+999999999"),
    1e308,
    -1e308,
    1.7976931348623157e308,
)
TINY: tuple[Any, ...] = (
    "1e-400",
    5e-324,
    -5e-324,
    Decimal("1e-400"),
    Decimal("1E-999999999"),
    "0." + "0" * 50 + "1",
    1e-30,
    "0.0000001",
    Decimal("-0"),
    -0.0,
)
NON_FINITE: tuple[Any, ...] = (
    float("nan"),
    float("inf"),
    float("-inf"),
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    "inf",
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
)
NUMERIC_TEXT: tuple[Any, ...] = (
    "12",
    "-3",
    "+5",
    ".5",
    "5.",
    "1e3",
    "0x10",
    "1_000",
    "00012",
    "-0",
    "0.000",
    " 12 ",
    "12.5.1",
)
TIMESTAMPS: tuple[Any, ...] = (
    "2024-13-01T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "2024-03-01T24:00:00Z",
    "2024-03-01T00:00:00+25:00",
    "2024-03-01T00:00:00+14:00",
    "2024-03-01T00:00:00-23:59",
    "2024-03-01",
    "2024-03-01T00:00:00.123456789Z",
    "2024-W10-1",
    "20240301T000000Z",
    "not a date",
    "T",
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59.999999Z",
    "10000-01-01T00:00:00Z",
    "-2024-01-01T00:00:00Z",
    "1e10",
    " 1709337600 ",
    "1709337600.9999999999",
    "-1",
    -62135596801,
    -62135596800,
    253402300800,
    253402300799,
    10**20,
    -(10**20),
    10**400,
    1709337600.5,
    datetime(2024, 3, 1),  # naive
    datetime(2024, 3, 1, tzinfo=timezone(timedelta(hours=23, minutes=59))),
    datetime.min.replace(tzinfo=UTC),
    datetime.max.replace(tzinfo=UTC),
    datetime(1, 1, 1),
    datetime(9999, 12, 31, 23, 59, 59, 999999),
    date(2024, 3, 1),
    time(12, 0),
    timedelta(days=1),
)
TIMEZONES: tuple[Any, ...] = (
    "Mars/Olympus",
    "utc",
    "Europe/paris",
    "Europe/Paris ",
    "Europe//Paris",
    "Europe/Paris/..",
    "../../etc/passwd",
    "/etc/localtime",
    "/usr/share/zoneinfo/UTC",
    "America",
    ".",
    "..",
    "",
    "UTC\x00",
    "posix/Europe/Paris",
    "right/UTC",
    "localtime",
    "Factory",
    "zone.tab",
    "tzdata.zi",
    "leapseconds",
    "EST5EDT",
    "Etc/GMT+14",
    "Etc/GMT-14",
    "+01:00",
    "x" * 1000,
    "\udcff",
    "Europe/Pa\u0301ris",
)
UNICODE: tuple[Any, ...] = (
    "\x00",
    "\ud800",
    "\u202e12",
    "é",
    "e\u0301",
    "１２",
    "١٢",
    "𝟙𝟚",
    "\ufeff12",
    " 12 ",
    "12\n",
    "🙂",
    "ǅ",
    "İ",
    "\u00a0",
)


class _Odd:
    """An object whose repr and str fail: the engine must not need them."""

    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    __str__ = __repr__


def _python_objects() -> tuple[Any, ...]:
    # Built fresh: some are single-use (an iterator) or mutable.
    return (
        b"12",
        bytearray(b"x"),
        {1, 2},
        (1, 2),
        frozenset(),
        object(),
        range(3),
        complex(1, 2),
        iter([]),
        (item for item in ()),
        Decimal("12.5"),
        MappingProxyType({"x": 1}),
        _Odd(),
        int,
        print,
    )


def _deep_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def _deep_dict(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"x": value}
    return value


# --- the mutators -------------------------------------------------------------------------

Draw = Callable[[st.SearchStrategy[Any]], Any]
Maker = Callable[[Draw, Any, Any], Any]
"""Draws a replacement from (draw, current value, the whole tree)."""


def _pick(values: tuple[Any, ...]) -> Maker:
    # A copy: a later mutation must not change the shared constant.
    return lambda draw, value, tree: _copy(draw(st.sampled_from(values)))


def _negative(draw: Draw, value: Any, tree: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return -1
    if isinstance(value, str):
        return value[1:] if value.startswith("-") else f"-{value}"
    if isinstance(value, Decimal):
        return value.copy_negate()  # no arithmetic: a signalling NaN would trap
    return -value if value else -1


def _enum_typo(draw: Draw, value: Any, tree: Any) -> Any:
    text = value if isinstance(value, str) and value else "standard"
    return draw(
        st.sampled_from(
            [
                text.upper(),
                text + "s",
                text[:-1],
                f" {text}",
                f"{text}\x00",
                "custom_agg",
                "unknown",
                "sum",
                "Monthly",
                "grouped",
            ]
        )
    )


def _deep(draw: Draw, value: Any, tree: Any) -> Any:
    depth = draw(st.sampled_from([100, 1_000, DEEP]))
    shape = draw(st.sampled_from(["list", "dict", "json text"]))
    if shape == "json text":
        return "[" * depth + "]" * depth
    return _deep_list(depth) if shape == "list" else _deep_dict(depth)


def _python_object(draw: Draw, value: Any, tree: Any) -> Any:
    return draw(st.sampled_from(_python_objects()))


def _unknown_key(draw: Draw, value: Any, tree: Any) -> Any:
    key = draw(st.sampled_from(["zzz_unknown", "__charge_model__", "", 1, None, (1, 2)]))
    extra = _copy(draw(st.sampled_from(WRONG_TYPES)))
    return {**value, key: extra}


def _read_only(draw: Draw, value: Any, tree: Any) -> Any:
    return MappingProxyType(dict(value))


def _copy(value: Any) -> Any:
    """A deep copy, or the value itself when it cannot be copied (too deep, a mappingproxy...)."""
    try:
        return copy.deepcopy(value)
    except Exception:
        return value


def _duplicate_item(draw: Draw, value: Any, tree: Any) -> Any:
    index = draw(st.integers(0, len(value) - 1))
    twin = _copy(value[index])
    if isinstance(twin, dict) and "transaction_id" in twin:
        # The same transaction_id, something else different: the first one must win.
        twin["timestamp"] = draw(st.sampled_from([0, 1, "2024-03-02T00:00:00Z"]))
        twin["code"] = draw(st.sampled_from([twin.get("code"), "calls", "seats"]))
    return [*value, twin]


def _from_elsewhere(draw: Draw, value: Any, tree: Any) -> Any:
    other = draw(st.sampled_from(paths(tree, tuple(tree))))
    return _copy(get(tree, other))


def _cycle(draw: Draw, value: Any, tree: Any) -> Any:
    if isinstance(value, dict):
        looped = dict(value)
        looped["loop"] = looped
        return looped
    looped_list = list(value)
    looped_list.append(looped_list)
    return looped_list


def _many(draw: Draw, value: Any, tree: Any) -> Any:
    # Keep it small enough not to look like a hang: a few hundred copies.
    return [_copy(item) for item in value for _ in range(200)][:400]


def _generator(draw: Draw, value: Any, tree: Any) -> Any:
    # A list read once: an iterator over it.
    return (item for item in value)


def _is_container(value: Any) -> bool:
    return isinstance(value, dict | list) and bool(value)


@dataclass(frozen=True)
class Mutator:
    """A named way to change a value; ``applies`` says where it makes sense."""

    kind: str
    make: Maker
    applies: Callable[[Any], bool] = lambda value: True


MUTATORS: tuple[Mutator, ...] = (
    Mutator("wrong type", _pick(WRONG_TYPES)),
    Mutator("huge", _pick(HUGE)),
    Mutator("tiny", _pick(TINY)),
    Mutator("non-finite", _pick(NON_FINITE)),
    Mutator("numeric text", _pick(NUMERIC_TEXT)),
    Mutator("negative", _negative),
    Mutator("empty string", _pick(("",))),
    Mutator("unknown enum", _enum_typo),
    Mutator("timestamp", _pick(TIMESTAMPS)),
    Mutator("timezone", _pick(TIMEZONES)),
    Mutator("deep nesting", _deep),
    Mutator("unicode", _pick(UNICODE)),
    Mutator("python object", _python_object),
    Mutator("from elsewhere", _from_elsewhere),
    Mutator("unknown key", _unknown_key, lambda value: isinstance(value, dict)),
    Mutator("read-only mapping", _read_only, lambda value: isinstance(value, dict)),
    Mutator("duplicate item", _duplicate_item, lambda value: isinstance(value, list) and value),
    Mutator("many items", _many, lambda value: isinstance(value, list) and value),
    Mutator("generator", _generator, lambda value: isinstance(value, list)),
    Mutator("cycle", _cycle, _is_container),
)


def _deletable(tree: Any, path: Path) -> bool:
    return len(path) > 1 and isinstance(get(tree, path[:-1]), dict)


def _replaceable(tree: Any, path: Path) -> bool:
    # Values inside a read-only mapping (or a tuple) cannot be replaced in place.
    return len(path) == 1 or isinstance(get(tree, path[:-1]), dict | list)


@st.composite
def mutations(draw: st.DrawFn, tree: dict[str, Any], roots: tuple[str, ...]) -> Mutation:
    """One mutation of ``tree`` at a path below ``roots`` (not yet applied)."""
    candidates = [path for path in paths(tree, roots) if _replaceable(tree, path)]
    path = draw(st.sampled_from(candidates))
    value = get(tree, path)
    usable = [mutator for mutator in MUTATORS if mutator.applies(value)]
    if _deletable(tree, path):
        usable.append(Mutator("delete key", lambda draw, value, tree: DELETED))
    mutator = draw(st.sampled_from(usable))
    return Mutation(path, mutator.kind, mutator.make(draw, value, tree))


@dataclass(frozen=True, repr=False)
class Case:
    """A seed's name, the mutations applied to it, and the mutated inputs."""

    seed: str
    mutations: tuple[Mutation, ...]
    inputs: dict[str, Any]

    def __repr__(self) -> str:
        # Never the inputs themselves: they may nest 10,000 deep or loop.
        return f"Case(seed={self.seed!r}, mutations={list(self.mutations)!r})"


@st.composite
def mutated_inputs(
    draw: st.DrawFn,
    build: Callable[[int], dict[str, Any]],
    count: int,
    roots: tuple[str, ...],
    *,
    max_mutations: int = 3,
) -> Case:
    """A seed (``build(index)`` for an index below ``count``) with 1 to 3 mutations applied."""
    index = draw(st.integers(0, count - 1))
    tree = build(index)
    applied = []
    for _ in range(draw(st.integers(1, max_mutations))):
        mutation = draw(mutations(tree, roots))
        mutation.apply(tree)
        applied.append(mutation)
    return Case(str(tree.get("name", index)), tuple(applied), tree)
