"""Every path that rates a period gives the same usage, the same rejections and the same errors.

The batch functions (``current_usage``, ``projected_usage``, ``past_usage``), a ``UsageState``
fed one event at a time, ``UsageState``s of contiguous chunks merged in order, and
``rate_subscriptions`` over a stream shared with other subscriptions must agree exactly, on
streams mixing re-sent and conflicting copies, events outside the period, of other
subscriptions and of unknown codes, and malformed events; so must the same stream with its
timestamps spelt another way, or given as ``Event`` models.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from datetime import timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.properties.strategies import cases
from usage_engine import (
    Event,
    InvalidInput,
    UsageState,
    billing_period,
    current_usage,
    past_usage,
    projected_usage,
    rate_subscriptions,
)
from usage_engine import strategies as ue
from usage_engine._time import event_micros, from_micros
from usage_engine.past import PastUsage

# Each example rates a whole plan a dozen times: a third of the profile's examples.
EXAMPLES = settings(max_examples=max(10, settings().max_examples // 3))

OURS, OTHER, UNLISTED = "sub_1", "sub_other", "sub_unlisted"
NUMERIC_KINDS = ("sum_agg", "max_agg", "latest_agg", "weighted_sum_agg")
EXPRESSIONS = ("event.properties.value * 2", "round(event.properties.value, 1)")


def _without(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda event: {name: value for name, value in event.items() if name != key}


def _with(key: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda event: {**event, key: value}


def _with_value(value: Any) -> Callable[[dict[str, Any]], Any]:
    def change(event: dict[str, Any]) -> Any:
        properties = dict(event.get("properties") or {})
        properties["value"] = value
        return {**event, "properties": properties}

    return change


def _without_value(event: dict[str, Any]) -> Any:
    properties = dict(event.get("properties") or {})
    properties.pop("value", None)
    return {**event, "properties": properties}


# Ways to spoil an event: the engine rejects these (a missing or ill-typed id, code, timestamp,
# subscription or properties; not a mapping at all)...
REJECTED: dict[str, Callable[[dict[str, Any]], Any]] = {
    "no transaction_id": _without("transaction_id"),
    "empty transaction_id": _with("transaction_id", ""),
    "boolean transaction_id": _with("transaction_id", True),
    "float transaction_id": _with("transaction_id", 1.5),
    "list transaction_id": _with("transaction_id", ["tx_0"]),
    "no code": _without("code"),
    "empty code": _with("code", ""),
    "numeric code": _with("code", 3),
    "no timestamp": _without("timestamp"),
    "list timestamp": _with("timestamp", [1_700_000_000]),
    "mapping timestamp": _with("timestamp", {"seconds": 1}),
    "boolean timestamp": _with("timestamp", True),
    "wordy timestamp": _with("timestamp", "yesterday"),
    "nan timestamp": _with("timestamp", float("nan")),
    "far timestamp": _with("timestamp", 10**20),
    "text properties": _with("properties", "value=1"),
    "list properties": _with("properties", [["value", 1]]),
    "numeric properties": _with("properties", 7),
    "no subscription": _without("external_subscription_id"),
    "list subscription": _with("external_subscription_id", [OURS]),
    "float subscription": _with("external_subscription_id", 1.0),
    "a text, not an event": lambda event: "event",
    "a number, not an event": lambda event: 42,
    "None, not an event": lambda event: None,
    "a list, not an event": lambda event: [event],
}
# ... and these it reads, ignoring the field (spec 2.1) unless an expression fails on it.
ODD: dict[str, Callable[[dict[str, Any]], Any]] = {
    "text value": _with_value("lots"),
    "list value": _with_value([1]),
    "mapping value": _with_value({"n": 1}),
    "boolean value": _with_value(True),
    "exponent value": _with_value("1e3"),
    "no value": _without_value,
    "no properties": _without("properties"),
    "read-only properties": lambda event: {
        **event,
        "properties": MappingProxyType(dict(event.get("properties") or {})),
    },
    "integer transaction_id": _with("transaction_id", 7),
}
SPOILERS = {**REJECTED, **ODD}


def _with_expressions(plan: dict[str, Any], codes: Iterable[str], expression: str) -> Any:
    """The plan with ``expression`` computing the field of the numeric metrics of ``codes``."""
    plan = copy.deepcopy(plan)
    chosen = set(codes)
    for charge in plan.get("charges", []):
        metric = charge["billable_metric"]
        if metric["code"] in chosen and metric["aggregation_type"] in NUMERIC_KINDS:
            metric["expression"] = expression
    return plan


def _conflicting(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``event`` under the same transaction_id with other content: the first wins."""
    properties = dict(event.get("properties") or {})
    if "value" in properties and not isinstance(properties["value"], str):
        properties["value"] = 99
    when = from_micros(event_micros(event["timestamp"])) + timedelta(days=1)
    return {**event, "properties": properties, "timestamp": when.isoformat()}


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A case whose stream mixes in everything a real stream may hold, and how to split it."""
    case = draw(cases(max_events=12))
    plan = case.plan
    numeric = sorted(
        {
            charge["billable_metric"]["code"]
            for charge in plan["charges"]
            if charge["billable_metric"]["aggregation_type"] in NUMERIC_KINDS
        }
    )
    if numeric and draw(st.integers(0, 3)) == 3:
        codes = draw(st.lists(st.sampled_from(numeric), min_size=1, unique=True))
        plan = _with_expressions(plan, codes, draw(st.sampled_from(EXPRESSIONS)))
    stream: list[Any] = list(case.events)
    # Events of a listed and an unlisted subscription, and of a code no metric has: they reuse
    # our transaction_ids, and must not take the place of our events (nor be taken by them).
    extra = draw(ue.events(plan, case.period, max_events=6, subscription_ids=[OTHER, UNLISTED]))
    extra += draw(ue.events(plan, case.period, max_events=3, codes=["no_such_metric"]))
    if case.events:
        copies = draw(st.lists(st.sampled_from(case.events), max_size=3))
        extra += [_conflicting(event) for event in copies]
        for name, base in draw(
            st.lists(st.tuples(st.sampled_from(sorted(SPOILERS)), st.sampled_from(case.events)))
        ):
            extra.append(SPOILERS[name](base))
    for event in extra:
        stream.insert(draw(st.integers(0, len(stream))), event)
    return {
        "case": case,
        "plan": plan,
        "stream": stream,
        "mode": draw(st.sampled_from(["collect", "raise"])),
        "cuts": sorted(draw(st.lists(st.integers(0, len(stream)), max_size=3))),
        "past": draw(st.booleans()),
        "method": draw(st.sampled_from(["lago", "exact"])),
        "spellings": draw(
            st.lists(
                st.sampled_from(["unix", "iso_z", "iso_offset", "text"]),
                min_size=len(stream),
                max_size=len(stream),
            )
        ),
    }


# --- reading each path's outcome ------------------------------------------------------------


def _seen(result: Any) -> dict[str, Any]:
    """Everything a result tells: its Lago shape, its rejections, its event account (which
    accounts for every event read), the model itself."""
    account = result.event_account
    assert account.read == account.rated + sum(account.set_aside.values())
    seen = {
        "lago": result.to_lago(),
        "rejected": result.rejected_events,
        "account": account,
        "model": result,
    }
    if isinstance(result, PastUsage):
        seen["canonical"] = result.canonical_json()
        seen["digest"] = result.digest
    return seen


def outcome(compute: Callable[[], Any]) -> tuple[str, Any]:
    """``("ok", what the result tells)``, or ``("raised", the InvalidInput message)``."""
    try:
        return ("ok", _seen(compute()))
    except InvalidInput as error:
        return ("raised", str(error))


def own_events(found: tuple[str, Any]) -> tuple[str, Any]:
    """An outcome with its account reduced to the subscription's own well-formed events: what
    one subscription's result from ``rate_subscriptions`` accounts for (the stream's other
    events, and malformed ones, are accounted for once, in the batch's account)."""
    if found[0] != "ok":
        return found
    account = found[1]["account"]
    stream = ("other_subscription", "malformed")
    own = {
        "rated": account.rated,
        "set_aside": {k: v for k, v in account.set_aside.items() if k not in stream},
        "examples": {k: v for k, v in account.examples.items() if k not in stream},
        "details": {k: v for k, v in account.details.items() if k not in stream},
    }
    return (found[0], {**found[1], "account": own})


def readings(scenario: dict[str, Any]) -> list[str]:
    """What a scenario reads: current and projected usage, and past usage if it asks for it."""
    return ["current", "projected", "past"] if scenario["past"] else ["current", "projected"]


def batch_outcomes(scenario: dict[str, Any], stream: list[Any]) -> dict[str, tuple[str, Any]]:
    """Each reading from the batch functions."""
    case, plan, mode = scenario["case"], scenario["plan"], scenario["mode"]
    common = {"taxes": case.taxes, "invalid_events": mode}
    compute = {
        "current": lambda: current_usage(plan, stream, case.period, now=case.now, **common),
        "projected": lambda: projected_usage(
            plan, stream, case.period, now=case.now, method=scenario["method"], **common
        ),
        "past": lambda: past_usage(plan, stream, case.period, **common),
    }
    return {name: outcome(compute[name]) for name in readings(scenario)}


def state_outcomes(
    scenario: dict[str, Any], build: Callable[[], UsageState]
) -> dict[str, tuple[str, Any]]:
    """Each reading from the state ``build`` gives (an error building it fails them all)."""
    try:
        state = build()
    except InvalidInput as error:
        return {name: ("raised", str(error)) for name in readings(scenario)}
    compute = {
        "current": state.current_usage,
        "projected": lambda: state.projected_usage(
            now=scenario["case"].now, method=scenario["method"]
        ),
        "past": state.past_usage,
    }
    return {name: outcome(compute[name]) for name in readings(scenario)}


def new_state(scenario: dict[str, Any]) -> UsageState:
    case = scenario["case"]
    return UsageState(
        scenario["plan"],
        case.period,
        taxes=case.taxes,
        invalid_events=scenario["mode"],
        past=scenario["past"],
    )


def one_at_a_time(scenario: dict[str, Any], stream: list[Any]) -> UsageState:
    """A state fed each event alone, named by its position in the whole stream."""
    state = new_state(scenario)
    for position, event in enumerate(stream):
        state.add([event], positions=[position])
    return state


def chunked(scenario: dict[str, Any], stream: list[Any]) -> UsageState:
    """States of the contiguous chunks between the scenario's cuts, merged in order."""
    cuts = scenario["cuts"]
    states = []
    for first, last in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        state = new_state(scenario)
        state.add(stream[first:last], positions=range(first, last))
        states.append(state)
    merged = states[0]
    for state in states[1:]:
        merged.merge(state)
    return merged


def many_outcomes(scenario: dict[str, Any], stream: list[Any]) -> dict[str, tuple[str, Any]]:
    """Current usage of our subscription and another's from ``rate_subscriptions``."""
    case, mode = scenario["case"], scenario["mode"]
    subscription = {**case.subscription, "plan": scenario["plan"]}
    other = {**subscription, "external_id": OTHER}
    assert billing_period(subscription, case.now) == case.period
    try:
        usages = rate_subscriptions(
            [subscription, other], stream, now=case.now, taxes=case.taxes, invalid_events=mode
        )
    except InvalidInput as error:
        return {OURS: ("raised", str(error)), OTHER: ("raised", str(error))}
    found = {}
    for sid in (OURS, OTHER):
        if sid in usages.failed:
            found[sid] = ("raised", str(usages.failed[sid]))
        else:
            found[sid] = ("ok", _seen(usages[sid]))
    return found


# --- other spellings of the same stream -----------------------------------------------------


def _spelt(micros: int, spelling: str) -> Any:
    """The instant ``micros`` as unix seconds (int), ISO text with Z or +00:00, or numeric text."""
    if spelling == "unix" and micros % 1_000_000 == 0:
        return micros // 1_000_000
    if spelling in ("iso_z", "iso_offset"):
        text = from_micros(micros).isoformat()
        return text.replace("+00:00", "Z") if spelling == "iso_z" else text
    return f"{Decimal(micros).scaleb(-6):f}"


def respelt(stream: list[Any], spellings: list[str]) -> list[Any]:
    """The stream with every readable timestamp spelt as ``spellings`` says."""
    spelt = []
    for event, spelling in zip(stream, spellings, strict=True):
        if isinstance(event, dict) and "timestamp" in event:
            try:
                micros = event_micros(event["timestamp"])
            except ValueError:
                pass  # a malformed timestamp stays as it is, and is rejected alike
            else:
                event = {**event, "timestamp": _spelt(micros, spelling)}
        spelt.append(event)
    return spelt


def as_models(stream: list[Any]) -> list[Any]:
    """The stream with every event the engine reads as it is given as an ``Event`` model."""
    converted = []
    for event in stream:
        readable = isinstance(event, dict) and all(
            type(event.get(key)) is str and event[key]
            for key in ("transaction_id", "external_subscription_id", "code")
        )
        if readable:
            try:
                event_micros(event.get("timestamp"))
                if not isinstance(event.get("properties"), dict | None):
                    raise ValueError
                event = Event.model_validate(event)
            except (ValueError, ValidationError):
                pass  # not an event the engine reads: stays a mapping, rejected alike
        converted.append(event)
    return converted


# --- the properties ------------------------------------------------------------------------


@EXAMPLES
@given(scenario=scenarios())
def test_every_path_gives_the_same_usage(scenario):
    """current/projected/past usage agree across the batch functions, a state fed event by
    event, merged chunk states, rate_subscriptions, re-spelt timestamps and Event models:
    the same results, the same rejected events, or the same InvalidInput message."""
    stream = scenario["stream"]
    expected = batch_outcomes(scenario, stream)
    assert state_outcomes(scenario, lambda: one_at_a_time(scenario, stream)) == expected
    assert state_outcomes(scenario, lambda: chunked(scenario, stream)) == expected
    many = many_outcomes(scenario, stream)
    assert own_events(many[OURS]) == own_events(expected["current"])
    if many[OTHER][0] == "ok":
        case = scenario["case"]
        theirs = case.period.model_copy(update={"external_subscription_id": OTHER})
        assert own_events(many[OTHER]) == own_events(
            outcome(
                lambda: current_usage(
                    scenario["plan"],
                    stream,
                    theirs,
                    taxes=case.taxes,
                    invalid_events=scenario["mode"],
                )
            )
        )
    spelt = respelt(stream, scenario["spellings"])
    assert batch_outcomes(scenario, spelt) == expected
    assert state_outcomes(scenario, lambda: chunked(scenario, spelt)) == expected
    assert batch_outcomes(scenario, as_models(stream)) == expected
    assert state_outcomes(scenario, lambda: one_at_a_time(scenario, as_models(spelt))) == expected


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_each_spoiled_event_is_rejected_alike(name):
    """Each way of spoiling an event is a rejection on every path, with the same reason."""
    plan = {
        "code": "p",
        "interval": "monthly",
        "amount_currency": "EUR",
        "charges": [
            {
                "charge_model": "standard",
                "properties": {"amount": "1"},
                "billable_metric": {"code": "m", "aggregation_type": "sum_agg", "field_name": "v"},
            }
        ],
    }
    good = {
        "transaction_id": "t1",
        "external_subscription_id": OURS,
        "code": "m",
        "timestamp": "2024-03-05T10:00:00Z",
        "properties": {"v": 3},
    }
    period = {
        "external_subscription_id": OURS,
        "from_datetime": "2024-03-01T00:00:00Z",
        "to_datetime": "2024-03-31T23:59:59Z",
    }
    stream = [good, REJECTED[name]({**good, "transaction_id": "t2"})]
    usage = current_usage(plan, stream, period, invalid_events="collect")
    assert (usage.amount_cents, usage.rejected_events.count) == (300, 1)
    reason = usage.rejected_events.reasons[0]
    assert reason.startswith("events[1]")
    state = UsageState(plan, period, invalid_events="collect")
    for position, event in enumerate(stream):
        state.add([event], positions=[position])
    assert state.current_usage() == usage
    with pytest.raises(InvalidInput) as raised:
        current_usage(plan, stream, period)
    assert str(raised.value) == reason


# --- regressions the property found ----------------------------------------------------------


def test_a_duplicate_taken_back_in_a_merge_leaves_no_empty_group():
    """The later state's copy of a re-sent event is taken back out, and so is the pricing group
    only it had opened: a volume charge's flat fee at 0 units is then shown once, ungrouped,
    as in one pass (not a second time, or instead, under the lost copy's group)."""
    plan = {
        "code": "p",
        "interval": "monthly",
        "amount_currency": "EUR",
        "charges": [
            {
                "charge_model": "volume",
                "billable_metric": {"code": "m", "aggregation_type": "sum_agg", "field_name": "v"},
                "properties": {
                    "volume_ranges": [
                        {
                            "from_value": 0,
                            "to_value": 1,
                            "per_unit_amount": "0",
                            "flat_amount": "1",
                        },
                        {
                            "from_value": 2,
                            "to_value": None,
                            "per_unit_amount": "0",
                            "flat_amount": "0",
                        },
                    ],
                    "pricing_group_keys": ["project"],
                },
            }
        ],
    }
    period = {
        "external_subscription_id": OURS,
        "from_datetime": "2024-03-01T00:00:00Z",
        "to_datetime": "2024-03-31T23:59:59Z",
    }
    first = {
        "transaction_id": "t1",
        "external_subscription_id": OURS,
        "code": "no_such_metric",
        "timestamp": "2024-03-05T10:00:00Z",
    }
    resent = {**first, "code": "m", "properties": {"v": 0, "project": "p1"}}
    one_pass = current_usage(plan, [first, resent], period)
    left, right = UsageState(plan, period), UsageState(plan, period)
    left.add([first])
    right.add([resent])
    left.merge(right)
    merged = left.current_usage()
    groups = [
        (item.grouped_by, item.amount_cents) for item in merged.charges_usage[0].grouped_usage
    ]
    assert groups == [((("project", None),), 100)]
    assert merged == one_pass


@pytest.mark.parametrize("cut", [0, 1, 2])
def test_a_merged_or_reloaded_state_names_the_largest_value_as_one_pass(cut):
    """An amount too large to price names the event of the metric's largest value, also when
    that event reached a state merged in, or a state saved and read back."""
    plan = {
        "code": "p",
        "interval": "monthly",
        "amount_currency": "EUR",
        "charges": [
            {
                "charge_model": "standard",
                "billable_metric": {"code": "m", "aggregation_type": "sum_agg", "field_name": "v"},
                "properties": {"amount": "1000000"},
            }
        ],
    }
    period = {
        "external_subscription_id": OURS,
        "from_datetime": "2024-03-01T00:00:00Z",
        "to_datetime": "2024-03-31T23:59:59Z",
    }
    stream = [
        {
            "transaction_id": key,
            "external_subscription_id": OURS,
            "code": "m",
            "timestamp": "2024-03-05T10:00:00Z",
            "properties": {"v": value},
        }
        for key, value in [("small", 1), ("big", "9" * 60), ("big", 1)]
    ]
    with pytest.raises(InvalidInput) as raised:
        current_usage(plan, stream, period)
    message = str(raised.value)
    assert "(subscription 'sub_1', largest value in event transaction_id 'big')" in message
    left, right = UsageState(plan, period), UsageState(plan, period)
    left.add(stream[:cut])
    right.add(stream[cut:])
    left.merge(right)
    for state in (left, UsageState.from_json(left.to_json())):
        with pytest.raises(InvalidInput) as again:
            state.current_usage()
        assert str(again.value) == message
