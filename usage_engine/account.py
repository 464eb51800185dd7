"""The event account: every event read is either rated or set aside for a named reason.

A :class:`Tally` is filled while the events are rated (only where an event is set aside: the
common path pays nothing) and gives the :class:`~usage_engine.models.EventAccount` of a result.
What it keeps does not depend on the order of the events: counts, the smallest transaction ids
of each reason, and the fields or codes involved, so that tallies of split streams merge into
the tally of the whole.
"""

from __future__ import annotations

from typing import Any, Final

from .errors import InvalidInput, shown
from .models.account import (
    BEFORE_SUBSCRIPTION,
    DUPLICATE,
    LABELS,
    MALFORMED,
    NO_VALUE,
    NOT_A_NUMBER,
    OTHER_SUBSCRIPTION,
    OUTSIDE_PERIOD,
    REASONS,
    UNKNOWN_CODE,
    EventAccount,
    frozen_counts,
)

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
    "Tally",
]

_STRICT_ALLOWS: Final = frozenset((DUPLICATE, OUTSIDE_PERIOD))
"""What ``strict=True`` still sets aside quietly: Lago's own rules, not a problem in the data."""

EXAMPLES: Final = 10
"""How many transaction ids an account keeps per reason (the smallest, whatever the order)."""


class Tally:
    """Counts, example ids and details of the events set aside, per reason.

    ``limit`` is how many ids to keep per reason (None: all of them). With ``strict``, a reason
    other than a duplicate or an event outside the period raises :class:`InvalidInput`.
    """

    __slots__ = ("counts", "details", "ids", "limit", "strict")

    def __init__(self, *, strict: bool = False, limit: int | None = EXAMPLES) -> None:
        self.strict = strict
        self.limit = limit
        self.counts: dict[str, int] = {}
        self.ids: dict[str, list[str]] = {}
        self.details: dict[str, dict[str, int]] = {}

    def add(
        self,
        reason: str,
        key: str | None,
        position: Any = None,
        detail: str | None = None,
        why: str | None = None,
    ) -> None:
        """Set one event aside; ``detail`` is the field or code involved, ``why`` the message
        ``strict`` raises with (the reason's label by default)."""
        if self.strict and reason not in _STRICT_ALLOWS:
            where = f"events[{position}]"
            if key is not None:
                where += f" (transaction_id {shown(key)})"
            raise InvalidInput.at(where, f"{why or LABELS[reason]} (strict=True)")
        self.counts[reason] = self.counts.get(reason, 0) + 1
        if key is not None:
            self._keep(reason, key)
        if detail is not None:
            kept = self.details.setdefault(reason, {})
            kept[detail] = kept.get(detail, 0) + 1

    def _keep(self, reason: str, key: str) -> None:
        kept = self.ids.get(reason)
        if kept is None:
            self.ids[reason] = [key]
            return
        limit = self.limit
        if limit is None:
            kept.append(key)
        elif len(kept) < limit:
            kept.append(key)
            kept.sort()
        elif key < kept[-1]:
            kept[-1] = key
            kept.sort()

    def take_back(self, reason: str, key: str, detail: str | None = None) -> None:
        """Undo :meth:`add` of an event that turns out to be a duplicate of an earlier one.

        Only exact for a tally that keeps every id (``limit=None``).
        """
        self.counts[reason] -= 1
        if not self.counts[reason]:
            del self.counts[reason]
        kept = self.ids.get(reason)
        if kept is not None and key in kept:
            kept.remove(key)
            if not kept:
                del self.ids[reason]
        if detail is not None:
            details = self.details[reason]
            details[detail] -= 1
            if not details[detail]:
                del details[detail]
                if not details:
                    del self.details[reason]

    def merge(self, other: Tally) -> None:
        """Add ``other``'s counts, ids and details."""
        for reason, count in other.counts.items():
            self.counts[reason] = self.counts.get(reason, 0) + count
        for reason, keys in other.ids.items():
            for key in keys:
                self._keep(reason, key)
        for reason, details in other.details.items():
            kept = self.details.setdefault(reason, {})
            for detail, count in details.items():
                kept[detail] = kept.get(detail, 0) + count

    @property
    def total(self) -> int:
        """How many events were set aside."""
        return sum(self.counts.values())

    def account(self, read: int) -> EventAccount:
        """The account of ``read`` events, of which the tallied ones were set aside."""
        limit = EXAMPLES if self.limit is None else self.limit
        order = {reason: index for index, reason in enumerate(REASONS)}
        reasons = sorted(self.counts, key=order.__getitem__)
        return EventAccount.build(
            read=read,
            rated=read - self.total,
            set_aside=frozen_counts((reason, self.counts[reason]) for reason in reasons),
            examples=frozen_counts(
                (reason, tuple(sorted(self.ids[reason])[:limit]))
                for reason in reasons
                if reason in self.ids
            ),
            details=frozen_counts(
                (reason, frozen_counts(sorted(self.details[reason].items())))
                for reason in reasons
                if reason in self.details
            ),
        )

    def to_data(self) -> dict[str, Any]:
        """The tally as plain data (sorted, so that equal tallies write equal data)."""
        return {
            "counts": dict(sorted(self.counts.items())),
            "ids": {reason: sorted(keys) for reason, keys in sorted(self.ids.items())},
            "details": {
                reason: dict(sorted(kept.items())) for reason, kept in sorted(self.details.items())
            },
        }

    def load(self, data: Any, path: str) -> None:
        """Take back what :meth:`to_data` wrote, checked: InvalidInput names what is wrong."""
        from .aggregation._data import count_of, fields_of, refuse, text_of

        fields = fields_of(data, path, ("counts", "ids", "details"))
        counts = _mapping(fields["counts"], f"{path}.counts")
        for reason, count in counts.items():
            _known(reason, f"{path}.counts")
            self.counts[reason] = count_of(count, f"{path}.counts.{reason}")
        for reason, keys in _mapping(fields["ids"], f"{path}.ids").items():
            _known(reason, f"{path}.ids")
            if not isinstance(keys, list):
                refuse(f"{path}.ids.{reason}", "must be a list", keys)
            for index, key in enumerate(keys):
                self._keep(reason, text_of(key, f"{path}.ids.{reason}[{index}]"))
        for reason, details in _mapping(fields["details"], f"{path}.details").items():
            _known(reason, f"{path}.details")
            kept = self.details.setdefault(reason, {})
            for detail, count in _mapping(details, f"{path}.details.{reason}").items():
                kept[detail] = count_of(count, f"{path}.details.{reason}.{detail}")


def _mapping(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        msg = "must be an object"
        raise InvalidInput.at(path, msg, type(value).__name__)
    return value


def _known(reason: Any, path: str) -> None:
    if reason not in LABELS:
        msg = f"must name reasons among {', '.join(REASONS)}"
        raise InvalidInput.at(path, msg, reason)
