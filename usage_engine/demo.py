"""The bundled sample and the demo that runs on it.

The sample is a SaaS plan that uses every charge model (standard, graduated,
graduated_percentage, package, percentage, volume, dynamic and a prorated graduated charge on a
recurring metric), charge filters, pricing groups, every aggregation type, a minimum amount and a
customer tax, with four subscriptions in different timezones and billing times. Its events span
the previous billing period of every subscription and the current one up to :data:`NOW`.

The files in ``usage_engine/data/`` are the output of :func:`generate_sample` (deterministic:
``random.Random(SEED)``); ``python -m usage_engine.demo`` writes them again.
"""

from __future__ import annotations

import gzip
import io
import json
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from .models import BillingPeriod, Plan, Subscription, Tax
from .models.period import lago_datetime
from .models.usage import ProjectedUsage, Usage
from .past import PastUsage, past_usage
from .periods import billing_period, periods_before
from .projection import projected_usage
from .report import (
    format_money,
    past_table,
    period_heading,
    period_lines,
    text_table,
    usage_table,
)
from .usage import current_usage

__all__ = [
    "EVENTS_FILE",
    "NOW",
    "PLAN_FILE",
    "SEED",
    "SUBSCRIPTIONS_FILE",
    "TAXES_FILE",
    "Sample",
    "SubscriptionResult",
    "demo_json",
    "generate_sample",
    "load_sample",
    "run_demo",
    "sample_files",
    "subscription_result",
    "write_sample",
]

SEED: Final = 2026
"""The seed of the sample's random generator."""
WIDTH: Final = 80
"""The demo's output fits a terminal this wide."""
NOW: Final = datetime(2026, 10, 20, 12, tzinfo=UTC)
"""The demo's fixed "now": inside every sample subscription's current period."""
PLAN_FILE: Final = "plan.json"
SUBSCRIPTIONS_FILE: Final = "subscriptions.json"
TAXES_FILE: Final = "taxes.json"
EVENTS_FILE: Final = "events.jsonl.gz"

_PLAN: Final[dict[str, Any]] = {
    "code": "scale",
    "name": "Scale",
    "interval": "monthly",
    "amount_cents": 9900,
    "amount_currency": "EUR",
    "charges": [
        {
            "code": "api_requests",
            "charge_model": "standard",
            "billable_metric": {
                "code": "api_requests",
                "name": "API requests",
                "aggregation_type": "count_agg",
                "filters": [{"key": "region", "values": ["eu", "us", "ap"]}],
            },
            "properties": {"amount": "0.004"},
            "filters": [
                {
                    "invoice_display_name": "API requests (EU)",
                    "values": {"region": ["eu"]},
                    "properties": {"amount": "0.005"},
                },
                {
                    "invoice_display_name": "API requests (US)",
                    "values": {"region": ["us"]},
                    "properties": {"amount": "0.003"},
                },
            ],
        },
        {
            "code": "compute",
            "charge_model": "graduated",
            "billable_metric": {
                "code": "compute_hours",
                "name": "Compute hours",
                "aggregation_type": "sum_agg",
                "field_name": "hours",
                "filters": [{"key": "instance_type", "values": ["cpu", "gpu"]}],
            },
            "properties": {
                "pricing_group_keys": ["region"],
                "graduated_ranges": [
                    {"from_value": 0, "to_value": 100, "per_unit_amount": "0.09"},
                    {"from_value": 100, "to_value": 500, "per_unit_amount": "0.07"},
                    {"from_value": 500, "to_value": None, "per_unit_amount": "0.05"},
                ],
            },
            "filters": [
                {
                    "invoice_display_name": "GPU hours",
                    "values": {"instance_type": ["gpu"]},
                    "properties": {
                        "pricing_group_keys": ["region"],
                        "graduated_ranges": [
                            {"from_value": 0, "to_value": 50, "per_unit_amount": "1.80"},
                            {"from_value": 50, "to_value": None, "per_unit_amount": "1.50"},
                        ],
                    },
                }
            ],
        },
        {
            "code": "card_payments",
            "charge_model": "graduated_percentage",
            "billable_metric": {
                "code": "card_payments",
                "name": "Card payments",
                "aggregation_type": "sum_agg",
                "field_name": "amount",
            },
            "properties": {
                "graduated_percentage_ranges": [
                    {"from_value": 0, "to_value": 10000, "rate": "1.4", "flat_amount": "0"},
                    {"from_value": 10001, "to_value": 50000, "rate": "1.1", "flat_amount": "0"},
                    {"from_value": 50001, "to_value": None, "rate": "0.8", "flat_amount": "0"},
                ]
            },
        },
        {
            "code": "payouts",
            "charge_model": "percentage",
            "min_amount_cents": 4000,
            "billable_metric": {
                "code": "payouts",
                "name": "Payouts",
                "aggregation_type": "sum_agg",
                "field_name": "amount",
            },
            "properties": {
                "rate": "0.25",
                "fixed_amount": "0.50",
                "free_units_per_events": 2,
                "per_transaction_min_amount": "1.00",
                "per_transaction_max_amount": "15.00",
            },
        },
        {
            "code": "emails",
            "charge_model": "package",
            "billable_metric": {
                "code": "emails",
                "name": "Emails",
                "aggregation_type": "sum_agg",
                "field_name": "recipients",
            },
            "properties": {"amount": "1.00", "package_size": 1000, "free_units": 2000},
        },
        {
            "code": "connections",
            "charge_model": "volume",
            "billable_metric": {
                "code": "peak_connections",
                "name": "Peak connections",
                "aggregation_type": "max_agg",
                "field_name": "connections",
            },
            "properties": {
                "volume_ranges": [
                    {"from_value": 0, "to_value": 100, "per_unit_amount": "0.20"},
                    {
                        "from_value": 101,
                        "to_value": 500,
                        "per_unit_amount": "0.15",
                        "flat_amount": "5",
                    },
                    {
                        "from_value": 501,
                        "to_value": None,
                        "per_unit_amount": "0.10",
                        "flat_amount": "25",
                    },
                ]
            },
        },
        {
            "code": "sms",
            "charge_model": "dynamic",
            "billable_metric": {
                "code": "sms",
                "name": "SMS",
                "aggregation_type": "sum_agg",
                "field_name": "segments",
            },
            "properties": {},
        },
        {
            "code": "seats",
            "charge_model": "graduated",
            "prorated": True,
            "billable_metric": {
                "code": "seats",
                "name": "Seats",
                "aggregation_type": "unique_count_agg",
                "field_name": "user_id",
                "recurring": True,
            },
            "properties": {
                "graduated_ranges": [
                    {"from_value": 0, "to_value": 10, "per_unit_amount": "12"},
                    {"from_value": 11, "to_value": 25, "per_unit_amount": "10"},
                    {"from_value": 26, "to_value": None, "per_unit_amount": "8"},
                ]
            },
        },
        {
            "code": "storage",
            "charge_model": "standard",
            "billable_metric": {
                "code": "storage_gb",
                "name": "Storage",
                "aggregation_type": "weighted_sum_agg",
                "field_name": "gb",
                "recurring": True,
                "weighted_interval": "seconds",
            },
            "properties": {"amount": "0.08"},
        },
        {
            "code": "dedicated_ips",
            "charge_model": "standard",
            "billable_metric": {
                "code": "dedicated_ips",
                "name": "Dedicated IPs",
                "aggregation_type": "latest_agg",
                "field_name": "ips",
            },
            "properties": {"amount": "4"},
        },
    ],
}

_SUBSCRIPTIONS: Final[tuple[dict[str, Any], ...]] = (
    {
        "external_id": "acme",
        "external_customer_id": "cus_acme",
        "name": "Acme Robotics",
        "plan_code": "scale",
        "billing_time": "calendar",
        "subscription_at": "2026-03-31T22:00:00Z",
        "timezone": "Europe/Paris",
    },
    {
        "external_id": "globex",
        "external_customer_id": "cus_globex",
        "name": "Globex",
        "plan_code": "scale",
        "billing_time": "anniversary",
        "subscription_at": "2026-05-15T14:30:00Z",
        "timezone": "America/New_York",
    },
    {
        "external_id": "initech",
        "external_customer_id": "cus_initech",
        "name": "Initech",
        "plan_code": "scale",
        "billing_time": "calendar",
        "subscription_at": "2026-09-10T03:00:00Z",
        "timezone": "Asia/Tokyo",
    },
    {
        "external_id": "umbrella",
        "external_customer_id": "cus_umbrella",
        "name": "Umbrella",
        "plan_code": "scale",
        "billing_time": "anniversary",
        "subscription_at": "2026-01-31T09:00:00Z",
        "timezone": "UTC",
    },
)

_TAXES: Final[tuple[dict[str, Any], ...]] = ({"code": "vat_20", "name": "VAT", "rate": "20"},)


@dataclass(frozen=True, slots=True)
class _Profile:
    """How busy a sample customer is and where its traffic comes from."""

    scale: float
    regions: tuple[float, float, float]  # eu, us, ap
    seats: int
    storage_gb: int
    ips: int


_PROFILES: Final[Mapping[str, _Profile]] = {
    "acme": _Profile(1.0, (0.70, 0.20, 0.10), 14, 800, 2),
    "globex": _Profile(0.6, (0.15, 0.75, 0.10), 24, 2400, 4),
    "initech": _Profile(0.25, (0.10, 0.20, 0.70), 4, 150, 1),
    "umbrella": _Profile(0.8, (0.40, 0.40, 0.20), 30, 5200, 3),
}
# Events per day for a customer of scale 1, on a weekday.
_DAILY: Final = {
    "api_requests": 150,
    "compute_hours": 20,
    "card_payments": 25,
    "payouts": 2,
    "emails": 15,
    "sms": 10,
}
# Share of the day's traffic per local hour: quiet nights, busy office hours.
_HOURS: Final = (1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 8, 9, 10, 10, 9, 7, 5, 4, 3, 2, 2, 1)
_SMS_CENTS: Final = {"FR": "7.2", "DE": "8.1", "US": "0.79"}


@dataclass(frozen=True, slots=True)
class Sample:
    """The sample: a plan, subscriptions, customer taxes and events (plain Lago-shaped data).

    >>> load_sample().subscription("globex")["timezone"]
    'America/New_York'
    """

    plan: dict[str, Any]
    subscriptions: tuple[dict[str, Any], ...]
    taxes: tuple[dict[str, Any], ...]
    events: tuple[dict[str, Any], ...]

    def subscription(self, external_id: str) -> dict[str, Any]:
        """The subscription whose ``external_id`` is given; KeyError names the known ones."""
        for item in self.subscriptions:
            if item["external_id"] == external_id:
                return item
        known = ", ".join(item["external_id"] for item in self.subscriptions)
        msg = f"no sample subscription {external_id!r} (known: {known})"
        raise KeyError(msg)


def _generation_start(subscription: Mapping[str, Any]) -> datetime:
    # The start of the period before the one containing NOW, so that it is complete.
    plan = Plan.model_validate(_PLAN)
    before = periods_before(subscription, NOW, 1, plan=plan)
    if before:
        return before[0].charges_from_datetime
    return billing_period(subscription, NOW, plan=plan).charges_from_datetime


def _instant(rng: random.Random, day: date, zone: ZoneInfo) -> int:
    hour = rng.choices(range(24), weights=_HOURS)[0]
    local = datetime.combine(day, time(hour), tzinfo=zone)
    return int(local.timestamp()) + rng.randrange(3600)


def _amount(rng: random.Random, low: float, high: float) -> str:
    # Log-uniform between low and high, to the cent: many small payments, a few large ones.
    value = low * (high / low) ** rng.random()
    return f"{value:.2f}"


def _usage_events(
    rng: random.Random, code: str, profile: _Profile, day: date, zone: ZoneInfo, activity: float
) -> Iterator[tuple[int, str, dict[str, Any], dict[str, Any]]]:
    count = round(_DAILY[code] * activity * rng.uniform(0.8, 1.2))
    for _ in range(count):
        extra: dict[str, Any] = {}
        if code == "api_requests":
            region = rng.choices(("eu", "us", "ap"), weights=profile.regions)[0]
            properties: dict[str, Any] = {"region": region}
        elif code == "compute_hours":
            gpu = rng.random() < 0.15
            hours = rng.randint(1, 8 if gpu else 32) / 4
            properties = {
                "instance_type": "gpu" if gpu else "cpu",
                "region": "eu" if rng.random() < profile.regions[0] + 0.1 else "us",
                "hours": f"{hours:.2f}",
            }
        elif code == "card_payments":
            properties = {"amount": _amount(rng, 5, 900)}
        elif code == "payouts":
            properties = {"amount": _amount(rng, 50, 8000)}
        elif code == "emails":
            properties = {"recipients": rng.randint(1, 400)}
        else:
            country = rng.choices(("FR", "DE", "US"), weights=(5, 2, 3))[0]
            segments = rng.choices((1, 2, 3), weights=(7, 2, 1))[0]
            properties = {"segments": segments, "country": country}
            cents = float(_SMS_CENTS[country]) * segments
            extra = {"precise_total_amount_cents": f"{cents:.2f}"}
        yield _instant(rng, day, zone), code, properties, extra


def _subscription_events(
    rng: random.Random, subscription: Mapping[str, Any]
) -> list[tuple[int, str, dict[str, Any], dict[str, Any]]]:
    profile = _PROFILES[subscription["external_id"]]
    zone = ZoneInfo(subscription["timezone"])
    start = _generation_start(subscription)
    first_day = start.astimezone(zone).date()
    last_day = NOW.astimezone(zone).date()
    found: list[tuple[int, str, dict[str, Any], dict[str, Any]]] = []
    first = int(start.timestamp())
    # Recurring state and levels, set up on the first day.
    found.append((first, "storage_gb", {"gb": profile.storage_gb}, {}))
    ips = profile.ips
    seats = [f"user_{index:03d}" for index in range(1, profile.seats + 1)]
    next_seat = profile.seats + 1
    found.extend(
        (first + index, "seats", {"user_id": seat}, {}) for index, seat in enumerate(seats)
    )
    day = first_day
    while day <= last_day:
        weekend = day.weekday() >= 5
        growth = 1 + 0.006 * (day - first_day).days
        activity = profile.scale * growth * (0.35 if weekend else 1.0)
        for code in _DAILY:
            found.extend(_usage_events(rng, code, profile, day, zone, activity))
        for hour in range(0, 24, 3):
            level = 60 * profile.scale * growth * (0.5 if weekend else 1.0)
            level *= 0.6 + 0.8 * _HOURS[hour] / 10
            at = int(datetime.combine(day, time(hour), tzinfo=zone).timestamp())
            found.append((at, "peak_connections", {"connections": round(level)}, {}))
        if rng.random() < 0.8:
            delta = round(profile.storage_gb * rng.uniform(-0.01, 0.03))
            found.append((_instant(rng, day, zone), "storage_gb", {"gb": delta}, {}))
        if not weekend and rng.random() < 0.12:
            seat = f"user_{next_seat:03d}"
            next_seat += 1
            seats.append(seat)
            found.append((_instant(rng, day, zone), "seats", {"user_id": seat}, {}))
        if not weekend and rng.random() < 0.05 and len(seats) > 2:
            seat = seats.pop(rng.randrange(len(seats)))
            properties = {"user_id": seat, "operation_type": "remove"}
            found.append((_instant(rng, day, zone), "seats", properties, {}))
        if rng.random() < 0.04:
            ips = max(1, ips + rng.choice((-1, 1, 1)))
        # A daily snapshot of the level, shortly after local midnight.
        at = int(datetime.combine(day, time(0, 5), tzinfo=zone).timestamp())
        found.append((at, "dedicated_ips", {"ips": ips}, {}))
        day += timedelta(days=1)
    limit = int(NOW.timestamp())
    return [item for item in found if first <= item[0] <= limit]


def generate_sample(seed: int = SEED) -> Sample:
    """Build the sample from ``seed``: the same seed gives the same sample on every machine.

    Events are sorted by timestamp (then subscription), with a few resent duplicates (the same
    ``transaction_id`` again, which counts once).

    >>> sample = generate_sample()
    >>> len(sample.subscriptions), len(sample.plan["charges"]), len(sample.events)
    (4, 10, 26522)
    >>> sample.events[0]["transaction_id"], sample.events[0]["code"]
    ('umbrella_000001', 'storage_gb')
    """
    rng = random.Random(seed)
    rows: list[tuple[int, str, str, dict[str, Any], dict[str, Any]]] = []
    for subscription in _SUBSCRIPTIONS:
        external_id = subscription["external_id"]
        rows.extend(
            (at, external_id, code, properties, extra)
            for at, code, properties, extra in _subscription_events(rng, subscription)
        )
    rows.sort(key=lambda row: (row[0], row[1]))
    numbers = dict.fromkeys((item["external_id"] for item in _SUBSCRIPTIONS), 0)
    events: list[dict[str, Any]] = []
    for at, external_id, code, properties, extra in rows:
        numbers[external_id] += 1
        events.append(
            {
                "transaction_id": f"{external_id}_{numbers[external_id]:06d}",
                "external_subscription_id": external_id,
                "code": code,
                "timestamp": at,
                "properties": properties,
                **extra,
            }
        )
        if rng.random() < 0.002:
            # A client retry: the same event again, which must count once.
            events.append(dict(events[-1]))
    return Sample(
        plan=json.loads(json.dumps(_PLAN)),
        subscriptions=tuple(dict(item) for item in _SUBSCRIPTIONS),
        taxes=tuple(dict(item) for item in _TAXES),
        events=tuple(events),
    )


def _jsonl_gz(events: Sequence[Mapping[str, Any]]) -> bytes:
    text = "".join(json.dumps(event, separators=(",", ":")) + "\n" for event in events)
    buffer = io.BytesIO()
    # mtime=0 and no file name: the same events give the same bytes.
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0, filename="") as out:
        out.write(text.encode("utf-8"))
    return buffer.getvalue()


def sample_files(sample: Sample) -> dict[str, bytes]:
    """The sample as the files ``usage_engine/data/`` ships: name -> content.

    >>> sorted(sample_files(load_sample()))
    ['events.jsonl.gz', 'plan.json', 'subscriptions.json', 'taxes.json']
    """

    def document(value: Any) -> bytes:
        return (json.dumps(value, indent=2) + "\n").encode("utf-8")

    return {
        PLAN_FILE: document(sample.plan),
        SUBSCRIPTIONS_FILE: document(list(sample.subscriptions)),
        TAXES_FILE: document(list(sample.taxes)),
        EVENTS_FILE: _jsonl_gz(sample.events),
    }


def write_sample(directory: Path, sample: Sample | None = None) -> list[Path]:
    """Write the sample files (default: the bundled ones) into ``directory``; return their paths.

    >>> import tempfile
    >>> [path.name for path in write_sample(Path(tempfile.mkdtemp()))]
    ['plan.json', 'subscriptions.json', 'taxes.json', 'events.jsonl.gz']
    """
    directory.mkdir(parents=True, exist_ok=True)
    if sample is None:
        contents = {name: _data_file(name) for name in _NAMES}
    else:
        contents = sample_files(sample)
    written = []
    for name, content in contents.items():
        path = directory / name
        path.write_bytes(content)
        written.append(path)
    return written


_NAMES: Final = (PLAN_FILE, SUBSCRIPTIONS_FILE, TAXES_FILE, EVENTS_FILE)


def _data_file(name: str) -> bytes:
    return resources.files("usage_engine").joinpath("data", name).read_bytes()


def load_sample() -> Sample:
    """The bundled sample, read from the package data.

    >>> sample = load_sample()
    >>> sample.plan["code"], [item["external_id"] for item in sample.subscriptions]
    ('scale', ['acme', 'globex', 'initech', 'umbrella'])
    """
    lines = gzip.decompress(_data_file(EVENTS_FILE)).decode("utf-8").splitlines()
    return Sample(
        plan=json.loads(_data_file(PLAN_FILE)),
        subscriptions=tuple(json.loads(_data_file(SUBSCRIPTIONS_FILE))),
        taxes=tuple(json.loads(_data_file(TAXES_FILE))),
        events=tuple(json.loads(line) for line in lines),
    )


@dataclass(frozen=True, slots=True)
class SubscriptionResult:
    """What the demo computes for one subscription at :data:`NOW`.

    >>> subscription_result(load_sample(), "umbrella").period.to_lago()["from_datetime"]
    '2026-09-30T00:00:00Z'
    """

    subscription: Subscription
    plan: Plan
    period: BillingPeriod
    current: Usage
    projected: ProjectedUsage
    previous: PastUsage | None


def subscription_result(
    sample: Sample, external_id: str, *, now: datetime = NOW
) -> SubscriptionResult:
    """Period, current usage, projection and the previous period's frozen usage of one subscription.

    >>> result = subscription_result(load_sample(), "acme")
    >>> result.current.amount_cents, result.projected.projected_amount_cents
    (163766, 240073)
    >>> result.previous is not None and result.previous.digest[:12]
    '312f5c650ad4'
    """
    plan = Plan.model_validate(sample.plan)
    subscription = Subscription.model_validate(sample.subscription(external_id))
    taxes = tuple(Tax.model_validate(item) for item in sample.taxes)
    events = sample.events
    period = billing_period(subscription, now, plan=plan)
    current = current_usage(plan, events, period, now=now, taxes=taxes)
    projected = projected_usage(plan, events, period, now=now, taxes=taxes)
    before = periods_before(subscription, now, 1, plan=plan)
    previous = past_usage(plan, events, before[0], taxes=taxes, now=now) if before else None
    return SubscriptionResult(subscription, plan, period, current, projected, previous)


def _overview(results: Sequence[SubscriptionResult]) -> list[str]:
    # Two tables rather than one 104 columns wide: the demo fits an 80-column terminal.
    periods, amounts = [], []
    for result in results:
        period, currency = result.period, result.plan.amount_currency
        zone = ZoneInfo(period.timezone)
        first = period.charges_from_datetime.astimezone(zone).date()
        last = period.charges_to_datetime.astimezone(zone).date()
        today = (NOW.astimezone(zone).date() - first).days + 1
        previous = result.previous
        key = result.subscription.external_id
        periods.append(
            [
                key,
                period.timezone,
                period.billing_time.value,
                f"{first} .. {last}",
                f"{today}/{(last - first).days + 1}",
            ]
        )
        amounts.append(
            [
                key,
                format_money(result.current.amount_cents, currency),
                format_money(result.projected.projected_amount_cents, currency),
                "" if previous is None else format_money(previous.amount_cents, currency),
            ]
        )
    period_header = ["subscription", "timezone", "billing", "current period", "day"]
    amount_header = ["subscription", "usage so far", "projected", "previous period"]
    return [
        *text_table(period_header, periods, left=4),
        "",
        *text_table(amount_header, amounts, left=1),
    ]


def run_demo(external_id: str | None = None) -> str:
    """The demo's report as text (deterministic: the sample and :data:`NOW` are fixed).

    An overview of every sample subscription, then the details of ``external_id`` (default: the
    first): its billing period, current usage and projection, and its previous period frozen.

    >>> [line for line in run_demo("initech").splitlines() if line.startswith("==")]
    ['== initech ==']
    """
    sample = load_sample()
    results = [subscription_result(sample, item["external_id"]) for item in sample.subscriptions]
    chosen = external_id or results[0].subscription.external_id
    detail = next(
        (item for item in results if item.subscription.external_id == chosen),
        None,
    )
    if detail is None:
        sample.subscription(chosen)  # raises, naming the known subscriptions
        raise AssertionError  # pragma: no cover
    plan = detail.plan
    taxes = ", ".join(f"{item['name']} ({item['rate']} %)" for item in sample.taxes)
    lines = [
        f"usage_engine demo: plan {plan.name!r} ({plan.code}, {plan.interval.value}, "
        f"{plan.amount_currency}), {len(plan.charges)} charges;",
        f"{len(sample.subscriptions)} subscriptions, {len(sample.events):,} events",
        f"now = {lago_datetime(NOW)}; customer taxes: {taxes}; amounts in {plan.amount_currency}",
        "",
        *_overview(results),
        "",
        "",
        f"== {detail.subscription.external_id} ==",
        "",
        *period_lines(detail.period, now=NOW),
        "",
        usage_table(
            detail.current,
            projected=detail.projected,
            plan=plan,
            now=NOW,
            title=period_heading("Current usage", detail.period),
            max_width=WIDTH,
        ),
    ]
    if detail.previous is not None:
        before = periods_before(detail.subscription, NOW, 1, plan=plan)[0]
        title = period_heading("Previous period (frozen)", before)
        lines += ["", past_table(detail.previous, plan=plan, title=title)]
    lines += [
        "",
        "More: usage-engine demo --subscription globex (or initech, umbrella).",
        "The sample's files: usage-engine sample DIR, then usage-engine current --help.",
    ]
    return "\n".join(lines)


def demo_json(external_id: str | None = None) -> dict[str, Any]:
    """The demo's results for one subscription as JSON: Lago's shapes plus the digest.

    >>> document = demo_json("initech")
    >>> document["customer_usage"]["amount_cents"], document["past_usage"]["digest"][:12]
    (42184, '360d1d7a1b63')
    """
    sample = load_sample()
    chosen = external_id or sample.subscriptions[0]["external_id"]
    result = subscription_result(sample, chosen)
    document: dict[str, Any] = {
        "external_subscription_id": chosen,
        "now": lago_datetime(NOW),
        "period": result.period.to_lago(),
        "customer_usage": result.current.to_lago(),
        "customer_projected_usage": result.projected.to_lago(),
        "past_usage": None,
    }
    if result.previous is not None:
        document["past_usage"] = {
            "usage": result.previous.to_lago(),
            "true_ups": [item.to_lago() for item in result.previous.true_ups],
            "digest": result.previous.digest,
        }
    return document


if __name__ == "__main__":  # pragma: no cover - regenerates the package data
    target = Path(__file__).resolve().parent / "data"
    for path in write_sample(target, generate_sample()):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
