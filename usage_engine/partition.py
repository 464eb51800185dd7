"""Rating one partition of a larger collection of events: the engine-free core of scale-out.

A collection too large for one process is cut into partitions, rated where they lie, and the
results put together. Three rules keep the results identical to one process:

- **Dedup stays local.** Every copy of a ``(subscription, transaction_id)`` pair must be in the
  same partition. :func:`bucket_key` and :func:`piece_of` are functions of those two values
  only (CRC-32 of their UTF-8 bytes, never ``hash()``, which changes from process to process).
- **Ingest order travels with the event.** Each event carries a position (its place in the
  input as given: ``(input partition, row)``, an offset, an ``ingested_at``); a partition is
  rated in position order, so the first copy ingested wins, as in one pass.
- **A subscription split into pieces merges exactly.** A very heavy subscription may be cut by
  transaction id into pieces rated apart (``split``); each piece gives a mergeable
  :class:`~usage_engine.UsageState`, and :func:`merge_partials` then :func:`finish` price it.

With ``invalid_events="collect"``, a subscription too large to price (an amount past 60 digits)
fails alone: it is left out of the usages and reported, with the :class:`InvalidInput` naming it,
its charge and its event, in the ``failed`` of :class:`PartitionResult`, of :func:`finish_split`
and of :func:`rate_job`'s result; :func:`period_digest` covers it through ``failed=``.

:func:`plan_job` checks the subscriptions once and fixes what to compute; :func:`rate_partition`
rates one partition for it; :func:`usage_digest` and :func:`period_digest` fingerprint the
results, so that a run in pieces can be proved equal to a run in one process.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import zlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any, Literal, NamedTuple

from ._coerce import as_taxes
from ._columns import Columns, columnar
from ._inputs import EventsInput, InstantInput, SubscriptionsInput, TaxesInput
from .aggregation import Window
from .batch import SubscriptionUsages, checked_subscriptions, subscription_period
from .errors import InvalidInput, suggest
from .models import BillingPeriod, Plan, Tax
from .models.account import EventAccount
from .models.usage import RejectedEvents, Usage
from .money import exact_decimals
from .past import PastUsage, frozen_usage
from .periods import periods_before
from .projection import (
    Method,
    build_projection,
    check_method,
    projection_basis,
    projection_ratio,
    same_rating,
)
from .rating import EventReport, Layouts, RatedCharge, Rating, View, consume
from .selection import InvalidEvents, Rejections, id_text, iterate_events
from .state import UsageState
from .usage import read_now, usage_of

__all__ = [
    "KINDS",
    "Job",
    "Kind",
    "PartitionResult",
    "bucket_key",
    "finish",
    "finish_partials",
    "finish_split",
    "merge_partials",
    "new_state",
    "period_digest",
    "piece_of",
    "plan_job",
    "rate_job",
    "rate_partition",
    "subscription_of",
    "transaction_of",
    "usage_digest",
]

Kind = Literal["current", "projected", "past"]
"""What to compute for each subscription: current, projected or past usage."""
KINDS: tuple[Kind, ...] = ("current", "projected", "past")


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def bucket_key(subscription_id: str, buckets: int, *, piece: int = 0) -> int:
    """The partition, out of ``buckets``, of a subscription's events (or of one of its pieces).

    Stable across processes and machines. Piece 0 is the whole subscription:

    >>> bucket_key("sub_1", 16), bucket_key("sub_1", 16, piece=0), bucket_key("sub_1", 16, piece=1)
    (3, 3, 15)
    """
    if piece:
        return _crc(f"{subscription_id}#{piece}") % buckets
    return _crc(subscription_id) % buckets


def piece_of(subscription_id: str, transaction_id: str, pieces: int) -> int:
    """The piece, out of ``pieces``, an event of a split subscription belongs to.

    A function of the subscription and the transaction id only, so that every copy of an
    event lands in the same piece. With one piece, every event is in piece 0:

    >>> piece_of("sub_1", "tx_5", 1), piece_of("sub_1", "tx_5", 4)
    (0, 3)
    """
    if pieces <= 1:
        return 0
    return _crc(f"{subscription_id}\x1f{transaction_id}") % pieces


@dataclass(frozen=True)
class Job:
    """What to compute, for which subscriptions: built once by :func:`plan_job`, then shipped
    to every partition. ``periods`` maps each subscription to its plan and period."""

    kind: Kind
    periods: Mapping[str, tuple[Plan, BillingPeriod]]
    taxes: tuple[Tax, ...] = ()
    now: datetime | None = None
    method: Method = "lago"
    invalid_events: InvalidEvents = "raise"
    left_out: tuple[str, ...] = field(default=())
    """Subscriptions with nothing to compute: no period closed before ``at`` (past usage)."""


@exact_decimals
def plan_job(
    subscriptions: SubscriptionsInput,
    *,
    at: InstantInput,
    kind: Kind = "current",
    now: InstantInput | None = None,
    method: Method = "lago",
    taxes: TaxesInput = (),
    invalid_events: InvalidEvents = "raise",
) -> Job:
    """Check ``subscriptions`` (each carrying its plan) and fix each one's period at ``at``.

    ``current`` and ``projected`` usage cover the period holding ``at``; ``projected`` projects
    at ``now`` (``at`` when omitted). ``past`` usage covers the last period that ended at or
    before ``at``; a subscription with none is left out (``Job.left_out``).

    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR"}
    >>> subs = [{"external_id": "old", "subscription_at": "2024-01-01T00:00:00Z", "plan": plan},
    ...         {"external_id": "new", "subscription_at": "2024-03-05T00:00:00Z", "plan": plan}]
    >>> job = plan_job(subs, at="2024-03-10T00:00:00Z", kind="past")
    >>> list(job.periods), job.left_out
    (['old'], ('new',))
    """
    if kind not in KINDS:
        msg = suggest("must be 'current', 'projected' or 'past'", kind, KINDS)
        raise InvalidInput.at("kind", msg, kind)
    chosen = check_method(method)
    checked = checked_subscriptions(subscriptions)
    instant = read_now(at, "at")
    when = instant if now is None else read_now(now)
    Rejections(invalid_events)  # checks the mode
    periods: dict[str, tuple[Plan, BillingPeriod]] = {}
    left_out: list[str] = []
    for index, (sub, plan) in enumerate(checked):
        if kind == "past":
            found = periods_before(sub, instant, 1, plan=plan)
            if not found:
                left_out.append(sub.external_id)
                continue
            periods[sub.external_id] = (plan, found[0])
        else:
            periods[sub.external_id] = (plan, subscription_period(sub, instant, index, "at"))
    return Job(
        kind=kind,
        periods=periods,
        taxes=as_taxes(taxes),
        now=when,
        method=chosen,
        invalid_events=invalid_events,
        left_out=tuple(left_out),
    )


@dataclass
class PartitionResult:
    """What a partition gives: finished usages, partial states of split subscriptions, and the
    malformed events that name no subscription (collected with ``invalid_events="collect"``).

    ``failed`` holds the subscriptions that could not be priced (an amount too large to compute
    exactly), each with the :class:`InvalidInput` naming it, its charge and its event: only
    with ``invalid_events="collect"``, which leaves them out of ``whole`` (otherwise the first
    one raises).
    """

    whole: list[tuple[str, Usage]]
    partials: list[tuple[str, UsageState]]
    rejected: RejectedEvents = field(default_factory=RejectedEvents)
    failed: list[tuple[str, InvalidInput]] = field(default_factory=list)
    account: EventAccount = field(default_factory=EventAccount, repr=False)
    """Every event of the partition, rated or set aside and why: the accounts of all the
    partitions add up to the one process account (``SubscriptionUsages.event_account``)."""


def _views(job: Job, plan: Plan, period: BillingPeriod) -> list[View]:
    window = Window.of(period)
    if job.kind == "past":
        return [View(window, invoicing=True)]
    current = View(window)
    if job.kind == "current":
        return [current]
    basis = projection_basis(period, job.method)
    return [current] if same_rating(plan, current, basis) else [current, basis]


def _finish_rated(
    job: Job,
    subscription: str,
    results: list[tuple[RatedCharge, ...]],
    report: EventReport,
) -> Usage:
    plan, period = job.periods[subscription]
    if job.kind == "current":
        return usage_of(plan, period, results[0], job.taxes, report)
    if job.kind == "past":
        return frozen_usage(plan, period, results[0], job.taxes, report)
    ratio = projection_ratio(period, job.now)
    return build_projection(
        plan, period, job.taxes, results[0], results[-1], report, ratio, job.method
    )


def subscription_of(event: Any) -> str | None:
    """The subscription an event names, as event reading reads it; None when it names none.

    >>> subscription_of({"external_subscription_id": 42}), subscription_of({"code": "x"})
    ('42', None)
    """
    return id_text(_field(event, "external_subscription_id"))


def transaction_of(event: Any) -> str:
    """The transaction id an event carries, as event reading reads it; "" when it has none."""
    return id_text(_field(event, "transaction_id")) or ""


def _field(event: Any, name: str) -> Any:
    if type(event) is dict or isinstance(event, Mapping):
        return event.get(name)
    return getattr(event, name, None)


def _in_order(events: Iterable[Any]) -> list[tuple[Any, Any]]:
    if isinstance(events, Mapping | str | bytes):
        msg = "must be an iterable of (position, event) pairs"
        raise InvalidInput.at("events", msg, type(events).__name__)
    pairs = list(events)
    for index, pair in enumerate(pairs):
        if not isinstance(pair, tuple) or len(pair) != 2:
            path, msg = f"events[{index}]", "must be a (position, event) pair"
            raise InvalidInput.at(path, msg, type(pair).__name__)
    try:
        # Stable: events with equal positions keep their order.
        pairs.sort(key=itemgetter(0))
    except TypeError:
        msg = "positions must all be comparable with each other (e.g. all (int, int) tuples)"
        raise InvalidInput.at("events", msg, None) from None
    return pairs


@exact_decimals
def rate_partition(
    events: Iterable[Any],
    job: Job,
    *,
    split: Collection[str] = (),
    owned: Iterable[str] = (),
    positions: Sequence[Any] | None = None,
) -> PartitionResult:
    """Rate one partition: ``(position, event)`` pairs, in any order, for the ``job``.

    The partition may also be columnar events (a pyarrow Table, a pandas or Polars DataFrame),
    each row's position given by ``positions`` (default: its index), read in position order.

    A subscription not in ``split`` must have all its events in this partition: its usage is
    finished here. A subscription in ``split`` has a piece of its events here (every copy of a
    transaction id in the same piece): its partial state is returned for
    :func:`finish_split`. Events of other subscriptions are skipped. The subscriptions of
    ``owned`` get their usage from this partition even when it holds none of their events.
    A whole subscription too large to price raises :class:`InvalidInput` naming it, its charge
    and its event; with ``invalid_events="collect"`` it goes to ``failed`` instead.

    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"charge_model": "standard", "properties": {"amount": "1"},
    ...      "billable_metric": {"code": "calls", "aggregation_type": "count_agg"}}]}
    >>> job = plan_job([{"external_id": "sub", "subscription_at": "2024-01-01T00:00:00Z",
    ...                  "plan": plan}], at="2024-03-10T00:00:00Z")
    >>> def call(key):
    ...     return {"transaction_id": key, "external_subscription_id": "sub", "code": "calls",
    ...             "timestamp": "2024-03-05T00:00:00Z"}
    >>> result = rate_partition([((0, 1), call("b")), ((0, 0), call("a")), ((1, 0), call("a"))],
    ...                         job)
    >>> [(sub, usage.amount_cents) for sub, usage in result.whole]
    [('sub', 200)]
    """
    if not isinstance(job, Job):
        raise InvalidInput.at("job", "must be a Job (see plan_job)", type(job).__name__)
    for name, given in (("split", split), ("owned", owned)):
        if isinstance(given, str | bytes):
            msg = "must be a collection of subscription ids, not a single string"
            raise InvalidInput.at(name, msg, given)
    columns = columnar(events)
    if columns is not None:
        return _rate_columns(columns, job, split, owned, positions)
    if positions is not None:
        msg = "are given by the (position, event) pairs: positions are for columnar events"
        raise InvalidInput.at("positions", msg, type(positions).__name__)
    pairs = _in_order(events)
    split_here = {sub for sub in split if sub in job.periods}
    present = {subscription_of(event) for _, event in pairs}
    # A split subscription's events go to its piece's state, not through the stream (where
    # they would count as another subscription's).
    unsplit = [pair for pair in pairs if subscription_of(pair[1]) not in split_here]
    pieces: dict[str, list[tuple[Any, Any]]] = {sub: [] for sub in sorted(split_here & present)}
    if pieces:
        for pair in pairs:
            piece = pieces.get(subscription_of(pair[1]))  # type: ignore[arg-type]
            if piece is not None:
                piece.append(pair)
    return _rate_parts(
        job,
        present.union(owned),
        split_here,
        _Part([event for _, event in unsplit], [position for position, _ in unsplit]),
        {
            sub: _Part([event for _, event in mine], [position for position, _ in mine])
            for sub, mine in pieces.items()
        },
    )


class _Part(NamedTuple):
    """Events to rate together, and the position of each."""

    events: Any
    positions: Any


def _rate_columns(
    columns: Columns,
    job: Job,
    split: Collection[str],
    owned: Iterable[str],
    positions: Sequence[Any] | None,
) -> PartitionResult:
    # Columnar events: pieces of split subscriptions are chosen rows of the same columns,
    # never copies of the events.
    rows: Sequence[int] = columns.rows
    if positions is None:
        at: Any = None
    else:
        at = list(positions)
        if len(at) != len(rows):
            msg = f"must give one position per row ({len(rows)}), not {len(at)}"
            raise InvalidInput.at("positions", msg, len(at))
        try:
            if any(later < earlier for earlier, later in itertools.pairwise(at)):
                rows = sorted(rows, key=at.__getitem__)  # stable: equal positions keep order
                columns = columns.select(rows)
        except TypeError:
            msg = "must all be comparable with each other (e.g. all (int, int) tuples)"
            raise InvalidInput.at("positions", msg, None) from None
    names = columns.subscriptions
    try:
        present = {id_text(name) for name in set(names)}
    except TypeError:  # an unhashable value in an object column
        present = {id_text(names[row]) for row in rows}
    split_here = {sub for sub in split if sub in job.periods and sub in present}
    if not split_here:
        every = _Part(columns, _placed(rows, at))
        return _rate_parts(job, present.union(owned), split_here, every, {})
    owners = [id_text(names[row]) for row in rows]
    unsplit = [row for row, owner in zip(rows, owners, strict=True) if owner not in split_here]
    chosen: dict[str, list[int]] = {sub: [] for sub in sorted(split_here)}
    for row, owner in zip(rows, owners, strict=True):
        piece = chosen.get(owner)  # type: ignore[arg-type]
        if piece is not None:
            piece.append(row)
    return _rate_parts(
        job,
        present.union(owned),
        split_here,
        _Part(columns.select(unsplit), _placed(unsplit, at)),
        {sub: _Part(columns.select(mine), _placed(mine, at)) for sub, mine in chosen.items()},
    )


def _placed(rows: Sequence[int], positions: list[Any] | None) -> Sequence[Any]:
    # The positions of ``rows``: their indexes, or the positions given for them.
    return rows if positions is None else [positions[row] for row in rows]


def _rate_parts(
    job: Job,
    wanted: set[str | None],
    split_here: set[str],
    unsplit: _Part,
    pieces: Mapping[str, _Part],
) -> PartitionResult:
    periods = job.periods
    whole_subs = [sub for sub in periods if sub in wanted and sub not in split_here]
    stream = Rejections(job.invalid_events)
    layouts: Layouts = {}
    ratings = {
        sub: Rating(
            periods[sub][0],
            _views(job, *periods[sub]),
            Rejections(job.invalid_events),
            layouts=layouts,
            subscription=sub,
        )
        for sub in whole_subs
    }
    consume(unsplit.events, ratings, stream, positions=unsplit.positions, broadcast_orphans=False)
    whole: list[tuple[str, Usage]] = []
    failed: list[tuple[str, InvalidInput]] = []
    for name, rating in ratings.items():
        try:
            usage = _finish_rated(job, name, rating.results(), rating.report())
        except InvalidInput as error:
            if job.invalid_events == "raise":
                raise
            # Collected: this subscription cannot be priced; the others still are.
            failed.append((name, error))
            continue
        whole.append((name, usage))
    partials: list[tuple[str, UsageState]] = []
    for sub, piece in pieces.items():
        state = new_state(sub, job)
        state.add(piece.events, positions=piece.positions)
        partials.append((sub, state))
    account = stream.tally.account(stream.tally.total)
    for rating in ratings.values():
        account += rating.account()
    for _, state in partials:
        account += state.event_account
    return PartitionResult(whole, partials, stream.report(), failed, account)


def rate_job(events: EventsInput, job: Job) -> SubscriptionUsages:
    """Every subscription's usage from one stream, in one process: the reference a run in
    partitions must equal. Positions are the events' indexes.

    As for :func:`~usage_engine.rate_subscriptions`, a subscription too large to price raises,
    or, with ``invalid_events="collect"``, is left out and reported in ``failed``:

    >>> plan = {"code": "p", "interval": "monthly", "amount_currency": "EUR", "charges": [
    ...     {"charge_model": "standard", "properties": {"amount": "1"},
    ...      "billable_metric": {"code": "m", "aggregation_type": "sum_agg", "field_name": "v"}}]}
    >>> job = plan_job([{"external_id": s, "subscription_at": "2025-01-01T00:00:00Z",
    ...                  "plan": plan} for s in ("small", "huge")],
    ...                at="2025-03-10T00:00:00Z", invalid_events="collect")
    >>> usages = rate_job([{"transaction_id": s, "external_subscription_id": s, "code": "m",
    ...                     "timestamp": "2025-03-05T10:00:00Z", "properties": {"v": v}}
    ...                    for s, v in (("small", 2), ("huge", 10**70))], job)
    >>> {sub: usage.amount_cents for sub, usage in usages.items()}, list(usages.failed)
    ({'small': 200}, ['huge'])
    """
    columns = columnar(events)
    pairs: Any = columns if columns is not None else enumerate(iterate_events(events))
    result = rate_partition(pairs, job, owned=job.periods)
    usages = SubscriptionUsages()
    usages.update(result.whole)
    usages.failed.update(result.failed)
    usages.event_account = result.account
    return usages


@exact_decimals
def merge_partials(states: Iterable[UsageState]) -> UsageState:
    """One state from the partial states of a split subscription, leaving them unchanged.

    The pieces hold disjoint transaction ids, so their order does not matter.
    """
    merged: UsageState | None = None
    for index, state in enumerate(states):
        if not isinstance(state, UsageState):
            path, msg = f"states[{index}]", "must be a UsageState"
            raise InvalidInput.at(path, msg, type(state).__name__)
        if merged is None:
            merged = copy.deepcopy(state)  # the pieces stay as they were
        else:
            merged.merge(state)
    if merged is None:
        raise InvalidInput.at("states", "must hold at least one state", None)
    return merged


def new_state(subscription: str, job: Job) -> UsageState:
    """An empty state of one of the ``job``'s subscriptions."""
    try:
        plan, period = job.periods[subscription]
    except KeyError:
        msg = "is not one of the job's subscriptions"
        raise InvalidInput.at("subscription", msg, subscription) from None
    return UsageState(
        plan, period, taxes=job.taxes, invalid_events=job.invalid_events, past=job.kind == "past"
    )


def finish_partials(subscription: str, states: Iterable[UsageState], job: Job) -> Usage:
    """The usage of a split subscription from its partial states, in any order (maybe none).

    An amount too large to price raises :class:`InvalidInput` naming the subscription, its
    charge and its event, whatever the job's mode: :func:`finish_split` collects it instead.
    """
    kept = list(states)
    return finish(merge_partials(kept) if kept else new_state(subscription, job), job)


@exact_decimals
def finish_split(
    partials: Iterable[tuple[str, UsageState]], job: Job, *, split: Collection[str] = ()
) -> PartitionResult:
    """The usages of split subscriptions from the partial states of every partition.

    ``partials`` are the ``(subscription, state)`` pairs of the partitions' results, in any
    order; each subscription of ``split`` (of the job) gets its usage, even with no piece.
    With ``invalid_events="collect"``, a subscription too large to price is in ``failed``
    rather than in ``whole``; otherwise it raises. Nothing is left in ``partials``:

    >>> job = plan_job([], at="2025-03-10T00:00:00Z")
    >>> finish_split([], job)
    PartitionResult(whole=[], partials=[], rejected=RejectedEvents(count=0, reasons=()), failed=[])
    """
    if not isinstance(job, Job):
        raise InvalidInput.at("job", "must be a Job (see plan_job)", type(job).__name__)
    if isinstance(split, str | bytes):
        msg = "must be a collection of subscription ids, not a single string"
        raise InvalidInput.at("split", msg, split)
    pieces: dict[str, list[UsageState]] = {sub: [] for sub in split if sub in job.periods}
    for index, pair in enumerate(partials):
        if not isinstance(pair, tuple) or len(pair) != 2:
            path, msg = f"partials[{index}]", "must be a (subscription, state) pair"
            raise InvalidInput.at(path, msg, type(pair).__name__)
        sub, state = pair
        if not isinstance(sub, str) or sub not in job.periods:
            path, msg = f"partials[{index}][0]", "is not one of the job's subscriptions"
            raise InvalidInput.at(path, msg, sub)
        if not isinstance(state, UsageState):
            path, msg = f"partials[{index}][1]", "must be a UsageState"
            raise InvalidInput.at(path, msg, type(state).__name__)
        pieces.setdefault(sub, []).append(state)
    result = PartitionResult([], [])
    for sub, states in pieces.items():
        merged = merge_partials(states) if states else new_state(sub, job)
        try:
            usage = finish(merged, job)
        except InvalidInput as error:
            if job.invalid_events == "raise":
                raise
            # Collected: this subscription cannot be priced; the others still are.
            result.failed.append((sub, error))
            continue
        result.whole.append((sub, usage))
    return result


def finish(state: UsageState, job: Job) -> Usage:
    """The usage the ``job`` asks for, from a subscription's merged state."""
    if job.kind == "current":
        return state.current_usage()
    if job.kind == "past":
        return state.past_usage()
    return state.projected_usage(now=job.now, method=job.method)


def usage_digest(usage: Usage) -> str:
    """The SHA-256 of a usage's canonical JSON: its Lago shape (and true-ups), sorted keys.

    A past usage's digest is its own :attr:`~usage_engine.PastUsage.digest`. A subscription
    that failed (too large to price, collected) has no usage and so no usage digest: the
    period digest counts it through ``failed=``, never as a zero bill.
    """
    if isinstance(usage, PastUsage):
        return usage.digest
    text = json.dumps(usage.to_lago(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def period_digest(
    digests: Iterable[tuple[str, str]] | Mapping[str, str], *, failed: Iterable[str] = ()
) -> str:
    """One digest for many subscriptions: SHA-256 of their sorted ``"sub"<TAB>digest`` lines.

    Each id is written as a JSON string, so that an id holding a tab or a line break cannot
    pass for another. The same whatever the order the pairs come in:

    >>> period_digest([("b", "2"), ("a", "1")]) == period_digest({"a": "1", "b": "2"})
    True

    ``failed`` names the subscriptions that could not be priced (collect mode: a ``failed``
    mapping gives its ids). Each adds a ``"sub"<TAB>failed`` line, which no usage digest
    spells: the digest then differs from that of the same period with the subscription
    billed zero, or left out. A subscription cannot be both priced and failed:

    >>> period_digest({"a": "1"}, failed=["b"]) == period_digest({"a": "1"})
    False
    """
    pairs = list(digests.items() if isinstance(digests, Mapping) else digests)
    pairs += [(sub, "failed") for sub in _failed_ids(failed)]
    seen: set[str] = set()
    for sub, _ in pairs:
        if sub in seen:
            msg = "appears more than once: its events were rated in more than one place"
            raise InvalidInput.at("digests", msg, sub)
        seen.add(sub)
    lines = sorted(f"{json.dumps(sub)}\t{digest}\n" for sub, digest in pairs)
    return hashlib.sha256("".join(lines).encode("ascii")).hexdigest()


def _failed_ids(failed: Iterable[str]) -> list[str]:
    msg = "must be a collection of subscription ids"
    if isinstance(failed, str | bytes):
        raise InvalidInput.at("failed", f"{msg}, not a single string", failed)
    try:
        ids = list(failed)
    except TypeError:
        raise InvalidInput.at("failed", msg, failed) from None
    for index, sub in enumerate(ids):
        if not isinstance(sub, str):
            path = f"failed[{index}]"
            raise InvalidInput.at(path, "must be a subscription id", sub)
    return ids
