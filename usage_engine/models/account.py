"""The event account of a result: how many events were read, rated and set aside, and why."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final, TypeVar

from ..errors import closest
from ._result import Model

__all__ = [
    "BEFORE_SUBSCRIPTION",
    "DUPLICATE",
    "LABELS",
    "MALFORMED",
    "NOT_A_NUMBER",
    "NO_VALUE",
    "OTHER_SUBSCRIPTION",
    "OUTSIDE_PERIOD",
    "REASONS",
    "UNKNOWN_CODE",
    "EventAccount",
    "FrozenMapping",
    "frozen_counts",
]

V = TypeVar("V")


class FrozenMapping(dict[str, V]):
    """A read-only, hashable dict: results stay hashable with mappings in them.

    >>> import copy, pickle
    >>> counts = FrozenMapping({"duplicate": 2})
    >>> pickle.loads(pickle.dumps(counts)) == copy.deepcopy(counts) == counts
    True
    """

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as its items (pickle would otherwise rebuild it item by item through the
        # refused __setitem__): results cross processes, Dask's workers included.
        return (type(self), (dict(self),))

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("an event account is read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]


def frozen_counts(items: Iterable[tuple[str, V]]) -> FrozenMapping[V]:
    """A :class:`FrozenMapping` of ``items``, in their order."""
    return FrozenMapping(items)


_EMPTY: FrozenMapping[Any] = FrozenMapping()

DUPLICATE: Final = "duplicate"
OUTSIDE_PERIOD: Final = "outside_period"
BEFORE_SUBSCRIPTION: Final = "before_subscription"
UNKNOWN_CODE: Final = "unknown_code"
OTHER_SUBSCRIPTION: Final = "other_subscription"
NOT_A_NUMBER: Final = "not_a_number"
NO_VALUE: Final = "no_value"
MALFORMED: Final = "malformed"

LABELS: Final[Mapping[str, str]] = {
    DUPLICATE: "duplicate transaction_id",
    OUTSIDE_PERIOD: "outside the period",
    BEFORE_SUBSCRIPTION: "before the subscription started",
    UNKNOWN_CODE: "code matches no metric",
    OTHER_SUBSCRIPTION: "other subscription",
    NOT_A_NUMBER: "value not a number",
    NO_VALUE: "no value",
    MALFORMED: "malformed",
}
"""Every reason an event is set aside for, with its label, in the order summaries list them."""

REASONS: Final = tuple(LABELS)


class EventAccount(Model):
    """Every event read, accounted for: ``read == rated + sum(set_aside.values())``.

    ``set_aside`` maps a reason (``duplicate``, ``outside_period``, ``before_subscription``,
    ``unknown_code``, ``other_subscription``, ``not_a_number``, ``no_value``, ``malformed``)
    to how many events it set aside; ``examples`` gives the smallest transaction ids of each
    reason (ten at most; :func:`usage_engine.set_aside_events` gives them all) and
    ``details`` the fields or codes involved, with their counts.

    >>> EventAccount().summary()
    ''
    """

    read: int = 0
    rated: int = 0
    set_aside: Mapping[str, int] = _EMPTY
    examples: Mapping[str, tuple[str, ...]] = _EMPTY
    details: Mapping[str, Mapping[str, int]] = _EMPTY

    @property
    def set_aside_count(self) -> int:
        """How many events were set aside, for every reason."""
        return sum(self.set_aside.values())

    def reasons(self, *, quiet: Iterable[str] = ()) -> Iterator[tuple[str, int]]:
        """``(reason, count)`` of every reason, leaving out those in ``quiet``."""
        skipped = set(quiet)
        return (
            (reason, count) for reason, count in self.set_aside.items() if reason not in skipped
        )

    def summary(self, *, known_codes: Iterable[str] = (), quiet: Iterable[str] = ()) -> str:
        """One line naming what was set aside, or ``""`` when nothing was.

        ``known_codes`` (the plan's metric codes) lets an unknown code suggest the one it was
        probably meant to be; reasons in ``quiet`` are left out.
        """
        codes = list(known_codes)
        parts = []
        total = 0
        for reason, count in self.reasons(quiet=quiet):
            total += count
            part = f"{count} {LABELS.get(reason, reason)}"
            details = self.details.get(reason)
            if details:
                shown = []
                for detail in list(details)[:3]:
                    guess = closest(detail, codes) if reason == UNKNOWN_CODE else None
                    shown.append(f"{detail}: did you mean {guess}?" if guess else detail)
                more = len(details) - len(shown)
                part += f" ({', '.join(shown)}{f', {more} more' if more > 0 else ''})"
            parts.append(part)
        if not total:
            return ""
        noun = "event" if total == 1 else "events"
        return f"{total} {noun} set aside: {', '.join(parts)}"

    def to_data(self) -> dict[str, Any]:
        """The account as plain JSON-ready data."""
        return {
            "read": self.read,
            "rated": self.rated,
            "set_aside": dict(self.set_aside),
            "examples": {reason: list(ids) for reason, ids in self.examples.items()},
            "details": {reason: dict(kept) for reason, kept in self.details.items()},
        }

    def __add__(self, other: EventAccount) -> EventAccount:
        from ..account import Tally

        tally = Tally()
        for account in (self, other):
            tally.merge(account.as_tally())
        return tally.account(self.read + other.read)

    def as_tally(self) -> Any:
        """The account as a mutable tally (its examples as the ids it keeps)."""
        from ..account import Tally

        tally = Tally()
        tally.counts = dict(self.set_aside)
        tally.ids = {reason: list(ids) for reason, ids in self.examples.items()}
        tally.details = {reason: dict(kept) for reason, kept in self.details.items()}
        return tally
