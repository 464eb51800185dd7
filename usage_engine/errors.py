"""The errors usage_engine raises on purpose.

Hierarchy::

    Exception
     └── UsageEngineError
          └── InvalidInput (also a ValueError)
"""

from __future__ import annotations

import difflib
import pickle
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Final

__all__ = [
    "NO_VALUE",
    "EmptyFilterWarning",
    "InvalidInput",
    "OverlappingFiltersWarning",
    "Problem",
    "UsageEngineError",
    "UsageEngineWarning",
    "closest",
    "did_you_mean",
    "shown",
    "suggest",
]


class _NoValue(Enum):
    """The type of :data:`NO_VALUE` (an enum member, so that it survives pickling)."""

    NO_VALUE = "NO_VALUE"

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Final = _NoValue.NO_VALUE
"""Marks a :class:`Problem` that has no offending value to show (a missing field)."""

_MAX_SHOWN = 80
"""Longest value text an error message quotes; longer values are summarised."""


class UsageEngineError(Exception):
    """Base class for every error usage_engine raises on purpose."""


class UsageEngineWarning(UserWarning):
    """Base class for the warnings usage_engine gives about valid but risky input."""


class EmptyFilterWarning(UsageEngineWarning):
    """A charge filter has no values: it matches no event and shows as an empty entry.

    Lago accepts such a filter and lists it in current usage; the engine does too, and warns,
    since a filter that can never match is most likely a mistake in the plan.
    """


class OverlappingFiltersWarning(UsageEngineWarning):
    """Two filters of a charge overlap partly: an event in both is counted twice.

    Lago counts such an event in both filters, and so does the engine, to give Lago's numbers
    (docs/lago-differences.md, Q4).
    """


def shown(value: Any) -> str:
    """The value as a message quotes it: its ``repr``, or a summary when that is long.

    Any value can be shown, also one nested too deep for ``repr`` or whose ``repr`` fails.

    >>> shown("EUT"), shown({"code": "vat"})
    ("'EUT'", "{'code': 'vat'}")
    >>> shown({str(key): key for key in range(40)})
    'a dict with 40 keys'
    >>> shown("ab" * 50)[-24:]
    'abab... (102 characters)'
    >>> deep = []
    >>> for _ in range(100_000):
    ...     deep = [deep]
    >>> shown(deep), shown(10**5000)
    ('a list nested too deep to show', 'an int too long to show')
    """
    try:
        text = repr(value)
    except Exception as error:
        return _unshowable(value, error)
    if len(text) <= _MAX_SHOWN:
        return text
    if isinstance(value, Mapping):
        return f"a {type(value).__name__} with {_count(len(value), 'key')}"
    if isinstance(value, list | tuple | set | frozenset):
        return f"a {type(value).__name__} of {_count(len(value), 'item')}"
    return f"{text[: _MAX_SHOWN - 3]}... ({len(text)} characters)"


def _unshowable(value: Any, error: Exception) -> str:
    # repr fails for a value nested deeper than the recursion limit, for an integer of more
    # than 4300 digits, or for an object whose __repr__ raises.
    kind = type(value).__name__
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    if isinstance(error, RecursionError):
        return f"{article} {kind} nested too deep to show"
    if isinstance(value, int):
        return f"{article} {kind} too long to show"
    return f"{article} {kind} that cannot be shown"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


@dataclass(frozen=True, slots=True, repr=False)
class Problem:
    """One problem with an input: where it is, what is wrong, and the value found there.

    >>> Problem("plan.code", "must not be empty", "")
    Problem(path='plan.code', message='must not be empty', value='')
    """

    path: str
    message: str
    value: Any = NO_VALUE

    def __repr__(self) -> str:
        # The value as messages show it: any value has a repr then, however deep or odd.
        return f"Problem(path={self.path!r}, message={self.message!r}, value={shown(self.value)})"

    def render(self) -> str:
        """Return ``path: message (got value)``, the form every error message uses.

        A long value (a whole mapping, a long text) is summarised rather than quoted.
        """
        text = f"{self.path}: {self.message}" if self.path else self.message
        if self.value is not NO_VALUE:
            text += f" (got {shown(self.value)})"
        return text


def _picklable(problem: Problem) -> Problem:
    """``problem``, its value replaced by its ``repr`` if the value cannot be pickled."""
    try:
        pickle.dumps(problem.value)
    except Exception:
        return replace(problem, value=shown(problem.value))
    return problem


class InvalidInput(UsageEngineError, ValueError):
    """An input is not valid.

    ``errors`` lists every problem found (each a :class:`Problem`); ``path`` and ``value`` are
    those of the first one. The message names the field path and the value, and suggests a fix
    where one is obvious.

    >>> err = InvalidInput.at("plan.amount_cents", "must not be negative", -5)
    >>> str(err)
    'plan.amount_cents: must not be negative (got -5)'
    >>> err.path, err.value
    ('plan.amount_cents', -5)
    """

    errors: tuple[Problem, ...]

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            msg = "InvalidInput needs at least one problem"
            raise ValueError(msg)
        self.errors = tuple(problems)
        message = self.errors[0].render()
        if len(self.errors) > 1:
            message += f" (and {len(self.errors) - 1} more)"
        super().__init__(message)

    @classmethod
    def at(cls, path: str, message: str, value: Any = NO_VALUE) -> InvalidInput:
        """Build the error for a single problem at ``path``."""
        return cls([Problem(path, message, value)])

    @property
    def path(self) -> str:
        """The field path of the first problem, e.g. ``plan.charges[2].charge_model``."""
        return self.errors[0].path

    @property
    def value(self) -> Any:
        """The offending value of the first problem (``None`` when there is none)."""
        value = self.errors[0].value
        return None if value is NO_VALUE else value

    def __reduce__(self) -> tuple[Any, ...]:
        # An unpicklable value (a lock, a generator...) travels as its repr, so that the error
        # itself always crosses process boundaries.
        return (type(self), (tuple(_picklable(problem) for problem in self.errors),))


def did_you_mean(value: object, choices: Iterable[str], *, max_edits: int | None = None) -> str:
    """Return `` Did you mean 'x'?`` for the closest choice, or ``''`` when none is close.

    The comparison ignores case; the suggestion is spelt as in ``choices``. ``max_edits`` keeps
    only the choices that many typing slips away (a letter added, dropped, replaced, or two
    swapped): short codes such as currencies need it, being all alike by ratio.

    >>> did_you_mean("graduate", ["standard", "graduated", "volume"])
    " Did you mean 'graduated'?"
    >>> did_you_mean("eut", ["EUR", "USD"])
    " Did you mean 'EUR'?"
    >>> did_you_mean("BTC", ["BDT", "EUR"]), did_you_mean("BTC", ["BDT", "EUR"], max_edits=1)
    (" Did you mean 'BDT'?", '')
    >>> did_you_mean(42, ["standard"])
    ''
    """
    found = closest(value, choices, max_edits=max_edits)
    return f" Did you mean {found!r}?" if found is not None else ""


def suggest(
    message: str, value: object, choices: Iterable[str], *, max_edits: int | None = None
) -> str:
    """``message``, then a did-you-mean sentence of its own when a choice is close.

    The message itself does not end with a full stop: it is followed by `` (got ...)``.

    >>> suggest("must be 'lago' or 'exact'", "exac", ["lago", "exact"])
    "must be 'lago' or 'exact'. Did you mean 'exact'?"
    >>> suggest("must be 'lago' or 'exact'", "zzz", ["lago", "exact"])
    "must be 'lago' or 'exact'"
    """
    hint = did_you_mean(value, choices, max_edits=max_edits)
    return f"{message}.{hint}" if hint else message


def closest(value: object, choices: Iterable[str], *, max_edits: int | None = None) -> str | None:
    """The choice ``value`` was probably meant to be (see :func:`did_you_mean`), or None.

    >>> closest("api_cals", ["api_calls", "storage"]), closest("zzz", ["api_calls"])
    ('api_calls', None)
    """
    if not isinstance(value, str):
        return None
    wanted = value.lower()
    spelt = {choice.lower(): choice for choice in choices}
    if max_edits is not None:
        spelt = {
            key: choice
            for key, choice in spelt.items()
            # Lengths apart by more than max_edits cannot be closer: skip the quadratic count.
            if abs(len(key) - len(wanted)) <= max_edits and _edits(wanted, key) <= max_edits
        }
    matches = difflib.get_close_matches(wanted, list(spelt), n=1, cutoff=0.6)
    return spelt[matches[0]] if matches else None


def _edits(left: str, right: str) -> int:
    """The optimal-string-alignment distance: insertions, deletions, substitutions, swaps.

    >>> _edits("eut", "eur"), _edits("usdd", "usd"), _edits("ude", "ued"), _edits("btc", "bdt")
    (1, 1, 1, 2)
    """
    previous2: list[int] = []
    previous = list(range(len(right) + 1))
    for i, left_char in enumerate(left, start=1):
        current = [i] + [0] * len(right)
        for j, right_char in enumerate(right, start=1):
            cost = left_char != right_char
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and left_char == right[j - 2] and left[i - 2] == right_char:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]
