"""The inputs the commands share: plan, subscription, instant, taxes and events from files."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from .._coerce import as_plan, as_subscription, as_taxes
from .._files import EventFile, line_of_event, read_document, shown_name
from .._lago import plan_with_metrics
from .._wrappers import unwrap
from ..errors import InvalidInput
from ..models import BillingPeriod, Plan, Subscription, Tax
from ..models._base import parse_instant
from .output import CommandError
from .progress import Progress

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Inputs:
    plan: Plan
    subscription: Subscription
    now: datetime
    option: str
    """The option that gave ``now`` as the user spelt it (``--now`` or ``--at``), for errors."""
    one_of_several: bool = False
    """The subscription was picked from a file of several: the events file is expected to
    hold the others' events too."""


def _validated(check: Callable[[Any], T], value: Any, path: str) -> T:
    try:
        return check(value)
    except InvalidInput as error:
        msg = f"{shown_name(path)}: {error}"
        raise CommandError(msg) from None


def read_instant(text: str | None, option: str) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        return parse_instant(text)
    except ValueError as error:
        msg = f"{option}: {error} (got {text!r})"
        raise CommandError(msg) from None


def _pick_subscription(document: Any, path: str, external_id: str | None) -> Any:
    document = unwrap(unwrap(document, "subscription"), "subscriptions")
    if isinstance(document, list):
        ids = [str(item.get("external_id")) for item in document if isinstance(item, dict)]
        if external_id is None:
            if len(document) == 1:
                return document[0]
            msg = (
                f"{shown_name(path)}: holds {len(document)} subscriptions ({', '.join(ids)}); "
                "choose one with --external-id"
            )
            raise CommandError(msg)
        for item in document:
            if isinstance(item, dict) and str(item.get("external_id")) == external_id:
                return item
        msg = (
            f"--external-id: no subscription {external_id!r} in {shown_name(path)} "
            f"(it has {', '.join(ids)})"
        )
        raise CommandError(msg)
    if (
        external_id is not None
        and isinstance(document, dict)
        and str(document.get("external_id")) != external_id
    ):
        msg = (
            f"--external-id: {shown_name(path)} holds subscription "
            f"{document.get('external_id')!r}, not {external_id!r}"
        )
        raise CommandError(msg)
    return document


def _check_stdin(args: argparse.Namespace) -> None:
    named = [
        option
        for option in ("plan", "metrics", "subscription", "events", "taxes")
        if getattr(args, option, None) == "-"
    ]
    if len(named) > 1:
        msg = f"only one input can be stdin ('-'); got it for --{' and --'.join(named)}"
        raise CommandError(msg)


def read_inputs(args: argparse.Namespace) -> Inputs:
    _check_stdin(args)
    document = unwrap(unwrap(read_document(args.subscription), "subscription"), "subscriptions")
    raw = _pick_subscription(document, args.subscription, args.external_id)
    subscription = _validated(as_subscription, raw, args.subscription)
    joined = plan_reader(args)
    if args.plan is not None:
        plan = _validated(joined, read_document(args.plan), args.plan)
        if subscription.plan is not None and subscription.plan != plan:
            msg = (
                f"--plan: {shown_name(args.plan)} differs from the plan inside "
                f"{shown_name(args.subscription)}; give the plan once"
            )
            raise CommandError(msg)
    elif subscription.plan is not None:
        plan = subscription.plan
    elif isinstance(raw, dict) and isinstance(raw.get("plan"), dict):
        # Lago's embedded plan, its charges naming their metrics: joined with --metrics.
        plan = _validated(joined, raw["plan"], args.subscription)
    else:
        msg = (
            f"{shown_name(args.subscription)}: subscription.plan: is missing; give the plan with "
            "--plan FILE (or embed it in the subscription)"
        )
        raise CommandError(msg)
    if subscription.plan_code is not None and subscription.plan_code != plan.code:
        msg = (
            f"{shown_name(args.subscription)}: subscription.plan_code: does not match the plan's "
            f"code {plan.code!r} (got {subscription.plan_code!r})"
        )
        raise CommandError(msg)
    option = instant_option(args)
    several = isinstance(document, list) and len(document) > 1
    return Inputs(plan, subscription, read_instant(args.now, option), option, several)


def plan_reader(args: argparse.Namespace) -> Callable[[Any], Plan]:
    """How a plan is read: as it is, or joined with the billable metrics of --metrics."""
    if getattr(args, "metrics", None) is None:
        return as_plan
    metrics = read_document(args.metrics)
    return lambda plan: plan_with_metrics(plan, metrics)


def instant_option(args: argparse.Namespace) -> str:
    """``--at`` or ``--now``: the spelling the user gave (``--now`` when neither)."""
    option = getattr(args, "now_option", None)
    return option if isinstance(option, str) else "--now"


def read_taxes(args: argparse.Namespace) -> tuple[Tax, ...]:
    if args.taxes is None:
        return ()
    document = unwrap(read_document(args.taxes), "taxes")
    return _validated(as_taxes, document, args.taxes)


def period_of(inputs: Inputs) -> BillingPeriod:
    from ..periods import billing_period

    try:
        return billing_period(inputs.subscription, inputs.now, plan=inputs.plan)
    except InvalidInput as error:
        if error.path == "at":
            msg = f"{inputs.option}: {str(error).removeprefix('at: ')}"
            raise CommandError(msg) from None
        raise


class ColumnFile:
    """What error messages need of an events file read into columns: its name, and the line
    of an event (JSON Lines: found by reading the file again; Parquet has none)."""

    def __init__(self, path: str, *, lines: bool) -> None:
        self.path = path
        self.name = shown_name(path)
        self.lines = lines

    def line_of(self, position: int) -> int | None:
        return line_of_event(self.path, position) if self.lines else None


def event_columns(args: argparse.Namespace, *, whole: bool = False) -> Any:
    """The events of ``--events`` read by pyarrow (the ``arrow`` extra) when it keeps them
    exact, else None: in bounded batches, read once (:class:`usage_engine.arrow.ReadAgain`
    when a later batch must be read by the pure-Python reader), or ``whole`` as a table to
    read more than once."""
    from ..arrow import is_parquet, read_batches, read_columns

    if getattr(args, "reader", "python") != "auto":
        return None
    found = read_columns(args.events) if whole else read_batches(args.events)
    if found is None:
        return None
    args.event_file = ColumnFile(args.events, lines=not is_parquet(args.events))
    if whole:
        return found
    pa = importlib.import_module("pyarrow")
    progress = Progress.on_stderr(args.progress)
    counted = progress.count(found, f"{shown_name(args.events)}: events read", size=_rows)
    return pa.RecordBatchReader.from_batches(found.schema, counted)


def _rows(batch: Any) -> int:
    return int(batch.num_rows)


def event_file(args: argparse.Namespace) -> Iterable[Any]:
    """The events of ``--events``: mappings, and with ``--invalid-events collect`` stand-ins
    for the lines that are not events, which the rating sets aside as malformed."""
    collect = getattr(args, "invalid_events", "raise") == "collect"
    source = EventFile(args.events, Progress.on_stderr(args.progress), collect=collect)
    args.event_file = source  # for error messages that name an event's position
    return source


def keeping(events: Iterable[T], kept: list[T], external_id: str) -> Iterator[T]:
    """Yield ``events``, appending to ``kept`` those that may belong to ``external_id``.

    The first computation streams the whole file (so that errors name the file's positions);
    later ones need only the subscription's events. Events without a subscription are kept for
    the engine to report.
    """
    for event in events:
        owner = event.get("external_subscription_id") if isinstance(event, dict) else None
        if owner is None or str(owner) == external_id:
            kept.append(event)
        yield event


# The characters a terminal obeys that json.dumps leaves raw (it escapes C0 only): written as
