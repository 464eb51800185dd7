"""How the sample's events were made: a deterministic generator over the bundled plan and
subscriptions (``random.Random(SEED)``).

The bundled ``events.jsonl.gz`` is its output; ``python -m usage_engine.demo._generator``
writes the package data again.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from ..models import Plan
from ..periods import billing_period, periods_before
from ._sample import NOW, SEED, Sample, load_sample, write_sample

__all__ = ["generate_sample"]


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


def _generation_start(subscription: Mapping[str, Any], plan: Plan) -> datetime:
    # The start of the period before the one containing NOW, so that it is complete.
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
    rng: random.Random, subscription: Mapping[str, Any], plan: Plan
) -> list[tuple[int, str, dict[str, Any], dict[str, Any]]]:
    profile = _PROFILES[subscription["external_id"]]
    zone = ZoneInfo(subscription["timezone"])
    start = _generation_start(subscription, plan)
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
    """The bundled plan, subscriptions and taxes with events generated from ``seed``: the same
    seed gives the same events on every machine.

    Events are sorted by timestamp (then subscription), with a few resent duplicates (the same
    ``transaction_id`` again, which counts once).

    >>> sample = generate_sample()
    >>> len(sample.subscriptions), len(sample.plan["charges"]), len(sample.events)
    (4, 10, 26522)
    >>> sample.events[0]["transaction_id"], sample.events[0]["code"]
    ('umbrella_000001', 'storage_gb')
    """
    bundled = load_sample()
    plan = Plan.model_validate(bundled.plan)
    rng = random.Random(seed)
    rows: list[tuple[int, str, str, dict[str, Any], dict[str, Any]]] = []
    for subscription in bundled.subscriptions:
        external_id = subscription["external_id"]
        rows.extend(
            (at, external_id, code, properties, extra)
            for at, code, properties, extra in _subscription_events(rng, subscription, plan)
        )
    rows.sort(key=lambda row: (row[0], row[1]))
    numbers = dict.fromkeys((item["external_id"] for item in bundled.subscriptions), 0)
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
        plan=bundled.plan,
        subscriptions=bundled.subscriptions,
        taxes=bundled.taxes,
        events=tuple(events),
    )


if __name__ == "__main__":  # pragma: no cover - regenerates the package data
    target = Path(__file__).resolve().parent.parent / "data"
    for path in write_sample(target, generate_sample()):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
